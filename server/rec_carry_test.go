package server

import (
	"net/http"
	"testing"

	"github.com/blindvault/blindvault/internal/format"
)

// TestPutVersion_OwnerCarriesDelegateVersion: a record's owner may upload a
// version another account wrote (a transfer carries a delegate's version,
// client-v1 §9), only if that author holds write in the ACL the header
// signs; no one else uploads a version they did not write.
func TestPutVersion_OwnerCarriesDelegateVersion(t *testing.T) {
	ts := newTestServer(t, recConfig())
	alice, bob, carol := newRecAccount(t, ts, "alice"), newRecAccount(t, ts, "bob"), newRecAccount(t, ts, "carol")
	f := createRecord(t, alice, recPlain(100), recReader{bob, format.RightRead | format.RightWrite}, recReader{carol, format.RightRead})

	byCarol := f.next(t, f.V1.Header, carol, recPlain(50))
	alice.put(t, byCarol).want(t, "alice uploads carol's version (carol only reads)", http.StatusForbidden)
	byBob := f.next(t, f.V1.Header, bob, recPlain(50))
	carol.put(t, byBob).want(t, "carol uploads bob's version", http.StatusForbidden)
	alice.put(t, byBob).want(t, "alice uploads bob's version", http.StatusCreated)
	if h, ok := storedHead(t, ts, f.ID); !ok || h.Version != 2 {
		t.Fatalf("head after alice carried bob's version = %+v, %v; want version 2", h, ok)
	}
	var view struct{ Author string }
	alice.get(t, versionPath(f.ID, 2)).want(t, "GET v2", http.StatusOK).decode(t, &view)
	if view.Author != bob.ID.String() {
		t.Errorf("v2's author = %s, want bob %s", view.Author, bob.ID)
	}
}
