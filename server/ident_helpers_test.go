package server

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/internal/grant"
	"github.com/blindvault/blindvault/server/store"
)

// testAccount is a client of one account: its identity keys and card, one
// enrolled device, and a session token once logged in.
type testAccount struct {
	ID        store.AccountID
	Handle    string
	Role      store.Role
	Identity  ed25519.PrivateKey // the identity signing key of Card
	XWingSeed []byte             // the identity's X-Wing private key seed
	Card      *format.KeyCard    // the current key card
	Device    ed25519.PrivateKey // the enrolled device key
	DeviceID  store.DeviceID
	// BackupAuth is the backup auth key whose public half is in OPRFSetup
	// (0x01 ‖ public key), as the backup endpoints expect.
	BackupAuth ed25519.PrivateKey
	OPRFSetup  []byte
	Token      string // bearer token of the last login

	ts *testServer
}

// registerAndLogin registers an account with a fresh identity and device on
// ts (with invite, if not empty), logs the device in, and fails the test on
// any error.
func registerAndLogin(t testing.TB, ts *testServer, handle string, role store.Role, invite string) *testAccount {
	t.Helper()
	a := newTestIdentity(t, ts, handle)
	a.Role = role
	resp := a.do(t, http.MethodPost, "/v1/accounts", a.registration(t, invite))
	wantStatus(t, resp, http.StatusCreated)
	a.Token = a.login(t, a.Device)
	return a
}

// newTestIdentity makes the keys, first key card and device certificate of a
// new account without registering it.
func newTestIdentity(t testing.TB, ts *testServer, handle string) *testAccount {
	t.Helper()
	seed, xpk, err := grant.GenerateXWing()
	if err != nil {
		t.Fatal(err)
	}
	_, ident, _ := ed25519.GenerateKey(rand.Reader)
	_, dev, _ := ed25519.GenerateKey(rand.Reader)
	_, backupAuth, _ := ed25519.GenerateKey(rand.Reader)
	card := &format.KeyCard{
		Handle: handle, Ed25519PK: [32]byte(ident.Public().(ed25519.PublicKey)),
		XWingPK: xpk, Seq: 1, Created: uint64(ts.now().Unix()),
	}
	rand.Read(card.AccountID[:])
	if err := card.Sign(ident); err != nil {
		t.Fatalf("KeyCard.Sign: %v", err)
	}
	return &testAccount{
		ID: store.AccountID(card.AccountID), Handle: handle, Role: store.RolePatient,
		Identity: ident, XWingSeed: seed, Card: card,
		Device: dev, DeviceID: store.DeviceID(dev.Public().(ed25519.PublicKey)),
		BackupAuth: backupAuth, OPRFSetup: testOPRFSetup(backupAuth.Public().(ed25519.PublicKey), backupAuth.Public().(ed25519.PublicKey)),
		ts: ts,
	}
}

// registration is the POST /v1/accounts body for a.
func (a *testAccount) registration(t testing.TB, invite string) map[string]any {
	t.Helper()
	return map[string]any{
		"key_card":    a.Card.Marshal(),
		"device_cert": a.deviceCert(t, a.Device),
		"backup":      []byte("opaque key backup of " + a.Handle),
		"oprf_setup":  a.OPRFSetup,
		"role":        a.Role,
		"invite":      invite,
	}
}

// deviceCert certifies dev with a's current identity key, valid for a year.
func (a *testAccount) deviceCert(t testing.TB, dev ed25519.PrivateKey) []byte {
	t.Helper()
	now := uint64(a.ts.now().Unix())
	c := &format.DeviceCert{
		DevicePK: [32]byte(dev.Public().(ed25519.PublicKey)), AccountID: a.Card.AccountID,
		IdentityFP: a.Card.Fingerprint(), Created: now, NotAfter: now + 365*24*3600,
	}
	if err := c.Sign(a.Identity); err != nil {
		t.Fatalf("DeviceCert.Sign: %v", err)
	}
	return c.Marshal()
}

// revocation revokes dev with a's current identity key.
func (a *testAccount) revocation(t testing.TB, dev store.DeviceID) []byte {
	t.Helper()
	r := &format.DeviceRevocation{
		DevicePK: dev, AccountID: a.Card.AccountID, IdentityFP: a.Card.Fingerprint(),
		RevokedAt: uint64(a.ts.now().Unix()),
	}
	if err := r.Sign(a.Identity); err != nil {
		t.Fatalf("DeviceRevocation.Sign: %v", err)
	}
	return r.Marshal()
}

// challenge asks for a nonce for a's account and device dev.
func (a *testAccount) challenge(t testing.TB, dev store.DeviceID) [32]byte {
	t.Helper()
	resp := a.ts.request(t, "", http.MethodPost, "/v1/auth/challenge",
		map[string]string{"account_id": a.ID.String(), "device_id": dev.String()})
	var out api.Challenge
	decodeResponse(t, resp, http.StatusOK, &out)
	if len(out.Nonce) != 32 {
		t.Fatalf("challenge nonce is %d bytes, want 32", len(out.Nonce))
	}
	return [32]byte(out.Nonce)
}

// authObject is a signed auth object of device dev for a, over nonce.
func (a *testAccount) authObject(t testing.TB, dev ed25519.PrivateKey, nonce [32]byte) *format.Auth {
	t.Helper()
	o := &format.Auth{
		Origin: a.ts.cfg.Origin, AccountID: a.ID, DevicePK: [32]byte(dev.Public().(ed25519.PublicKey)),
		Nonce: nonce, Expiry: uint64(a.ts.now().Add(time.Minute).Unix()),
	}
	if err := o.Sign(dev); err != nil {
		t.Fatalf("Auth.Sign: %v", err)
	}
	return o
}

// session posts a signed auth object and returns the response.
func (a *testAccount) session(t testing.TB, o *format.Auth) *http.Response {
	t.Helper()
	return a.ts.request(t, "", http.MethodPost, "/v1/auth/session", map[string]any{"auth": o.Marshal()})
}

// login runs the whole challenge–response for device dev and returns the token.
func (a *testAccount) login(t testing.TB, dev ed25519.PrivateKey) string {
	t.Helper()
	nonce := a.challenge(t, store.DeviceID(dev.Public().(ed25519.PublicKey)))
	var out api.Session
	decodeResponse(t, a.session(t, a.authObject(t, dev, nonce)), http.StatusCreated, &out)
	if out.Token == "" {
		t.Fatal("session token is empty")
	}
	return out.Token
}

// do sends a request with a's bearer token. body is nil (no body), []byte or
// an io.Reader (sent as is), or anything else (sent as JSON).
func (a *testAccount) do(t testing.TB, method, path string, body any) *http.Response {
	t.Helper()
	return a.ts.request(t, a.Token, method, path, body)
}

// request sends a request to ts, with a bearer token if token is not empty.
func (ts *testServer) request(t testing.TB, token, method, path string, body any) *http.Response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case io.Reader:
		rd = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, ts.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := ts.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// apiErrorCode reads the body of an error response and returns its code.
func apiErrorCode(resp *http.Response) string {
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&e)
	return e.Error.Code
}

// wantStatus fails the test unless resp has status want; it reports the error
// code of the body when it does not.
func wantStatus(t testing.TB, resp *http.Response, want int) {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("%s %s = %d (%s), want %d", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, apiErrorCode(resp), want)
	}
}

// wantError fails the test unless resp has status and error code.
func wantError(t testing.TB, resp *http.Response, status int, code string) {
	t.Helper()
	got := apiErrorCode(resp)
	if resp.StatusCode != status || (code != "" && got != code) {
		t.Errorf("%s %s = %d %q, want %d %q", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, got, status, code)
	}
}

// decodeResponse checks the status and decodes the JSON body into v.
func decodeResponse(t testing.TB, resp *http.Response, status int, v any) {
	t.Helper()
	wantStatus(t, resp, status)
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("%s %s: decoding the response: %v", resp.Request.Method, resp.Request.URL.Path, err)
	}
}

// testInvite stores an invite for role directly in ts's store and returns its
// code, for tests that need one without an admin.
func testInvite(t testing.TB, ts *testServer, role store.Role, ttl time.Duration) string {
	t.Helper()
	code, hash := ts.newInviteCode()
	now := ts.now()
	if err := ts.Store.PutInvite(t.Context(), store.Invite{CodeHash: hash, Role: role, Created: now, Expires: now.Add(ttl)}); err != nil {
		t.Fatal(err)
	}
	return code
}

// testClock is a clock tests move by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

// newTestClock starts at the current whole second, so that times survive JSON
// and store round trips unchanged in exact comparisons.
func newTestClock() *testClock { return &testClock{t: time.Now().Truncate(time.Second)} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newIdentServer is a test server without rate limits (the tests here send
// bursts), on clock (time.Now if nil).
func newIdentServer(t testing.TB, cfg Config, clock *testClock) *testServer {
	t.Helper()
	cfg.RateAddress, cfg.RateAccount = RateLimit{Rate: -1}, RateLimit{Rate: -1}
	if clock != nil {
		cfg.Now = clock.Now
	}
	return newTestServer(t, cfg)
}

// b64 is how binary objects travel in JSON.
func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
