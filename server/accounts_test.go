package server

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/server/store"
)

func TestPostAccount_PatientSelfSignup(t *testing.T) {
	ts := newIdentServer(t, Config{}, nil)
	a := newTestIdentity(t, ts, "alice")
	var out api.Registered
	decodeResponse(t, a.do(t, http.MethodPost, "/v1/accounts", a.registration(t, "")), http.StatusCreated, &out)
	want := api.Registered{AccountID: a.ID.String(), Handle: "alice", Role: string(store.RolePatient), DeviceID: a.DeviceID.String()}
	if len(out.Receipts) != 1 {
		t.Errorf("POST /v1/accounts gave %d receipts, want 1 (the key card's)", len(out.Receipts))
	}
	if out.Receipts = nil; !reflect.DeepEqual(out, want) {
		t.Errorf("POST /v1/accounts = %+v, want %+v", out, want)
	}
	got, err := ts.Store.Account(t.Context(), a.ID)
	if err != nil || got.Handle != "alice" || got.Role != store.RolePatient || got.Status != store.StatusActive ||
		!bytes.Equal(got.KeyCard.Signed, a.Card.Marshal()) || !bytes.Equal(got.OPRFSetup, a.OPRFSetup) {
		t.Errorf("Store.Account(alice) = %+v, %v; want the registered account", got, err)
	}
	if blob, err := ts.Store.Backup(t.Context(), a.ID); err != nil || string(blob) != "opaque key backup of alice" {
		t.Errorf("Store.Backup(alice) = %q, %v; want the registered blob", blob, err)
	}
	// The role defaults to patient.
	b := newTestIdentity(t, ts, "bob")
	req := b.registration(t, "")
	delete(req, "role")
	wantStatus(t, b.do(t, http.MethodPost, "/v1/accounts", req), http.StatusCreated)
}

func TestPostAccount_NoPatientSignup(t *testing.T) {
	ts := newIdentServer(t, Config{NoPatientSignup: true}, nil)
	a := newTestIdentity(t, ts, "alice")
	wantError(t, a.do(t, http.MethodPost, "/v1/accounts", a.registration(t, "")), http.StatusForbidden, "invite_required")
	wantStatus(t, a.do(t, http.MethodPost, "/v1/accounts", a.registration(t, testInvite(t, ts, store.RolePatient, time.Hour))), http.StatusCreated)
}

func TestPostAccount_Invites(t *testing.T) {
	clock := newTestClock()
	ts := newIdentServer(t, Config{}, clock)
	register := func(t *testing.T, handle string, role store.Role, invite string) *http.Response {
		t.Helper()
		a := newTestIdentity(t, ts, handle)
		a.Role = role
		return a.do(t, http.MethodPost, "/v1/accounts", a.registration(t, invite))
	}
	for _, role := range []store.Role{store.RoleClinician, store.RoleService, store.RoleAdmin} {
		t.Run(string(role), func(t *testing.T) {
			wantError(t, register(t, string(role)+"-1", role, ""), http.StatusForbidden, "invite_required")
			code := testInvite(t, ts, role, time.Hour)
			wantStatus(t, register(t, string(role)+"-2", role, code), http.StatusCreated)
			wantError(t, register(t, string(role)+"-3", role, code), http.StatusForbidden, "bad_invite")
		})
	}
	t.Run("wrongRole", func(t *testing.T) {
		code := testInvite(t, ts, store.RoleClinician, time.Hour)
		wantError(t, register(t, "w-1", store.RoleAdmin, code), http.StatusForbidden, "bad_invite")
		wantError(t, register(t, "w-2", store.RoleService, code), http.StatusForbidden, "bad_invite")
		// A refused registration does not use the invite up.
		wantStatus(t, register(t, "w-3", store.RoleClinician, code), http.StatusCreated)
	})
	t.Run("caseAndSpace", func(t *testing.T) {
		code := testInvite(t, ts, store.RoleClinician, time.Hour)
		wantStatus(t, register(t, "c-1", store.RoleClinician, " "+strings.ToUpper(code)+"\n"), http.StatusCreated)
	})
	t.Run("expired", func(t *testing.T) {
		code := testInvite(t, ts, store.RoleClinician, time.Hour)
		clock.Add(time.Hour)
		wantError(t, register(t, "e-1", store.RoleClinician, code), http.StatusForbidden, "bad_invite")
	})
	t.Run("malformed", func(t *testing.T) {
		for _, code := range []string{"x", strings.Repeat("a", 26), strings.Repeat("1", 26), strings.Repeat("a", 32)} {
			wantError(t, register(t, "m-1", store.RoleClinician, code), http.StatusForbidden, "bad_invite")
		}
	})
	t.Run("patientWithClinicianInvite", func(t *testing.T) {
		code := testInvite(t, ts, store.RoleClinician, time.Hour)
		wantError(t, register(t, "p-1", store.RolePatient, code), http.StatusForbidden, "bad_invite")
	})
}

func TestPostAccount_BadObjects(t *testing.T) {
	clock := newTestClock()
	ts := newIdentServer(t, Config{}, clock)
	other := newTestIdentity(t, ts, "mallory")
	cases := []struct {
		name   string
		edit   func(a *testAccount, req map[string]any)
		status int
		code   string
	}{
		{"garbageCard", func(a *testAccount, req map[string]any) { req["key_card"] = []byte("card") }, 400, "bad_key_card"},
		{"cardNotBase64", func(a *testAccount, req map[string]any) { req["key_card"] = "!!" }, 400, "bad_json"},
		{"cardBadSelfSignature", func(a *testAccount, req map[string]any) {
			c := *a.Card
			c.Signature = ed25519.Sign(other.Identity, format.Message("key-card", c.Body()))
			req["key_card"] = c.Marshal()
		}, 400, "bad_key_card"},
		{"cardSeq2", func(a *testAccount, req map[string]any) {
			next := successorCard(t, a)
			req["key_card"] = next.Marshal()
		}, 400, "bad_key_card"},
		{"deviceCertAsCard", func(a *testAccount, req map[string]any) { req["key_card"] = req["device_cert"] }, 400, "bad_key_card"},
		{"certByAnotherKey", func(a *testAccount, req map[string]any) {
			c, _ := format.ParseDeviceCert(req["device_cert"].([]byte))
			if err := c.Sign(other.Identity); err != nil {
				t.Fatal(err)
			}
			req["device_cert"] = c.Marshal()
		}, 400, "bad_device_cert"},
		{"certForAnotherAccount", func(a *testAccount, req map[string]any) {
			c, _ := format.ParseDeviceCert(req["device_cert"].([]byte))
			c.AccountID = other.ID
			if err := c.Sign(a.Identity); err != nil {
				t.Fatal(err)
			}
			req["device_cert"] = c.Marshal()
		}, 400, "bad_device_cert"},
		{"certOfAnotherIdentity", func(a *testAccount, req map[string]any) {
			req["device_cert"] = other.deviceCert(t, a.Device)
		}, 400, "bad_device_cert"},
		{"certExpired", func(a *testAccount, req map[string]any) {
			c, _ := format.ParseDeviceCert(req["device_cert"].([]byte))
			c.Created, c.NotAfter = 1, uint64(clock.Now().Unix())
			if err := c.Sign(a.Identity); err != nil {
				t.Fatal(err)
			}
			req["device_cert"] = c.Marshal()
		}, 400, "bad_device_cert"},
		{"garbageCert", func(a *testAccount, req map[string]any) { req["device_cert"] = []byte{1, 2, 3} }, 400, "bad_device_cert"},
		{"noBackup", func(a *testAccount, req map[string]any) { delete(req, "backup") }, 400, "bad_backup"},
		{"badOPRFSetup", func(a *testAccount, req map[string]any) { req["oprf_setup"] = []byte("oprf") }, 400, "bad_oprf_setup"},
		{"oprfSetupIdentityKey", func(a *testAccount, req map[string]any) {
			// The identity point as the recovery auth key: any (R = [s]B, s)
			// would verify as a release signature.
			setup := bytes.Clone(a.OPRFSetup)
			copy(setup[33:], append([]byte{1}, make([]byte, 31)...))
			req["oprf_setup"] = setup
		}, 400, "bad_oprf_setup"},
		{"unknownRole", func(a *testAccount, req map[string]any) { req["role"] = "root" }, 400, "bad_role"},
		{"unknownField", func(a *testAccount, req map[string]any) { req["handle"] = "x" }, 400, "bad_json"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newTestIdentity(t, ts, "user-"+string(rune('a'+i)))
			req := a.registration(t, "")
			tc.edit(a, req)
			wantError(t, a.do(t, http.MethodPost, "/v1/accounts", req), tc.status, tc.code)
			if _, err := ts.Store.Account(t.Context(), a.ID); !isNotFound(err) {
				t.Errorf("Store.Account after a refused registration = %v, want not found", err)
			}
		})
	}
}

func TestPostAccount_Handles(t *testing.T) {
	ts := newIdentServer(t, Config{}, nil)
	for _, h := range []string{"Alice", "alice smith", ".alice", "-a", "ålice", "a/b", "a\u200bb"} {
		a := newTestIdentity(t, ts, h)
		wantError(t, a.do(t, http.MethodPost, "/v1/accounts", a.registration(t, "")), http.StatusBadRequest, "bad_handle")
	}
	for _, h := range []string{"a", "alice.smith", "dr_jones-2", "jane@clinic.example", strings.Repeat("z", 64)} {
		a := newTestIdentity(t, ts, h)
		wantStatus(t, a.do(t, http.MethodPost, "/v1/accounts", a.registration(t, "")), http.StatusCreated)
	}
}

func TestPostAccount_Duplicate(t *testing.T) {
	ts := newIdentServer(t, Config{}, nil)
	a := registerAndLogin(t, ts, "alice", store.RolePatient, "")
	b := newTestIdentity(t, ts, "alice")
	wantError(t, b.do(t, http.MethodPost, "/v1/accounts", b.registration(t, "")), http.StatusConflict, "handle_taken")
	// The same account id again, under another handle.
	c := newTestIdentity(t, ts, "carol")
	c.Card.AccountID = a.Card.AccountID
	c.ID = a.ID
	if err := c.Card.Sign(c.Identity); err != nil {
		t.Fatal(err)
	}
	wantError(t, c.do(t, http.MethodPost, "/v1/accounts", c.registration(t, "")), http.StatusConflict, "account_exists")
	// An invite spent on a refused registration is not used up.
	code := testInvite(t, ts, store.RoleClinician, time.Hour)
	d := newTestIdentity(t, ts, "alice")
	d.Role = store.RoleClinician
	wantError(t, d.do(t, http.MethodPost, "/v1/accounts", d.registration(t, code)), http.StatusConflict, "handle_taken")
	e := newTestIdentity(t, ts, "erin")
	e.Role = store.RoleClinician
	wantStatus(t, e.do(t, http.MethodPost, "/v1/accounts", e.registration(t, code)), http.StatusCreated)
}

// successorCard is a's next card with a new identity key, endorsed by the
// current one.
func successorCard(t testing.TB, a *testAccount) *format.KeyCard {
	t.Helper()
	next, _ := successorCardKey(t, a)
	return next
}

func successorCardKey(t testing.TB, a *testAccount) (*format.KeyCard, ed25519.PrivateKey) {
	t.Helper()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	next := &format.KeyCard{
		AccountID: a.Card.AccountID, Handle: a.Card.Handle, Ed25519PK: [32]byte(key.Public().(ed25519.PublicKey)),
		XWingPK: a.Card.XWingPK, Seq: a.Card.Seq + 1, PrevCardHash: a.Card.Hash(), Created: a.Card.Created + 1,
	}
	if err := next.Sign(key); err != nil {
		t.Fatal(err)
	}
	if err := next.Endorse(a.Identity); err != nil {
		t.Fatal(err)
	}
	return next, key
}

func TestGetAccount_Directory(t *testing.T) {
	ts := newIdentServer(t, Config{}, nil)
	a := registerAndLogin(t, ts, "alice", store.RolePatient, "")
	b := registerAndLogin(t, ts, "bob", store.RolePatient, "")

	var view api.Account
	decodeResponse(t, b.do(t, http.MethodGet, "/v1/accounts/"+a.ID.String(), nil), http.StatusOK, &view)
	if view.AccountID != a.ID.String() || view.Handle != "alice" || store.Role(view.Role) != store.RolePatient ||
		store.Status(view.Status) != store.StatusActive || view.CardSeq != 1 || !bytes.Equal(view.KeyCard, a.Card.Marshal()) {
		t.Errorf("GET /v1/accounts/alice = %+v, want alice's account", view)
	}

	decodeResponse(t, b.do(t, http.MethodGet, "/v1/directory/alice", nil), http.StatusOK, &view)
	if view.AccountID != a.ID.String() || len(view.Cards) != 1 || !bytes.Equal(view.Cards[0].KeyCard, a.Card.Marshal()) {
		t.Errorf("GET /v1/directory/alice = %+v, want alice with one card", view)
	}

	for _, path := range []string{
		"/v1/directory/nobody", "/v1/directory/Alice", "/v1/directory/al%20ice",
		"/v1/accounts/" + strings.Repeat("0", 64), "/v1/accounts/" + strings.ToUpper(a.ID.String()),
		"/v1/accounts/" + a.ID.String()[:62],
	} {
		if resp := b.do(t, http.MethodGet, path, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, resp.StatusCode)
		}
	}
	for _, path := range []string{"/v1/accounts/" + a.ID.String(),
		"/v1/accounts/" + a.ID.String() + "/cards", "/v1/accounts/" + a.ID.String() + "/devices"} {
		wantStatus(t, ts.request(t, "", http.MethodGet, path, nil), http.StatusUnauthorized)
	}
	// The directory is public: a new device has only a handle until it logs in.
	wantStatus(t, ts.request(t, "", http.MethodGet, "/v1/directory/alice", nil), http.StatusOK)
}

func TestPutCard_Successor(t *testing.T) {
	ts := newIdentServer(t, Config{}, nil)
	a := registerAndLogin(t, ts, "alice", store.RolePatient, "")
	path := "/v1/accounts/" + a.ID.String() + "/card"
	first := a.Card

	refused := map[string]func() *format.KeyCard{
		"notEndorsed": func() *format.KeyCard {
			next, key := successorCardKey(t, a)
			if err := next.Endorse(key); err != nil {
				t.Fatal(err)
			}
			return next
		},
		"wrongPrevHash": func() *format.KeyCard {
			next, key := successorCardKey(t, a)
			next.PrevCardHash[0] ^= 1
			if err := next.Sign(key); err != nil {
				t.Fatal(err)
			}
			if err := next.Endorse(a.Identity); err != nil {
				t.Fatal(err)
			}
			return next
		},
		"newHandle": func() *format.KeyCard {
			next, key := successorCardKey(t, a)
			next.Handle = "alicia"
			if err := next.Sign(key); err != nil {
				t.Fatal(err)
			}
			if err := next.Endorse(a.Identity); err != nil {
				t.Fatal(err)
			}
			return next
		},
		"sameCard": func() *format.KeyCard { return a.Card },
	}
	for name, card := range refused {
		t.Run(name, func(t *testing.T) {
			wantError(t, a.do(t, http.MethodPut, path, map[string]any{"key_card": card().Marshal()}), http.StatusBadRequest, "bad_key_card")
		})
	}

	next, key := successorCardKey(t, a)
	wantStatus(t, a.do(t, http.MethodPut, path, map[string]any{"key_card": next.Marshal()}), http.StatusOK)
	// The same successor again is no longer a successor.
	wantError(t, a.do(t, http.MethodPut, path, map[string]any{"key_card": next.Marshal()}), http.StatusBadRequest, "bad_key_card")
	a.Card, a.Identity = next, key

	var cards struct {
		Cards []api.Card `json:"cards"`
	}
	decodeResponse(t, a.do(t, http.MethodGet, "/v1/accounts/"+a.ID.String()+"/cards", nil), http.StatusOK, &cards)
	if len(cards.Cards) != 2 || cards.Cards[0].Seq != 1 || !bytes.Equal(cards.Cards[0].KeyCard, first.Marshal()) ||
		cards.Cards[1].Seq != 2 || !bytes.Equal(cards.Cards[1].KeyCard, next.Marshal()) {
		t.Errorf("GET cards = %+v, want seq 1 and 2", cards.Cards)
	}
	decodeResponse(t, a.do(t, http.MethodGet, "/v1/accounts/"+a.ID.String()+"/cards?from=2", nil), http.StatusOK, &cards)
	if len(cards.Cards) != 1 || cards.Cards[0].Seq != 2 {
		t.Errorf("GET cards?from=2 = %+v, want seq 2 only", cards.Cards)
	}
	for _, q := range []string{"0", "-1", "x", "1e3"} {
		wantError(t, a.do(t, http.MethodGet, "/v1/accounts/"+a.ID.String()+"/cards?from="+q, nil), http.StatusBadRequest, "bad_from")
	}

}

func TestPostDevice_Enrol(t *testing.T) {
	ts := newIdentServer(t, Config{}, nil)
	a := registerAndLogin(t, ts, "alice", store.RolePatient, "")
	_, phone, _ := ed25519.GenerateKey(rand.Reader)
	phoneID := store.DeviceID(phone.Public().(ed25519.PublicKey))

	var out api.Enrolled
	decodeResponse(t, a.do(t, http.MethodPost, "/v1/devices", map[string]any{"device_cert": a.deviceCert(t, phone)}), http.StatusCreated, &out)
	if out.DeviceID != phoneID.String() || out.AccountID != a.ID.String() {
		t.Errorf("POST /v1/devices = %+v, want the phone of alice", out)
	}
	a.login(t, phone)
	wantError(t, a.do(t, http.MethodPost, "/v1/devices", map[string]any{"device_cert": a.deviceCert(t, phone)}), http.StatusConflict, "device_exists")

	// Without a session: the certificate alone (a device restored from the
	// key backup has no session yet).
	_, laptop, _ := ed25519.GenerateKey(rand.Reader)
	wantStatus(t, ts.request(t, "", http.MethodPost, "/v1/devices", map[string]any{"device_cert": a.deviceCert(t, laptop)}), http.StatusCreated)
	a.login(t, laptop)

	// A bad session is not ignored.
	_, tablet, _ := ed25519.GenerateKey(rand.Reader)
	wantStatus(t, ts.request(t, "bogus", http.MethodPost, "/v1/devices", map[string]any{"device_cert": a.deviceCert(t, tablet)}), http.StatusUnauthorized)

	// After a card rotation, a certificate by the old identity key is refused.
	old := *a
	next, key := successorCardKey(t, a)
	wantStatus(t, a.do(t, http.MethodPut, "/v1/accounts/"+a.ID.String()+"/card", map[string]any{"key_card": next.Marshal()}), http.StatusOK)
	a.Card, a.Identity = next, key
	wantError(t, a.do(t, http.MethodPost, "/v1/devices", map[string]any{"device_cert": old.deviceCert(t, tablet)}), http.StatusBadRequest, "bad_device_cert")
	wantStatus(t, a.do(t, http.MethodPost, "/v1/devices", map[string]any{"device_cert": a.deviceCert(t, tablet)}), http.StatusCreated)

	// A suspended account enrols nothing, with or without a session.
	if err := ts.Store.SetAccountStatus(t.Context(), a.ID, store.StatusSuspended); err != nil {
		t.Fatal(err)
	}
	_, watch, _ := ed25519.GenerateKey(rand.Reader)
	wantError(t, ts.request(t, "", http.MethodPost, "/v1/devices", map[string]any{"device_cert": a.deviceCert(t, watch)}), http.StatusForbidden, "suspended")
}

func TestPostRevokeDevice(t *testing.T) {
	ts := newIdentServer(t, Config{}, nil)
	a := registerAndLogin(t, ts, "alice", store.RolePatient, "")
	_, phone, _ := ed25519.GenerateKey(rand.Reader)
	phoneID := store.DeviceID(phone.Public().(ed25519.PublicKey))
	wantStatus(t, a.do(t, http.MethodPost, "/v1/devices", map[string]any{"device_cert": a.deviceCert(t, phone)}), http.StatusCreated)
	phoneToken := a.login(t, phone)
	path := "/v1/devices/" + phoneID.String() + "/revoke"

	wantError(t, a.do(t, http.MethodPost, path, map[string]any{"revocation": a.revocation(t, a.DeviceID)}), http.StatusBadRequest, "bad_revocation")
	wantError(t, a.do(t, http.MethodPost, path, map[string]any{"revocation": []byte("x")}), http.StatusBadRequest, "bad_revocation")
	forged, _ := format.ParseDeviceRevocation(a.revocation(t, phoneID))
	forged.Signature = ed25519.Sign(phone, format.Message("device-revoke", forged.Body()))
	wantError(t, a.do(t, http.MethodPost, path, map[string]any{"revocation": forged.Marshal()}), http.StatusBadRequest, "bad_revocation")

	rev := a.revocation(t, phoneID)
	wantStatus(t, a.do(t, http.MethodPost, path, map[string]any{"revocation": rev}), http.StatusOK)
	wantStatus(t, ts.request(t, phoneToken, http.MethodGet, "/v1/accounts/"+a.ID.String(), nil), http.StatusUnauthorized)
	wantError(t, a.do(t, http.MethodPost, path, map[string]any{"revocation": rev}), http.StatusConflict, "already_revoked")

	var devs struct {
		Devices []api.Device `json:"devices"`
	}
	decodeResponse(t, a.do(t, http.MethodGet, "/v1/accounts/"+a.ID.String()+"/devices", nil), http.StatusOK, &devs)
	if len(devs.Devices) != 2 {
		t.Fatalf("GET devices = %d devices, want 2", len(devs.Devices))
	}
	for _, d := range devs.Devices {
		switch d.DeviceID {
		case phoneID.String():
			if !bytes.Equal(d.Revocation, rev) || d.Revoked == nil {
				t.Errorf("GET devices: phone = %+v, want its revocation", d)
			}
		case a.DeviceID.String():
			if d.Revocation != nil || d.Revoked != nil || len(d.DeviceCert) == 0 {
				t.Errorf("GET devices: first device = %+v, want a live certificate", d)
			}
		default:
			t.Errorf("GET devices: unknown device %s", d.DeviceID)
		}
	}

	// A device can revoke itself; its session ends with it.
	path = "/v1/devices/" + a.DeviceID.String() + "/revoke"
	wantStatus(t, a.do(t, http.MethodPost, path, map[string]any{"revocation": a.revocation(t, a.DeviceID)}), http.StatusOK)
	wantStatus(t, a.do(t, http.MethodGet, "/v1/accounts/"+a.ID.String(), nil), http.StatusUnauthorized)
}

// The directory shows public material only.
func TestGetAccount_NoSecrets(t *testing.T) {
	ts := newIdentServer(t, Config{}, nil)
	a := registerAndLogin(t, ts, "alice", store.RolePatient, "")
	for _, path := range []string{"/v1/accounts/" + a.ID.String(), "/v1/directory/alice",
		"/v1/accounts/" + a.ID.String() + "/cards", "/v1/accounts/" + a.ID.String() + "/devices"} {
		resp := a.do(t, http.MethodGet, path, nil)
		wantStatus(t, resp, http.StatusOK)
		body, _ := io.ReadAll(resp.Body)
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatal(err)
		}
		for _, leak := range []string{"backup", "oprf_setup", "token", b64(a.OPRFSetup), "opaque key backup"} {
			if bytes.Contains(body, []byte(leak)) {
				t.Errorf("GET %s = %s, holds %q", path, body, leak)
			}
		}
	}
}

func registrationSeed(t testing.TB, ts *testServer, handle string) []byte {
	a := newTestIdentity(t, ts, handle)
	j, err := json.Marshal(a.registration(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func FuzzPostAccount(f *testing.F) {
	ts := newIdentServer(f, Config{}, nil)
	f.Add(registrationSeed(f, ts, "alice"))
	f.Add(registrationSeed(f, ts, "Bad Handle"))
	f.Add([]byte(`{"key_card":"AAAA","device_cert":"AAAA","backup":"AA==","oprf_setup":"AA==","role":"admin","invite":"aaaa"}`))
	f.Add([]byte(`{"role":"clinician"}`))
	f.Add([]byte(`{"key_card":null}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzHandler(t, ts, "", http.MethodPost, "/v1/accounts", body)
	})
}

func FuzzPostDevice(f *testing.F) {
	ts := newIdentServer(f, Config{}, nil)
	a := registerAndLogin(f, ts, "alice", store.RolePatient, "")
	_, dev, _ := ed25519.GenerateKey(rand.Reader)
	seed, _ := json.Marshal(map[string]any{"device_cert": a.deviceCert(f, dev)})
	f.Add(seed, true)
	f.Add(seed, false)
	f.Add([]byte(`{"device_cert":"AAAA"}`), true)
	f.Add([]byte(`{"device_cert":""}`), false)
	f.Add([]byte(`{}`), true)
	f.Fuzz(func(t *testing.T, body []byte, session bool) {
		token := ""
		if session {
			token = a.Token
		}
		fuzzHandler(t, ts, token, http.MethodPost, "/v1/devices", body)
	})
}

func FuzzRevokeDevice(f *testing.F) {
	ts := newIdentServer(f, Config{}, nil)
	a := registerAndLogin(f, ts, "alice", store.RolePatient, "")
	_, dev, _ := ed25519.GenerateKey(rand.Reader)
	devID := store.DeviceID(dev.Public().(ed25519.PublicKey))
	seed, _ := json.Marshal(map[string]any{"revocation": a.revocation(f, devID)})
	path := "/v1/devices/" + devID.String() + "/revoke"
	f.Add(seed)
	f.Add([]byte(`{"revocation":"AAAA"}`))
	f.Add([]byte(`{"revocation":null}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzHandler(t, ts, a.Token, http.MethodPost, path, body)
	})
}

func FuzzPutCard(f *testing.F) {
	ts := newIdentServer(f, Config{}, nil)
	a := registerAndLogin(f, ts, "alice", store.RolePatient, "")
	seed, _ := json.Marshal(map[string]any{"key_card": successorCard(f, a).Marshal()})
	path := "/v1/accounts/" + a.ID.String() + "/card"
	f.Add(seed)
	f.Add([]byte(`{"key_card":"` + b64(a.Card.Marshal()) + `"}`))
	f.Add([]byte(`{"key_card":"AAAA"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzHandler(t, ts, a.Token, http.MethodPut, path, body)
	})
}
