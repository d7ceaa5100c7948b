package server

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"net/http"
	"testing"

	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/server/store"
)

// Two accounts: bob, with every one of alice's ids swapped into every account,
// session and admin endpoint, changes nothing of alice's, even with objects
// alice signed (as if intercepted).
func TestIdent_IDOR(t *testing.T) {
	ts := newIdentServer(t, Config{}, nil)
	admin := newAdmin(t, ts, "root")
	a := registerAndLogin(t, ts, "alice", store.RolePatient, "")
	b := registerAndLogin(t, ts, "bob", store.RolePatient, "")
	_, newDev, _ := ed25519.GenerateKey(rand.Reader)
	newDevID := store.DeviceID(newDev.Public().(ed25519.PublicKey))

	// Objects of alice's, validly signed by her.
	aliceSuccessor := successorCard(t, a)
	aliceCert := a.deviceCert(t, newDev)
	aliceRevocation := a.revocation(t, a.DeviceID)
	// Bob's objects that name alice.
	bobCertForAlice := func() []byte {
		c, _ := format.ParseDeviceCert(aliceCert)
		if err := c.Sign(b.Identity); err != nil {
			t.Fatal(err)
		}
		return c.Marshal()
	}()
	bobRevocationOfAlice := func() []byte {
		r, _ := format.ParseDeviceRevocation(aliceRevocation)
		if err := r.Sign(b.Identity); err != nil {
			t.Fatal(err)
		}
		return r.Marshal()
	}()

	aliceCard := "/v1/accounts/" + a.ID.String() + "/card"
	aliceDevRevoke := "/v1/devices/" + a.DeviceID.String() + "/revoke"
	cases := []struct {
		name   string
		method string
		path   string
		body   any
		status int
	}{
		{"putCardOwnSuccessor", http.MethodPut, aliceCard, map[string]any{"key_card": successorCard(t, b).Marshal()}, 403},
		{"putCardAliceSuccessor", http.MethodPut, aliceCard, map[string]any{"key_card": aliceSuccessor.Marshal()}, 403},
		{"putOwnCardAliceSuccessor", http.MethodPut, "/v1/accounts/" + b.ID.String() + "/card", map[string]any{"key_card": aliceSuccessor.Marshal()}, 400},
		{"enrolAliceCert", http.MethodPost, "/v1/devices", map[string]any{"device_cert": aliceCert}, 403},
		{"enrolBobSignedCertForAlice", http.MethodPost, "/v1/devices", map[string]any{"device_cert": bobCertForAlice}, 403},
		{"revokeWithAliceRevocation", http.MethodPost, aliceDevRevoke, map[string]any{"revocation": aliceRevocation}, 403},
		{"revokeWithBobsRevocationOfAlice", http.MethodPost, aliceDevRevoke, map[string]any{"revocation": bobRevocationOfAlice}, 403},
		{"revokeAliceDeviceAsBobs", http.MethodPost, aliceDevRevoke, map[string]any{"revocation": b.revocation(t, a.DeviceID)}, 404},
		{"revokeAliceDeviceMismatch", http.MethodPost, aliceDevRevoke, map[string]any{"revocation": b.revocation(t, b.DeviceID)}, 400},
	}
	for _, r := range adminRequests(a.ID) {
		cases = append(cases, struct {
			name   string
			method string
			path   string
			body   any
			status int
		}{"admin " + r.path, r.method, r.path, r.body, 403})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := b.do(t, tc.method, tc.path, tc.body)
			if resp.StatusCode != tc.status {
				t.Errorf("bob: %s %s = %d (%s), want %d", tc.method, tc.path, resp.StatusCode, apiErrorCode(resp), tc.status)
			}
		})
	}
	// Without a session, a certificate bob signed for alice is still refused.
	wantError(t, ts.request(t, "", http.MethodPost, "/v1/devices", map[string]any{"device_cert": bobCertForAlice}), http.StatusBadRequest, "bad_device_cert")

	// Reads of alice's public material give bob exactly what they give alice.
	for _, path := range []string{"/v1/accounts/" + a.ID.String(), "/v1/directory/alice",
		"/v1/accounts/" + a.ID.String() + "/cards", "/v1/accounts/" + a.ID.String() + "/devices"} {
		ra, rb := a.do(t, http.MethodGet, path, nil), b.do(t, http.MethodGet, path, nil)
		wantStatus(t, ra, http.StatusOK)
		wantStatus(t, rb, http.StatusOK)
		ba, _ := io.ReadAll(ra.Body)
		bb, _ := io.ReadAll(rb.Body)
		if !bytes.Equal(ba, bb) {
			t.Errorf("GET %s: bob sees %s, alice %s", path, bb, ba)
		}
	}

	// Nothing of alice's changed.
	got, err := ts.Store.Account(t.Context(), a.ID)
	if err != nil || got.Status != store.StatusActive || got.KeyCard.Seq != 1 {
		t.Errorf("alice after bob's attempts = %+v, %v; want active with card seq 1", got, err)
	}
	devs, err := ts.Store.Devices(t.Context(), a.ID)
	if err != nil || len(devs) != 1 || devs[0].ID != a.DeviceID || !devs[0].Revoked.IsZero() {
		t.Errorf("alice's devices after bob's attempts = %+v, %v; want her one live device", devs, err)
	}
	if _, err := ts.Store.Device(t.Context(), b.ID, newDevID); !isNotFound(err) {
		t.Errorf("bob's devices include alice's new device: %v", err)
	}
	wantStatus(t, a.do(t, http.MethodGet, "/v1/accounts/"+a.ID.String(), nil), http.StatusOK)
	wantStatus(t, admin.do(t, http.MethodGet, "/v1/accounts/"+admin.ID.String(), nil), http.StatusOK)
	// And alice can still do all of it herself.
	wantStatus(t, a.do(t, http.MethodPost, "/v1/devices", map[string]any{"device_cert": aliceCert}), http.StatusCreated)
	wantStatus(t, a.do(t, http.MethodPut, aliceCard, map[string]any{"key_card": aliceSuccessor.Marshal()}), http.StatusOK)
}
