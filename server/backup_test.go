package server

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cloudflare/circl/oprf"
	"github.com/cloudflare/circl/zk/dleq"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/internal/backupwire"
	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/server/store/bolt"
)

// backupAccount is an account registered straight into the store, with the
// backup auth key a client would derive from its passphrase.
type backupAccount struct {
	id       store.AccountID
	auth     ed25519.PrivateKey // derived from the passphrase
	recovery ed25519.PrivateKey // derived from the recovery code
	blob     []byte
}

func registerBackupAccount(t *testing.T, ts *testServer) backupAccount {
	t.Helper()
	var a backupAccount
	rand.Read(a.id[:])
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	a.auth = priv
	_, a.recovery, _ = ed25519.GenerateKey(rand.Reader)
	a.blob = []byte("backup blob of " + a.id.String())
	var dev store.DeviceID
	rand.Read(dev[:])
	err := ts.Store.CreateAccount(t.Context(), store.NewAccount{
		ID: a.id, Handle: "h-" + a.id.String()[:16], Role: store.RolePatient,
		KeyCard:   store.KeyCard{Seq: 1, Signed: []byte("signed key card")},
		Device:    store.Device{ID: dev, Cert: []byte("device cert")},
		Backup:    a.blob,
		OPRFSetup: testOPRFSetup(pub, a.recovery.Public().(ed25519.PublicKey)),
		Created:   time.Now(),
	})
	if err != nil {
		t.Fatalf("CreateAccount() = %v", err)
	}
	return a
}

// backupCall sends a JSON request and decodes a JSON answer into out (if
// not nil and the status is 200).
func backupCall(t *testing.T, ts *testServer, method, path string, body any, out any) *http.Response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, ts.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := ts.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
	return resp
}

func backupPath(id store.AccountID, op string) string {
	return "/v1/backup/" + id.String() + "/" + op
}

// backupOPRF runs the client side of the VOPRF against the server: fetch the
// key, blind, evaluate, finalize with proof verification.
func backupOPRF(t *testing.T, ts *testServer, id store.AccountID, input []byte) ([]byte, error) {
	t.Helper()
	var key api.OPRFKey
	if resp := backupCall(t, ts, http.MethodGet, backupPath(id, "oprf-key"), nil, &key); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET oprf-key = %d, want 200", resp.StatusCode)
	}
	return backupOPRFWithKey(t, ts, id, key.PublicKey, input)
}

func backupOPRFWithKey(t *testing.T, ts *testServer, id store.AccountID, pkBytes, input []byte) ([]byte, error) {
	t.Helper()
	pk := new(oprf.PublicKey)
	if err := pk.UnmarshalBinary(oprf.SuiteRistretto255, pkBytes); err != nil {
		t.Fatalf("PublicKey.UnmarshalBinary(published key) = %v", err)
	}
	client := oprf.NewVerifiableClient(oprf.SuiteRistretto255, pk)
	fin, req, err := client.Blind([][]byte{input})
	if err != nil {
		t.Fatal(err)
	}
	blinded, _ := req.Elements[0].MarshalBinaryCompress()
	var ev api.Evaluated
	if resp := backupCall(t, ts, http.MethodPost, backupPath(id, "evaluate"), api.EvaluateRequest{Blinded: blinded}, &ev); resp.StatusCode != http.StatusOK {
		t.Fatalf("POST evaluate = %d, want 200", resp.StatusCode)
	}
	g := oprf.SuiteRistretto255.Group()
	e := g.NewElement()
	if err := e.UnmarshalBinary(ev.Evaluated); err != nil {
		t.Fatalf("evaluated element: %v", err)
	}
	proof := new(dleq.Proof)
	if err := proof.UnmarshalBinary(g, ev.Proof); err != nil {
		t.Fatalf("proof: %v", err)
	}
	out, err := client.Finalize(fin, &oprf.Evaluation{Elements: []oprf.Evaluated{e}, Proof: proof})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

func TestBackup_OPRFKey_IsTheDocumentedDerivation(t *testing.T) {
	ts := newTestServer(t, Config{})
	var id store.AccountID
	rand.Read(id[:])
	var key api.OPRFKey
	if resp := backupCall(t, ts, http.MethodGet, backupPath(id, "oprf-key"), nil, &key); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET oprf-key = %d, want 200", resp.StatusCode)
	}
	sk, err := oprf.DeriveKey(oprf.SuiteRistretto255, oprf.VerifiableMode, ts.cfg.Secrets.OPRFSeed, append([]byte("blindvault.v1 oprf"), id[:]...))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := sk.Public().MarshalBinary()
	if key.Suite != "ristretto255-SHA512" || !bytes.Equal(key.PublicKey, want) {
		t.Fatalf("GET oprf-key = %s %x, want ristretto255-SHA512 %x", key.Suite, key.PublicKey, want)
	}
}

func TestBackup_Evaluate_EndToEnd(t *testing.T) {
	ts := newTestServer(t, Config{})
	a := registerBackupAccount(t, ts)
	var other store.AccountID // not registered: evaluation works before registration
	rand.Read(other[:])
	input := append(a.id[:], "correct horse battery staple"...)

	out1, err := backupOPRF(t, ts, a.id, input)
	if err != nil {
		t.Fatalf("Finalize() = %v", err)
	}
	out2, err := backupOPRF(t, ts, a.id, input)
	if err != nil {
		t.Fatalf("Finalize() again = %v", err)
	}
	if !bytes.Equal(out1, out2) {
		t.Fatalf("OPRF(same input) twice = %x and %x, want equal", out1, out2)
	}
	sk, _ := ts.oprfKey(a.id)
	want, _ := oprf.NewVerifiableServer(oprf.SuiteRistretto255, sk).FullEvaluate(input)
	if !bytes.Equal(out1, want) {
		t.Fatalf("OPRF(input) = %x, want the server's full evaluation %x", out1, want)
	}
	outOther, err := backupOPRF(t, ts, other, input)
	if err != nil {
		t.Fatalf("Finalize() for another account = %v", err)
	}
	if bytes.Equal(outOther, out1) {
		t.Fatalf("OPRF(input) for two accounts = %x both, want different", out1)
	}

	// A proof made with one account's key does not verify under another's:
	// a server evaluating with the wrong key is caught.
	pkOther, _ := ts.oprfPublicKey(other)
	if _, err := backupOPRFWithKey(t, ts, a.id, pkOther, input); !errors.Is(err, oprf.ErrInvalidProof) {
		t.Fatalf("Finalize() with another account's published key = %v, want ErrInvalidProof", err)
	}
}

func TestBackup_Evaluate_RejectsBadElements(t *testing.T) {
	ts := newTestServer(t, Config{})
	var id store.AccountID
	rand.Read(id[:])
	for name, blinded := range map[string][]byte{
		"identity":      make([]byte, 32),
		"short":         make([]byte, 31),
		"non-canonical": bytes.Repeat([]byte{0xff}, 32),
		"missing":       nil,
	} {
		resp := backupCall(t, ts, http.MethodPost, backupPath(id, "evaluate"), api.EvaluateRequest{Blinded: blinded}, nil)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("POST evaluate (%s) = %d, want 400", name, resp.StatusCode)
		}
	}
	for _, p := range []string{"/v1/backup/" + strings.ToUpper(id.String()) + "/oprf-key", "/v1/backup/" + strings.Repeat("0", 64) + "/oprf-key", "/v1/backup/abc/oprf-key"} {
		if resp := backupCall(t, ts, http.MethodGet, p, nil, nil); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("GET %s = %d, want 400", p, resp.StatusCode)
		}
	}
}

// backupRelease asks for a challenge and sends a release signed by key (or a
// garbage signature if key is nil). It returns the response and the blob.
func backupRelease(t *testing.T, ts *testServer, id store.AccountID, key ed25519.PrivateKey) (*http.Response, []byte) {
	t.Helper()
	var ch api.Challenge
	if resp := backupCall(t, ts, http.MethodPost, backupPath(id, "challenge"), nil, &ch); resp.StatusCode != http.StatusOK {
		t.Fatalf("POST challenge = %d, want 200", resp.StatusCode)
	}
	return backupReleaseNonce(t, ts, id, key, ch.Nonce)
}

func backupReleaseNonce(t *testing.T, ts *testServer, id store.AccountID, key ed25519.PrivateKey, nonce []byte) (*http.Response, []byte) {
	t.Helper()
	sig := make([]byte, ed25519.SignatureSize)
	if key != nil {
		sig = ed25519.Sign(key, testReleaseMessage(id, nonce))
	}
	var out api.Released
	resp := backupCall(t, ts, http.MethodPost, backupPath(id, "release"), api.ReleaseRequest{Nonce: nonce, Signature: sig}, &out)
	return resp, out.Backup
}

// backupLockout reads an account's lockout without changing it.
func backupLockout(t *testing.T, ts *testServer, id store.AccountID) store.Lockout {
	t.Helper()
	var got store.Lockout
	stop := errors.New("read only")
	_, err := ts.Store.UpdateLockout(t.Context(), id, func(l store.Lockout) (store.Lockout, error) {
		got = l
		return l, stop
	})
	if !errors.Is(err, stop) {
		t.Fatalf("UpdateLockout() = %v", err)
	}
	return got
}

func TestBackup_Release_SignedChallenge(t *testing.T) {
	clk := newTestClock()
	ts := newTestServer(t, Config{Now: clk.Now})
	a := registerBackupAccount(t, ts)
	b := registerBackupAccount(t, ts)

	var ch api.Challenge
	if resp := backupCall(t, ts, http.MethodPost, backupPath(a.id, "challenge"), nil, &ch); resp.StatusCode != http.StatusOK {
		t.Fatalf("POST challenge = %d, want 200", resp.StatusCode)
	}
	if len(ch.Nonce) != 32 || !ch.Expires.Equal(clk.Now().Add(60*time.Second)) {
		t.Fatalf("POST challenge = %d-byte nonce expiring %v, want 32 bytes expiring in 60 s", len(ch.Nonce), ch.Expires)
	}
	resp, blob := backupReleaseNonce(t, ts, a.id, a.auth, ch.Nonce)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(blob, a.blob) {
		t.Fatalf("POST release (good signature) = %d %q, want 200 %q", resp.StatusCode, blob, a.blob)
	}
	if resp, _ := backupReleaseNonce(t, ts, a.id, a.auth, ch.Nonce); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("POST release (replayed nonce) = %d, want 401", resp.StatusCode)
	}
	// The recovery-code key releases the blob too: a lost passphrase is not a lost account.
	if resp, blob := backupRelease(t, ts, a.id, a.recovery); resp.StatusCode != http.StatusOK || !bytes.Equal(blob, a.blob) {
		t.Fatalf("POST release (recovery key) = %d %q, want 200 %q", resp.StatusCode, blob, a.blob)
	}
	if resp, _ := backupRelease(t, ts, a.id, b.recovery); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("POST release (another account's recovery key) = %d, want 401", resp.StatusCode)
	}
	if resp, _ := backupRelease(t, ts, a.id, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("POST release (bad signature) = %d, want 401", resp.StatusCode)
	}
	if resp, _ := backupRelease(t, ts, a.id, b.auth); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("POST release (another account's key) = %d, want 401", resp.StatusCode)
	}
	// b's nonce, signed correctly by a for a's account, is not a's nonce.
	var chB api.Challenge
	backupCall(t, ts, http.MethodPost, backupPath(b.id, "challenge"), nil, &chB)
	if resp, _ := backupReleaseNonce(t, ts, a.id, a.auth, chB.Nonce); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("POST release (nonce of another account) = %d, want 401", resp.StatusCode)
	}
	// An expired nonce.
	backupCall(t, ts, http.MethodPost, backupPath(a.id, "challenge"), nil, &ch)
	clk.Add(61 * time.Second)
	if resp, _ := backupReleaseNonce(t, ts, a.id, a.auth, ch.Nonce); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("POST release (expired nonce) = %d, want 401", resp.StatusCode)
	}
	// Five failures lock this address out of the account for a minute; the
	// account itself is below its own threshold.
	if got := backupLockout(t, ts, a.id); got.Failures != 5 || !got.Until.IsZero() {
		t.Fatalf("account lockout after 5 failed releases = %+v, want 5 failures, unlocked", got)
	}
	if resp, _ := backupRelease(t, ts, a.id, nil); resp.StatusCode != http.StatusTooManyRequests || retryAfter(t, resp) != 60 {
		t.Fatalf("POST release (6th failure) = %d, want 429 Retry-After 60", resp.StatusCode)
	}
	// A success from this address takes its failures off the account's count.
	clk.Add(time.Minute)
	if resp, _ := backupRelease(t, ts, a.id, a.auth); resp.StatusCode != http.StatusOK {
		t.Fatalf("POST release (good signature) = %d, want 200", resp.StatusCode)
	}
	if got := backupLockout(t, ts, a.id); got != (store.Lockout{}) {
		t.Fatalf("lockout after a success = %+v, want zero", got)
	}

	var unknown store.AccountID
	rand.Read(unknown[:])
	if resp := backupCall(t, ts, http.MethodPost, backupPath(unknown, "challenge"), nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("POST challenge (unknown account) = %d, want 404", resp.StatusCode)
	}
	if resp, _ := backupReleaseNonce(t, ts, unknown, a.auth, ch.Nonce); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("POST release (unknown account) = %d, want 404", resp.StatusCode)
	}
	if err := ts.Store.SetAccountStatus(t.Context(), b.id, store.StatusSuspended); err != nil {
		t.Fatal(err)
	}
	if resp := backupCall(t, ts, http.MethodPost, backupPath(b.id, "challenge"), nil, nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("POST challenge (suspended account) = %d, want 403", resp.StatusCode)
	}
}

func retryAfter(t *testing.T, resp *http.Response) int {
	t.Helper()
	n, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil {
		t.Fatalf("Retry-After = %q, want seconds", resp.Header.Get("Retry-After"))
	}
	return n
}

func TestBackup_Release_GrowingLockout(t *testing.T) {
	clk := newTestClock()
	logs := &lockedBuffer{}
	ts := newTestServer(t, Config{Now: clk.Now, Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	a := registerBackupAccount(t, ts)

	var secrets []string // what must never be logged
	for i := range 5 {
		var ch api.Challenge
		backupCall(t, ts, http.MethodPost, backupPath(a.id, "challenge"), nil, &ch)
		bad := make([]byte, ed25519.SignatureSize)
		rand.Read(bad)
		resp := backupCall(t, ts, http.MethodPost, backupPath(a.id, "release"), api.ReleaseRequest{Nonce: ch.Nonce, Signature: bad}, nil)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("POST release (bad signature %d) = %d, want 401", i+1, resp.StatusCode)
		}
		for _, b := range [][]byte{ch.Nonce, bad} {
			secrets = append(secrets, base64.StdEncoding.EncodeToString(b), hex.EncodeToString(b))
		}
	}
	// The address is locked for a minute: guesses are refused and not counted.
	resp, _ := backupRelease(t, ts, a.id, nil)
	if resp.StatusCode != http.StatusTooManyRequests || retryAfter(t, resp) != 60 {
		t.Fatalf("POST release after 5 failures = %d Retry-After %q, want 429 60", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	blinded := oprfTestBlinded(t)
	resp = backupCall(t, ts, http.MethodPost, backupPath(a.id, "evaluate"), api.EvaluateRequest{Blinded: blinded}, nil)
	if resp.StatusCode != http.StatusTooManyRequests || retryAfter(t, resp) != 60 {
		t.Fatalf("POST evaluate while locked = %d Retry-After %q, want 429 60", resp.StatusCode, resp.Header.Get("Retry-After"))
	}

	// The next failure doubles the lock.
	clk.Add(61 * time.Second)
	if resp, _ := backupRelease(t, ts, a.id, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("POST release (6th failure) = %d, want 401", resp.StatusCode)
	}
	if resp, _ := backupRelease(t, ts, a.id, nil); resp.StatusCode != http.StatusTooManyRequests || retryAfter(t, resp) != 120 {
		t.Fatalf("POST release after 6 failures = %d Retry-After %q, want 429 120", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// An evaluation is a guess too: it counts, and locks for twice as long.
	clk.Add(121 * time.Second)
	if resp := backupCall(t, ts, http.MethodPost, backupPath(a.id, "evaluate"), api.EvaluateRequest{Blinded: blinded}, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("POST evaluate after the lock = %d, want 200", resp.StatusCode)
	}
	if resp := backupCall(t, ts, http.MethodPost, backupPath(a.id, "evaluate"), api.EvaluateRequest{Blinded: blinded}, nil); resp.StatusCode != http.StatusTooManyRequests || retryAfter(t, resp) != 240 {
		t.Fatalf("POST evaluate after 7 failures = %d Retry-After %q, want 429 240", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if got := backupLockout(t, ts, a.id); got.Failures != 7 || !got.Until.IsZero() {
		t.Fatalf("account lockout after 7 failures from one address = %+v, want 7 failures, unlocked", got)
	}

	// A good signature is not a guess: it releases the blob even while the
	// address is locked, and takes the address's failures off the account.
	if resp, blob := backupRelease(t, ts, a.id, a.auth); resp.StatusCode != http.StatusOK || !bytes.Equal(blob, a.blob) {
		t.Fatalf("POST release (good signature, address locked) = %d, want 200 and the blob", resp.StatusCode)
	}
	if resp, _ := backupRelease(t, ts, a.id, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("POST release (bad, after reset) = %d, want 401", resp.StatusCode)
	}
	if got := backupLockout(t, ts, a.id); got.Failures != 1 || !got.Until.IsZero() {
		t.Fatalf("lockout after reset and one failure = %+v, want 1 failure, unlocked", got)
	}

	// Failures are in the log, by account id, with no nonce or signature.
	out := logs.String()
	if n := strings.Count(out, `"msg":"backup release failed"`); n != 7 {
		t.Fatalf("log has %d 'backup release failed' lines, want 7:\n%s", n, out)
	}
	if !strings.Contains(out, a.id.String()) {
		t.Fatalf("log does not name the account %s", a.id)
	}
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Fatalf("log contains a nonce or signature %s", s)
		}
	}
}

func TestBackup_Challenge_BoundedPerAddress(t *testing.T) {
	ts := newTestServer(t, Config{TrustedProxies: loopback})
	a := registerBackupAccount(t, ts)
	for i := range backupMaxNoncesPerPair {
		if resp := backupCall(t, ts, http.MethodPost, backupPath(a.id, "challenge"), nil, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("POST challenge %d = %d, want 200", i+1, resp.StatusCode)
		}
	}
	resp := backupCall(t, ts, http.MethodPost, backupPath(a.id, "challenge"), nil, nil)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("POST challenge over the limit = %d Retry-After %q, want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// The challenges one address holds do not stop another's.
	if resp := backupCall(t, ts.from("198.51.100.7"), http.MethodPost, backupPath(a.id, "challenge"), nil, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("POST challenge from another address = %d, want 200", resp.StatusCode)
	}
	// One address holds at most backupMaxNoncesPerAddress in all.
	other := ts.from("203.0.113.5")
	held := 0
	for range backupMaxNoncesPerAddress/backupMaxNoncesPerPair + 1 {
		b := registerBackupAccount(t, ts)
		for range backupMaxNoncesPerPair {
			if resp := backupCall(t, other, http.MethodPost, backupPath(b.id, "challenge"), nil, nil); resp.StatusCode == http.StatusOK {
				held++
			}
		}
	}
	if held != backupMaxNoncesPerAddress {
		t.Fatalf("one address holds %d challenges, want %d", held, backupMaxNoncesPerAddress)
	}
	// A body other than empty or {} is refused.
	req, _ := http.NewRequest(http.MethodPost, ts.URL+backupPath(a.id, "challenge"), strings.NewReader(`{"x":1}`))
	r, err := ts.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusBadRequest {
		t.Fatalf("POST challenge {\"x\":1} = %d, want 400", r.StatusCode)
	}
}

// oprfTestBlinded returns a valid blinded element.
func oprfTestBlinded(t testing.TB) []byte {
	_, req, err := oprf.NewClient(oprf.SuiteRistretto255).Blind([][]byte{[]byte("input")})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := req.Elements[0].MarshalBinaryCompress()
	return b
}

func TestBackupLockFor_Schedule(t *testing.T) {
	for _, c := range []struct {
		failures uint32
		want     time.Duration
	}{
		{0, 0}, {4, 0}, {5, time.Minute}, {6, 2 * time.Minute}, {7, 4 * time.Minute},
		{15, 1024 * time.Minute}, {16, 24 * time.Hour}, {1000, 24 * time.Hour}, {math.MaxUint32, 24 * time.Hour},
	} {
		if got := backupLockFor(c.failures, 5); got != c.want {
			t.Errorf("backupLockFor(%d, 5) = %v, want %v", c.failures, got, c.want)
		}
	}
	if got := backupLockFor(backupAccountFreeFailures-1, backupAccountFreeFailures); got != 0 {
		t.Errorf("backupLockFor(%d, %d) = %v, want 0", backupAccountFreeFailures-1, backupAccountFreeFailures, got)
	}
	if got := backupLockFor(backupAccountFreeFailures, backupAccountFreeFailures); got != time.Minute {
		t.Errorf("backupLockFor(%d, %d) = %v, want 1m", backupAccountFreeFailures, backupAccountFreeFailures, got)
	}
}

// testOPRFSetup is a version-1 set-up: 0x01 ‖ passphrase auth key ‖ recovery
// auth key. Its layout and key checks are tested in internal/backupwire.
func testOPRFSetup(pass, recovery ed25519.PublicKey) []byte {
	return backupwire.OPRFSetup(pass, recovery)
}

// testReleaseMessage is the release message for a nonce of any length: a
// nonce of other than 32 bytes is cut or zero-padded (the server refuses it
// before it verifies anything).
func testReleaseMessage(id store.AccountID, nonce []byte) []byte {
	var n [backupwire.NonceSize]byte
	copy(n[:], nonce)
	return backupwire.ReleaseMessage(id, n)
}

// FuzzBackup_Decoders sends arbitrary bodies to the backup endpoints of a
// server with rate limits off: no input may cause a 500 (a panic is
// recovered as one).
func FuzzBackup_Decoders(f *testing.F) {
	srv, st := newBackupFuzzServer(f)
	var id store.AccountID
	rand.Read(id[:])
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	var dev store.DeviceID
	rand.Read(dev[:])
	err := st.CreateAccount(f.Context(), store.NewAccount{
		ID: id, Handle: "fuzz", Role: store.RolePatient,
		KeyCard: store.KeyCard{Seq: 1, Signed: []byte("card")}, Device: store.Device{ID: dev, Cert: []byte("cert")},
		Backup: []byte("blob"), OPRFSetup: testOPRFSetup(pub, pub), Created: time.Now(),
	})
	if err != nil {
		f.Fatal(err)
	}
	nonce := make([]byte, 32)
	sig := ed25519.Sign(priv, testReleaseMessage(id, nonce))
	evaluate, _ := json.Marshal(api.EvaluateRequest{Blinded: oprfTestBlinded(f)})
	release, _ := json.Marshal(api.ReleaseRequest{Nonce: nonce, Signature: sig})
	f.Add(uint8(0), evaluate)
	f.Add(uint8(1), release)
	f.Add(uint8(2), []byte(`{}`))
	f.Add(uint8(2), []byte(``))
	f.Add(uint8(0), []byte(`{"blinded":"AAAA"}`))
	f.Add(uint8(1), []byte(`{"nonce":null,"signature":"`+strings.Repeat("A", 88)+`"}`))
	f.Add(uint8(0), []byte(`{"blinded":"`+base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xff}, 32))+`"} x`))
	ops := []string{"evaluate", "release", "challenge"}
	f.Fuzz(func(t *testing.T, op uint8, body []byte) {
		path := backupPath(id, ops[int(op)%len(ops)])
		req, _ := http.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("POST %s %q = %d, want < 500", path, body, rec.Code)
		}
	})
}

// newBackupFuzzServer is a server over a real bbolt file, driven in process,
// with rate limits off so that the fuzzer reaches the decoders.
func newBackupFuzzServer(f *testing.F) (*Server, *bolt.Store) {
	f.Helper()
	st, err := bolt.Open(filepath.Join(f.TempDir(), "blindvault.db"), nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	srv, err := New(Config{
		Store: st, Origin: "http://127.0.0.1",
		Secrets:     Secrets{OPRFSeed: randomKey(), SessionPepper: randomKey(), InvitePepper: randomKey()},
		RateAddress: RateLimit{Rate: -1}, RateAccount: RateLimit{Rate: -1},
		RateAnonymous: RateLimit{Rate: -1}, RateUnknownEvaluations: RateLimit{Rate: -1},
	})
	if err != nil {
		f.Fatal(err)
	}
	return srv, st
}

func TestServer_OPRFKey_LongSeedIsReduced(t *testing.T) {
	var id store.AccountID
	rand.Read(id[:])
	long := &Server{cfg: Config{Secrets: Secrets{OPRFSeed: bytes.Repeat([]byte{9}, 64)}}}
	short := &Server{cfg: Config{Secrets: Secrets{OPRFSeed: bytes.Repeat([]byte{9}, 32)}}}
	a, err := long.oprfPublicKey(id)
	if err != nil {
		t.Fatalf("oprfPublicKey(64-byte seed) = %v", err)
	}
	b, _ := short.oprfPublicKey(id)
	if bytes.Equal(a, b) {
		t.Fatalf("oprfPublicKey() for a 64-byte seed and its 32-byte prefix are equal, want different")
	}
}
