package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/server/store/bolt"
)

func newAdmin(t testing.TB, ts *testServer, handle string) *testAccount {
	t.Helper()
	return registerAndLogin(t, ts, handle, store.RoleAdmin, testInvite(t, ts, store.RoleAdmin, time.Hour))
}

func TestPostInvite(t *testing.T) {
	clock := newTestClock()
	ts := newIdentServer(t, Config{}, clock)
	admin := newAdmin(t, ts, "root")

	var inv api.Invite
	decodeResponse(t, admin.do(t, http.MethodPost, "/v1/admin/invites", map[string]any{"role": "clinician"}), http.StatusCreated, &inv)
	if inv.Role != string(store.RoleClinician) || len(inv.Code) != 26 || !inv.Expires.Equal(clock.Now().Add(inviteTTL)) {
		t.Errorf("POST /v1/admin/invites = %+v, want a 26-character clinician code for 7 days", inv)
	}
	// The store keeps the code's HMAC only.
	if h, ok := ts.parseInviteCode(inv.Code); !ok {
		t.Errorf("parseInviteCode(%q) = false", inv.Code)
	} else if raw, _ := inviteEncoding.DecodeString(strings.ToUpper(inv.Code)); h == store.Hash(sha256.Sum256(raw)) {
		t.Errorf("invite hash is an unkeyed SHA-256")
	}
	c := registerAndLogin(t, ts, "dr-jones", store.RoleClinician, inv.Code)
	if got, _ := ts.Store.Account(t.Context(), c.ID); got.Role != store.RoleClinician {
		t.Errorf("role of the invited account = %q, want clinician", got.Role)
	}

	decodeResponse(t, admin.do(t, http.MethodPost, "/v1/admin/invites", map[string]any{"role": "service", "ttl_seconds": 60}), http.StatusCreated, &inv)
	if !inv.Expires.Equal(clock.Now().Add(time.Minute)) {
		t.Errorf("invite with ttl_seconds 60 expires %v, want in a minute", inv.Expires)
	}
	clock.Add(time.Minute)
	s := newTestIdentity(t, ts, "svc")
	s.Role = store.RoleService
	wantError(t, s.do(t, http.MethodPost, "/v1/accounts", s.registration(t, inv.Code)), http.StatusForbidden, "bad_invite")

	for name, body := range map[string]any{
		"noRole":      map[string]any{},
		"badRole":     map[string]any{"role": "root"},
		"ttlTooShort": map[string]any{"role": "patient", "ttl_seconds": 59},
		"ttlTooLong":  map[string]any{"role": "patient", "ttl_seconds": 91 * 24 * 3600},
		"ttlNegative": map[string]any{"role": "patient", "ttl_seconds": -5},
		"ttlString":   map[string]any{"role": "patient", "ttl_seconds": "60"},
		"extraField":  map[string]any{"role": "patient", "code": "x"},
	} {
		if resp := admin.do(t, http.MethodPost, "/v1/admin/invites", body); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("POST /v1/admin/invites (%s) = %d, want 400", name, resp.StatusCode)
		}
	}
}

func TestAdmin_NonAdminRefused(t *testing.T) {
	ts := newIdentServer(t, Config{}, nil)
	admin := newAdmin(t, ts, "root")
	for _, role := range []store.Role{store.RolePatient, store.RoleClinician, store.RoleService} {
		invite := ""
		if role != store.RolePatient {
			invite = testInvite(t, ts, role, time.Hour)
		}
		u := registerAndLogin(t, ts, "user-"+string(role), role, invite)
		for _, r := range adminRequests(admin.ID) {
			wantError(t, u.do(t, r.method, r.path, r.body), http.StatusForbidden, "forbidden")
			wantStatus(t, ts.request(t, "", r.method, r.path, r.body), http.StatusUnauthorized)
		}
	}
	if got, _ := ts.Store.Account(t.Context(), admin.ID); got.Status != store.StatusActive {
		t.Errorf("admin status after refused requests = %q, want active", got.Status)
	}
}

type adminRequest struct {
	method, path string
	body         any
}

// adminRequests is one request to every admin route, naming target.
func adminRequests(target store.AccountID) []adminRequest {
	return []adminRequest{
		{http.MethodPost, "/v1/admin/invites", map[string]any{"role": "admin"}},
		{http.MethodPost, "/v1/admin/accounts/" + target.String() + "/suspend", nil},
		{http.MethodPost, "/v1/admin/accounts/" + target.String() + "/resume", nil},
		{http.MethodGet, "/v1/admin/snapshot", nil},
		{http.MethodPost, "/v1/admin/compact", nil},
	}
}

func TestAdmin_SuspendResume(t *testing.T) {
	ts := newIdentServer(t, Config{}, nil)
	admin := newAdmin(t, ts, "root")
	a := registerAndLogin(t, ts, "alice", store.RolePatient, "")
	suspend := "/v1/admin/accounts/" + a.ID.String() + "/suspend"
	resume := "/v1/admin/accounts/" + a.ID.String() + "/resume"

	wantStatus(t, a.do(t, http.MethodGet, "/v1/accounts/"+a.ID.String(), nil), http.StatusOK)
	var out map[string]any
	decodeResponse(t, admin.do(t, http.MethodPost, suspend, nil), http.StatusOK, &out)
	if out["status"] != "suspended" || out["account_id"] != a.ID.String() {
		t.Errorf("POST suspend = %v, want alice suspended", out)
	}
	wantStatus(t, a.do(t, http.MethodGet, "/v1/accounts/"+a.ID.String(), nil), http.StatusUnauthorized)
	wantError(t, a.session(t, a.authObject(t, a.Device, a.challenge(t, a.DeviceID))), http.StatusForbidden, "suspended")
	// Others still see the account, marked suspended.
	var view api.Account
	decodeResponse(t, admin.do(t, http.MethodGet, "/v1/accounts/"+a.ID.String(), nil), http.StatusOK, &view)
	if store.Status(view.Status) != store.StatusSuspended {
		t.Errorf("status of a suspended account = %q, want suspended", view.Status)
	}

	wantStatus(t, admin.do(t, http.MethodPost, resume, nil), http.StatusOK)
	wantStatus(t, a.do(t, http.MethodGet, "/v1/accounts/"+a.ID.String(), nil), http.StatusUnauthorized) // sessions stay ended
	a.Token = a.login(t, a.Device)
	wantStatus(t, a.do(t, http.MethodGet, "/v1/accounts/"+a.ID.String(), nil), http.StatusOK)

	wantError(t, admin.do(t, http.MethodPost, "/v1/admin/accounts/"+admin.ID.String()+"/suspend", nil), http.StatusConflict, "self_suspend")
	wantStatus(t, admin.do(t, http.MethodPost, "/v1/admin/accounts/"+strings.Repeat("ab", 32)+"/suspend", nil), http.StatusNotFound)
	wantStatus(t, admin.do(t, http.MethodPost, "/v1/admin/accounts/"+strings.Repeat("AB", 32)+"/suspend", nil), http.StatusNotFound)
}

func TestGetSnapshot(t *testing.T) {
	ts := newIdentServer(t, Config{}, nil)
	admin := newAdmin(t, ts, "root")
	a := registerAndLogin(t, ts, "alice", store.RolePatient, "")

	resp := admin.do(t, http.MethodGet, "/v1/admin/snapshot", nil)
	wantStatus(t, resp, http.StatusOK)
	if ct := resp.Header.Get("Content-Type"); ct != "application/octet-stream" {
		t.Errorf("snapshot Content-Type = %q, want application/octet-stream", ct)
	}
	snap, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(snap)
	if got := resp.Trailer.Get(snapshotTrailer); got != hex.EncodeToString(sum[:]) {
		t.Errorf("snapshot trailer %s = %q, want the SHA-256 of the body", snapshotTrailer, got)
	}

	// The snapshot is a bbolt file: restore it into a fresh store.
	st, err := bolt.Open(filepath.Join(t.TempDir(), "restored.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Restore(t.Context(), bytes.NewReader(snap)); err != nil {
		t.Fatalf("Restore(snapshot) = %v", err)
	}
	if err := st.Check(t.Context()); err != nil {
		t.Errorf("Check(restored) = %v", err)
	}
	for _, acct := range []*testAccount{admin, a} {
		got, err := st.AccountByHandle(t.Context(), acct.Handle)
		if err != nil || got.ID != acct.ID || !bytes.Equal(got.KeyCard.Signed, acct.Card.Marshal()) {
			t.Errorf("restored AccountByHandle(%s) = %+v, %v; want the account", acct.Handle, got.ID, err)
		}
	}
}

func TestBootstrap(t *testing.T) {
	ts := newIdentServer(t, Config{}, nil)
	dir := t.TempDir()
	created, err := ts.Bootstrap(t.Context(), dir)
	if err != nil || !created {
		t.Fatalf("Bootstrap(new store) = %v, %v; want true, nil", created, err)
	}
	path := filepath.Join(dir, BootstrapFile)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode of %s = %v, want 0600", BootstrapFile, fi.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	code := strings.TrimSpace(string(b))
	if len(code) != 26 {
		t.Fatalf("bootstrap code = %q, want 26 characters", code)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("data directory holds %d entries, want only %s", len(entries), BootstrapFile)
	}

	// A second start (even with the file gone) makes nothing.
	os.Remove(path)
	created, err = ts.Bootstrap(t.Context(), dir)
	if err != nil || created {
		t.Errorf("Bootstrap(again) = %v, %v; want false, nil", created, err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("Bootstrap(again) wrote %s", BootstrapFile)
	}

	// The code registers an admin, once, and only as an admin.
	p := newTestIdentity(t, ts, "not-admin")
	p.Role = store.RoleClinician
	wantError(t, p.do(t, http.MethodPost, "/v1/accounts", p.registration(t, code)), http.StatusForbidden, "bad_invite")
	admin := registerAndLogin(t, ts, "root", store.RoleAdmin, code)
	wantStatus(t, admin.do(t, http.MethodPost, "/v1/admin/invites", map[string]any{"role": "admin"}), http.StatusCreated)
	q := newTestIdentity(t, ts, "second-root")
	q.Role = store.RoleAdmin
	wantError(t, q.do(t, http.MethodPost, "/v1/accounts", q.registration(t, code)), http.StatusForbidden, "bad_invite")
}

func TestBootstrap_UnwritableDir(t *testing.T) {
	ts := newIdentServer(t, Config{}, nil)
	dir := filepath.Join(t.TempDir(), "missing")
	if _, err := ts.Bootstrap(t.Context(), dir); err == nil {
		t.Fatalf("Bootstrap(missing dir) = nil, want an error")
	}
	// Nothing was marked: the next start, with the directory there, makes it.
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if created, err := ts.Bootstrap(t.Context(), dir); err != nil || !created {
		t.Errorf("Bootstrap(after a failure) = %v, %v; want true, nil", created, err)
	}
}

func FuzzAdminInvite(f *testing.F) {
	ts := newIdentServer(f, Config{}, nil)
	admin := newAdmin(f, ts, "root")
	f.Add([]byte(`{"role":"clinician"}`))
	f.Add([]byte(`{"role":"admin","ttl_seconds":3600}`))
	f.Add([]byte(`{"role":"admin","ttl_seconds":1e30}`))
	f.Add([]byte(`{"role":"","ttl_seconds":-1}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzHandler(t, ts, admin.Token, http.MethodPost, "/v1/admin/invites", body)
	})
}

// The admin routes do not decode bodies, but a body must not trouble them.
func FuzzAdminStatus(f *testing.F) {
	ts := newIdentServer(f, Config{}, nil)
	admin := newAdmin(f, ts, "root")
	a := registerAndLogin(f, ts, "alice", store.RolePatient, "")
	seed, _ := json.Marshal(map[string]string{"status": "suspended"})
	f.Add(a.ID.String(), "suspend", seed)
	f.Add(admin.ID.String(), "resume", []byte{})
	f.Add(strings.Repeat("0", 64), "suspend", []byte("x"))
	f.Fuzz(func(t *testing.T, id, op string, body []byte) {
		if strings.ContainsAny(id+op, "/?#% \x00") || len(id) > 100 || len(op) > 100 {
			return
		}
		fuzzHandler(t, ts, admin.Token, http.MethodPost, "/v1/admin/accounts/"+id+"/"+op, body)
	})
}
