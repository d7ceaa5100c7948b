package server

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/server/store"
)

func TestPostSession_Login(t *testing.T) {
	clock := newTestClock()
	ts := newIdentServer(t, Config{}, clock)
	a := newTestIdentity(t, ts, "alice")
	wantStatus(t, a.do(t, http.MethodPost, "/v1/accounts", a.registration(t, "")), http.StatusCreated)

	nonce := a.challenge(t, a.DeviceID)
	var out api.Session
	decodeResponse(t, a.session(t, a.authObject(t, a.Device, nonce)), http.StatusCreated, &out)
	now := clock.Now()
	if !out.IdleExpiry.Equal(now.Add(ts.cfg.SessionIdle)) || !out.AbsoluteExpiry.Equal(now.Add(ts.cfg.SessionAbsolute)) {
		t.Errorf("session expiries = %v, %v; want now + %v, now + %v", out.IdleExpiry, out.AbsoluteExpiry, ts.cfg.SessionIdle, ts.cfg.SessionAbsolute)
	}
	raw, ok := bearerToken(&http.Request{Header: http.Header{"Authorization": {"Bearer " + out.Token}}})
	if !ok || len(raw) != 32 {
		t.Fatalf("token %q is not 32 bytes of base64url", out.Token)
	}
	// The store holds the token's hash, not the token.
	sess, err := ts.Store.Session(t.Context(), ts.tokenHash(raw))
	if err != nil || sess.Account != a.ID || sess.Device != a.DeviceID {
		t.Fatalf("Store.Session(hash(token)) = %+v, %v; want the session of alice's device", sess, err)
	}
	if _, err := ts.Store.Session(t.Context(), store.Hash(raw)); !isNotFound(err) {
		t.Errorf("Store.Session(token) = %v, want not found: the raw token is stored", err)
	}
	a.Token = out.Token
	wantStatus(t, a.do(t, http.MethodGet, "/v1/accounts/"+a.ID.String(), nil), http.StatusOK)
}

func TestPostChallenge_BadRequest(t *testing.T) {
	ts := newIdentServer(t, Config{}, nil)
	id := strings.Repeat("ab", 32)
	for name, body := range map[string]any{
		"shortAccount":   map[string]string{"account_id": "abcd", "device_id": id},
		"upperAccount":   map[string]string{"account_id": strings.ToUpper(id), "device_id": id},
		"zeroDevice":     map[string]string{"account_id": id, "device_id": strings.Repeat("0", 64)},
		"missingDevice":  map[string]string{"account_id": id},
		"unknownField":   map[string]string{"account_id": id, "device_id": id, "x": "y"},
		"notJSON":        []byte("account_id=1"),
		"twoObjects":     []byte(`{"account_id":"` + id + `","device_id":"` + id + `"}{}`),
		"base64NotHexID": map[string]string{"account_id": b64(make([]byte, 32)), "device_id": id},
	} {
		resp := ts.request(t, "", http.MethodPost, "/v1/auth/challenge", body)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("POST /v1/auth/challenge (%s) = %d, want 400", name, resp.StatusCode)
		}
	}
	big := bytes.Repeat([]byte(" "), maxJSON+1)
	wantError(t, ts.request(t, "", http.MethodPost, "/v1/auth/challenge", big), http.StatusRequestEntityTooLarge, "too_large")
}

// Every way a session request can be wrong is refused, and none of them uses
// up the nonce of the device's real login.
func TestPostSession_Refused(t *testing.T) {
	clock := newTestClock()
	ts := newIdentServer(t, Config{}, clock)
	a := registerAndLogin(t, ts, "alice", store.RolePatient, "")
	b := registerAndLogin(t, ts, "bob", store.RolePatient, "")
	_, stranger, _ := ed25519.GenerateKey(rand.Reader)

	// A second device of alice's, enrolled then revoked.
	_, revoked, _ := ed25519.GenerateKey(rand.Reader)
	revokedID := store.DeviceID(revoked.Public().(ed25519.PublicKey))
	wantStatus(t, a.do(t, http.MethodPost, "/v1/devices", map[string]any{"device_cert": a.deviceCert(t, revoked)}), http.StatusCreated)
	wantStatus(t, a.do(t, http.MethodPost, "/v1/devices/"+revokedID.String()+"/revoke",
		map[string]any{"revocation": a.revocation(t, revokedID)}), http.StatusOK)

	// A third device whose certificate expires in an hour.
	_, shortLived, _ := ed25519.GenerateKey(rand.Reader)
	cert := &format.DeviceCert{
		DevicePK: [32]byte(shortLived.Public().(ed25519.PublicKey)), AccountID: a.ID, IdentityFP: a.Card.Fingerprint(),
		Created: uint64(clock.Now().Unix()), NotAfter: uint64(clock.Now().Add(time.Hour).Unix()),
	}
	if err := cert.Sign(a.Identity); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, a.do(t, http.MethodPost, "/v1/devices", map[string]any{"device_cert": cert.Marshal()}), http.StatusCreated)

	resign := func(o *format.Auth, key ed25519.PrivateKey) *format.Auth {
		o.Signature = ed25519.Sign(key, format.Message(format.PurposeAuth, o.Body()))
		return o
	}
	cases := []struct {
		name   string
		auth   func(t *testing.T) *format.Auth
		status int
		code   string
	}{
		{"expired", func(t *testing.T) *format.Auth {
			o := a.authObject(t, a.Device, a.challenge(t, a.DeviceID))
			o.Expiry = uint64(clock.Now().Unix())
			return resign(o, a.Device)
		}, 401, "auth_expired"},
		{"expiresTooLate", func(t *testing.T) *format.Auth {
			o := a.authObject(t, a.Device, a.challenge(t, a.DeviceID))
			o.Expiry = uint64(clock.Now().Add(maxAuthAhead + time.Minute).Unix())
			return resign(o, a.Device)
		}, 401, "auth_expiry_too_far"},
		{"forgedSignature", func(t *testing.T) *format.Auth {
			return resign(a.authObject(t, a.Device, a.challenge(t, a.DeviceID)), stranger)
		}, 401, "bad_signature"},
		{"signedByIdentityKey", func(t *testing.T) *format.Auth {
			return resign(a.authObject(t, a.Device, a.challenge(t, a.DeviceID)), a.Identity)
		}, 401, "bad_signature"},
		{"wrongOrigin", func(t *testing.T) *format.Auth {
			o := a.authObject(t, a.Device, a.challenge(t, a.DeviceID))
			o.Origin = "https://other.example"
			return resign(o, a.Device)
		}, 401, "wrong_origin"},
		{"originTrailingSlash", func(t *testing.T) *format.Auth {
			o := a.authObject(t, a.Device, a.challenge(t, a.DeviceID))
			o.Origin += "/"
			return resign(o, a.Device)
		}, 401, "wrong_origin"},
		{"nonceNotIssued", func(t *testing.T) *format.Auth {
			var n [32]byte
			rand.Read(n[:])
			return a.authObject(t, a.Device, n)
		}, 401, "bad_nonce"},
		{"nonceForAnotherDevice", func(t *testing.T) *format.Auth {
			return a.authObject(t, a.Device, a.challenge(t, revokedID))
		}, 401, "bad_nonce"},
		{"nonceForAnotherAccount", func(t *testing.T) *format.Auth {
			return a.authObject(t, a.Device, b.challenge(t, a.DeviceID))
		}, 401, "bad_nonce"},
		{"nonceExpired", func(t *testing.T) *format.Auth {
			n := a.challenge(t, a.DeviceID)
			clock.Add(challengeTTL)
			return a.authObject(t, a.Device, n)
		}, 401, "bad_nonce"},
		{"unknownDevice", func(t *testing.T) *format.Auth {
			return a.authObject(t, stranger, a.challenge(t, store.DeviceID(stranger.Public().(ed25519.PublicKey))))
		}, 401, "unknown_device"},
		{"otherAccountsDevice", func(t *testing.T) *format.Auth {
			// Bob's device, signing for alice's account.
			return a.authObject(t, b.Device, a.challenge(t, b.DeviceID))
		}, 401, "unknown_device"},
		{"revokedDevice", func(t *testing.T) *format.Auth {
			return a.authObject(t, revoked, a.challenge(t, revokedID))
		}, 401, "device_revoked"},
		{"expiredDeviceCert", func(t *testing.T) *format.Auth {
			clock.Add(time.Hour)
			id := store.DeviceID(shortLived.Public().(ed25519.PublicKey))
			return a.authObject(t, shortLived, a.challenge(t, id))
		}, 401, "device_expired"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, a.session(t, tc.auth(t)), tc.status, tc.code)
		})
	}
	t.Run("malformed", func(t *testing.T) {
		for name, body := range map[string]any{
			"notBase64":    map[string]string{"auth": "%%%"},
			"garbage":      map[string]any{"auth": []byte("garbage")},
			"empty":        map[string]any{"auth": []byte{}},
			"deviceCert":   map[string]any{"auth": a.deviceCert(t, a.Device)},
			"unknownField": map[string]any{"auth": []byte{}, "token": "x"},
		} {
			resp := ts.request(t, "", http.MethodPost, "/v1/auth/session", body)
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("POST /v1/auth/session (%s) = %d, want 400", name, resp.StatusCode)
			}
		}
	})
	// After all that, the device still logs in.
	a.login(t, a.Device)
}

func TestPostSession_Replay(t *testing.T) {
	ts := newIdentServer(t, Config{}, nil)
	a := registerAndLogin(t, ts, "alice", store.RolePatient, "")
	o := a.authObject(t, a.Device, a.challenge(t, a.DeviceID))
	wantStatus(t, a.session(t, o), http.StatusCreated)
	wantError(t, a.session(t, o), http.StatusUnauthorized, "nonce_used")
	// Re-signed with a later expiry: the nonce is still spent.
	o.Expiry++
	if err := o.Sign(a.Device); err != nil {
		t.Fatal(err)
	}
	wantError(t, a.session(t, o), http.StatusUnauthorized, "nonce_used")
}

// Concurrent redemptions of one auth object open one session.
func TestPostSession_ReplayConcurrent(t *testing.T) {
	ts := newIdentServer(t, Config{}, nil)
	a := registerAndLogin(t, ts, "alice", store.RolePatient, "")
	o := a.authObject(t, a.Device, a.challenge(t, a.DeviceID))
	const n = 8
	codes := make(chan int, n)
	for range n {
		go func() {
			req := httptest.NewRequest(http.MethodPost, "/v1/auth/session",
				strings.NewReader(`{"auth":"`+b64(o.Marshal())+`"}`))
			rec := httptest.NewRecorder()
			ts.Handler().ServeHTTP(rec, req)
			codes <- rec.Code
		}()
	}
	created := 0
	for range n {
		if <-codes == http.StatusCreated {
			created++
		}
	}
	if created != 1 {
		t.Errorf("%d concurrent POST /v1/auth/session of one auth object = %d sessions, want 1", n, created)
	}
}

func TestPostSession_SuspendedAccount(t *testing.T) {
	ts := newIdentServer(t, Config{}, nil)
	a := registerAndLogin(t, ts, "alice", store.RolePatient, "")
	if err := ts.Store.SetAccountStatus(t.Context(), a.ID, store.StatusSuspended); err != nil {
		t.Fatal(err)
	}
	wantError(t, a.session(t, a.authObject(t, a.Device, a.challenge(t, a.DeviceID))), http.StatusForbidden, "suspended")
}

// Tokens that must not work: garbage, after logout, of a suspended account,
// of a revoked device, and of an expired session.
func TestAuthenticate_Refused(t *testing.T) {
	clock := newTestClock()
	ts := newIdentServer(t, Config{SessionIdle: 10 * time.Minute, SessionAbsolute: time.Hour}, clock)
	a := registerAndLogin(t, ts, "alice", store.RolePatient, "")
	path := "/v1/accounts/" + a.ID.String()
	get := func(t *testing.T, header string) *http.Response {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, ts.URL+path, nil)
		if header != "" {
			req.Header.Set("Authorization", header)
		}
		resp, err := ts.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	t.Run("garbage", func(t *testing.T) {
		raw, _ := bearerToken(&http.Request{Header: http.Header{"Authorization": {"Bearer " + a.Token}}})
		flipped := bytes.Clone(raw)
		flipped[0] ^= 1
		_, fresh := newToken()
		for _, h := range []string{
			"", "Bearer", "Bearer ", "Bearer x", "bearer " + a.Token, "Basic " + a.Token, a.Token,
			"Bearer " + a.Token + "=", "Bearer " + b64(raw), "Bearer " + a.Token[:len(a.Token)-1],
			"Bearer " + strings.Repeat("A", 4096), "Bearer " + fresh,
			"Bearer " + strings.TrimRight(b64(flipped), "="),
		} {
			if resp := get(t, h); resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("GET with Authorization %.40q = %d, want 401", h, resp.StatusCode)
			}
		}
		wantStatus(t, get(t, "Bearer "+a.Token), http.StatusOK)
	})
	t.Run("logout", func(t *testing.T) {
		tok := a.login(t, a.Device)
		wantStatus(t, ts.request(t, tok, http.MethodPost, "/v1/auth/logout", nil), http.StatusNoContent)
		wantStatus(t, get(t, "Bearer "+tok), http.StatusUnauthorized)
		wantStatus(t, ts.request(t, tok, http.MethodPost, "/v1/auth/logout", nil), http.StatusUnauthorized)
		wantStatus(t, get(t, "Bearer "+a.Token), http.StatusOK) // other sessions live on
	})
	t.Run("idleExpiry", func(t *testing.T) {
		tok := a.login(t, a.Device)
		clock.Add(9 * time.Minute)
		wantStatus(t, get(t, "Bearer "+tok), http.StatusOK) // moves the idle expiry
		clock.Add(9 * time.Minute)
		wantStatus(t, get(t, "Bearer "+tok), http.StatusOK)
		clock.Add(10 * time.Minute)
		wantStatus(t, get(t, "Bearer "+tok), http.StatusUnauthorized)
	})
	t.Run("absoluteExpiry", func(t *testing.T) {
		tok := a.login(t, a.Device)
		for range 6 {
			clock.Add(9 * time.Minute)
			wantStatus(t, get(t, "Bearer "+tok), http.StatusOK)
		}
		clock.Add(7 * time.Minute) // 61 minutes, used every 9
		wantStatus(t, get(t, "Bearer "+tok), http.StatusUnauthorized)
	})
	t.Run("revokedDevice", func(t *testing.T) {
		_, dev, _ := ed25519.GenerateKey(rand.Reader)
		id := store.DeviceID(dev.Public().(ed25519.PublicKey))
		tok := a.login(t, a.Device)
		wantStatus(t, ts.request(t, tok, http.MethodPost, "/v1/devices", map[string]any{"device_cert": a.deviceCert(t, dev)}), http.StatusCreated)
		devTok := a.login(t, dev)
		wantStatus(t, get(t, "Bearer "+devTok), http.StatusOK)
		wantStatus(t, ts.request(t, tok, http.MethodPost, "/v1/devices/"+id.String()+"/revoke",
			map[string]any{"revocation": a.revocation(t, id)}), http.StatusOK)
		wantStatus(t, get(t, "Bearer "+devTok), http.StatusUnauthorized)
		wantStatus(t, get(t, "Bearer "+tok), http.StatusOK)
	})
	t.Run("suspended", func(t *testing.T) {
		tok := a.login(t, a.Device)
		if err := ts.Store.SetAccountStatus(t.Context(), a.ID, store.StatusSuspended); err != nil {
			t.Fatal(err)
		}
		wantStatus(t, get(t, "Bearer "+tok), http.StatusUnauthorized)
		if err := ts.Store.SetAccountStatus(t.Context(), a.ID, store.StatusActive); err != nil {
			t.Fatal(err)
		}
		// Suspension ended the session for good.
		wantStatus(t, get(t, "Bearer "+tok), http.StatusUnauthorized)
	})
}

func TestChallenges_Redeem_Bounded(t *testing.T) {
	c := newChallenges()
	now := time.Now()
	acct, dev := store.AccountID{1}, store.DeviceID{2}
	var last [32]byte
	for range maxUsedNonces {
		n, _ := c.issue(acct, dev, now)
		if err := c.redeem(n, now); err != nil {
			t.Fatalf("redeem = %v", err)
		}
		last = n
	}
	n, _ := c.issue(acct, dev, now)
	if err := c.redeem(n, now); err != errNoncesFull {
		t.Errorf("redeem(one past the bound) = %v, want errNoncesFull", err)
	}
	if err := c.redeem(last, now); err != errNonceUsed {
		t.Errorf("redeem(used) = %v, want errNonceUsed", err)
	}
	// Once the used nonces have expired they are swept and there is room.
	later := now.Add(challengeTTL)
	n, _ = c.issue(acct, dev, later)
	if err := c.redeem(n, later); err != nil {
		t.Errorf("redeem(after expiry of the others) = %v, want nil", err)
	}
	if len(c.used) != 1 {
		t.Errorf("len(used) after the sweep = %d, want 1", len(c.used))
	}
}

// fuzzHandler sends one request through the whole handler and fails on a 5xx
// or a panic (which the middleware turns into a 500). Paths that no HTTP client
// could send (control characters) are skipped: net/http rejects them first.
func fuzzHandler(t *testing.T, ts *testServer, token, method, path string, body []byte) {
	if _, err := url.ParseRequestURI(path); err != nil {
		return
	}
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	ts.Handler().ServeHTTP(rec, req)
	if rec.Code >= 500 {
		t.Fatalf("%s %s with %q = %d %s", method, path, body, rec.Code, rec.Body.Bytes())
	}
}

func FuzzAuthChallenge(f *testing.F) {
	ts := newIdentServer(f, Config{}, nil)
	id := strings.Repeat("ab", 32)
	f.Add([]byte(`{"account_id":"` + id + `","device_id":"` + id + `"}`))
	f.Add([]byte(`{"account_id":"` + id + `"}`))
	f.Add([]byte(`{"account_id":1,"device_id":null}`))
	f.Add([]byte(`[]`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzHandler(t, ts, "", http.MethodPost, "/v1/auth/challenge", body)
	})
}

func FuzzAuthSession(f *testing.F) {
	ts := newIdentServer(f, Config{}, nil)
	a := registerAndLogin(f, ts, "alice", store.RolePatient, "")
	valid := a.authObject(f, a.Device, a.challenge(f, a.DeviceID))
	seed := func(o *format.Auth) []byte {
		j, _ := json.Marshal(map[string]any{"auth": o.Marshal()})
		return j
	}
	f.Add(seed(valid))
	other := *valid
	other.Origin = strings.Repeat("o", format.MaxOriginSize)
	f.Add(seed(&other))
	f.Add([]byte(`{"auth":"AAAA"}`))
	f.Add([]byte(`{"auth":""}`))
	f.Add([]byte(`{"auth":null}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"auth":"` + b64(valid.Marshal()) + `"} trailing`))
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzHandler(t, ts, "", http.MethodPost, "/v1/auth/session", body)
	})
}

// A session's idle expiry is written back at most once a minute: requests in
// between make no commit, and one after that makes one and moves the expiry.
func TestAuthenticate_TouchIsThrottled(t *testing.T) {
	clk := newTestClock()
	ts := newIdentServer(t, Config{}, clk)
	a := newRecAccount(t, ts, "alice")
	commits := func() uint64 { return ts.Store.CommitStats().Commits }
	idle := func() time.Time {
		raw, err := base64.RawURLEncoding.DecodeString(a.token)
		if err != nil {
			t.Fatal(err)
		}
		x, err := ts.Store.Session(t.Context(), ts.tokenHash(raw))
		if err != nil {
			t.Fatal(err)
		}
		return x.IdleExpiry
	}
	before, exp := commits(), idle()
	for range 3 {
		clk.Add(10 * time.Second)
		a.get(t, "/v1/records").want(t, "list", http.StatusOK)
	}
	if got := commits(); got != before || !idle().Equal(exp) {
		t.Fatalf("30 s of requests made %d commits and moved the idle expiry to %v (from %v), want none", got-before, idle(), exp)
	}
	clk.Add(time.Minute)
	a.get(t, "/v1/records").want(t, "list", http.StatusOK)
	if got := commits(); got != before+1 || !idle().After(exp) {
		t.Fatalf("a request after a minute made %d commits, idle expiry %v (was %v); want one write that moves it", got-before, idle(), exp)
	}
}
