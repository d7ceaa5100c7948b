package server

import (
	"net/http"
	"testing"
)

// A device's last login is the account's own business: the public list of an
// account's devices is the same for everyone (ident_idor_test.go) and shows
// no last login; GET /v1/devices shows the caller its own.
func TestGetDevices_LastSeenOnlyToTheAccount(t *testing.T) {
	ts := newIdentServer(t, Config{}, nil)
	alice := registerAndLogin(t, ts, "alice", "patient", "")
	bob := registerAndLogin(t, ts, "bob", "patient", "")
	type view struct {
		Devices []struct {
			LastSeen *string `json:"last_seen"`
		} `json:"devices"`
	}
	var own, other view
	decodeResponse(t, alice.do(t, http.MethodGet, "/v1/devices", nil), http.StatusOK, &own)
	decodeResponse(t, bob.do(t, http.MethodGet, "/v1/accounts/"+alice.ID.String()+"/devices", nil), http.StatusOK, &other)
	if len(own.Devices) != 1 || own.Devices[0].LastSeen == nil {
		t.Fatalf("own devices = %+v, want one with last_seen", own)
	}
	if len(other.Devices) != 1 || other.Devices[0].LastSeen != nil {
		t.Fatalf("another account's view = %+v, want no last_seen", other)
	}
}
