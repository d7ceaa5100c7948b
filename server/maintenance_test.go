package server

import (
	"bytes"
	"net/http"
	"os"
	"testing"
)

// TestAdmin_Compact_PurgesDeletedBody deletes a record through the API and checks
// that its body ciphertext is still in the raw file until an admin compacts, and
// gone after: DELETE unlinks, compaction purges.
func TestAdmin_Compact_PurgesDeletedBody(t *testing.T) {
	ts := newTestServer(t, recConfig())
	alice := newRecAccount(t, ts, "alice")
	admin := newAdmin(t, ts, "root")
	f := createRecord(t, alice, recPlain(200_000))
	window := f.V1.Body[100_000 : 100_000+64] // random-looking ciphertext bytes
	inFile := func() bool {
		raw, err := os.ReadFile(ts.Path)
		if err != nil {
			t.Fatal(err)
		}
		return bytes.Contains(raw, window)
	}
	if !inFile() {
		t.Fatalf("the body is not in the database file: the scan proves nothing")
	}
	alice.send(t, http.MethodDelete, recordPath(f.ID), "application/octet-stream", nil).want(t, "DELETE", http.StatusOK)
	if !inFile() {
		t.Log("the freed pages were already reused; compaction still must not fail")
	}
	if r := admin.do(t, http.MethodPost, "/v1/admin/compact", nil); r.StatusCode != http.StatusNoContent {
		t.Fatalf("POST /v1/admin/compact = %d, want 204", r.StatusCode)
	}
	if inFile() {
		t.Fatalf("deleted body ciphertext still in the database file after compaction")
	}
	// Non-admins may not compact.
	alice.send(t, http.MethodPost, "/v1/admin/compact", "application/json", nil).want(t, "compact as patient", http.StatusForbidden)
}
