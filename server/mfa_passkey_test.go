package server

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/internal/testenv"
	"github.com/blindvault/blindvault/internal/webauthntest"
	"github.com/blindvault/blindvault/server/store"
)

const testWebOrigin = "https://vault.example"

func newPasskeyServer(t testing.TB, clk *testClock, cfg Config) *testServer {
	t.Helper()
	cfg.WebAuthnOrigins = []string{testWebOrigin}
	return newIdentServer(t, cfg, clk)
}

// enrolPasskey enrols key on the session route, with proof if the account
// already has a factor.
func (m *mfaAccount) enrolPasskey(t *testing.T, key *webauthntest.Passkey, proof api.PasskeyRequest) *http.Response {
	t.Helper()
	var opts api.PasskeyOptions
	resp := m.do(t, http.MethodPost, "/v1/mfa/passkey/begin", proof)
	if resp.StatusCode != http.StatusOK {
		return resp
	}
	decodeResponse(t, resp, http.StatusOK, &opts)
	cred, err := key.Create(opts.Options)
	if err != nil {
		t.Fatal(err)
	}
	return m.do(t, http.MethodPost, "/v1/mfa/passkey/finish", api.PasskeyRequest{Name: "laptop", Credential: cred})
}

// passkeyOptions asks for release options with a passphrase signature.
func (m *mfaAccount) passkeyOptions(t *testing.T, ts *testServer, key ed25519.PrivateKey) (*http.Response, []byte) {
	t.Helper()
	resp := ts.request(t, "", http.MethodPost, backupPath(m.ID, "passkey"), m.signedRelease(t, ts, key))
	if resp.StatusCode != http.StatusOK {
		return resp, nil
	}
	var out api.PasskeyOptions
	decodeResponse(t, resp, http.StatusOK, &out)
	return resp, out.Options
}

// assertion answers fresh release options with key.
func (m *mfaAccount) assertion(t *testing.T, ts *testServer, key *webauthntest.Passkey) []byte {
	t.Helper()
	resp, opts := m.passkeyOptions(t, ts, m.BackupAuth)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST passkey options = %d %s, want 200", resp.StatusCode, apiErrorCode(resp))
	}
	a, err := key.Get(opts)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// releaseWith asks for the backup with the passphrase and a passkey assertion.
func (m *mfaAccount) releaseWith(t *testing.T, ts *testServer, assertion []byte) (*http.Response, api.Released) {
	t.Helper()
	req := m.signedRelease(t, ts, m.BackupAuth)
	req.Passkey = assertion
	return m.releaseRequest(t, ts, req)
}

func TestMFA_Passkey_GatesReleaseAndDeviceEnrolment(t *testing.T) {
	testPasskeyGate(t, newPasskeyServer(t, newTestClock(), Config{}))
}

// The passkeys live where TOTP does (the store's secrets): PostgreSQL keeps
// them as bbolt does.
func TestMFA_Passkey_Postgres(t *testing.T) {
	if testing.Short() {
		t.Skip("short: starts PostgreSQL")
	}
	pg := testenv.StartPostgres(t, &testenv.PostgresOptions{NoFsync: true})
	testPasskeyGate(t, newPostgresTestServer(t, pg.NewDatabase(t), Config{WebAuthnOrigins: []string{testWebOrigin},
		RateAddress: RateLimit{Rate: -1}, RateAccount: RateLimit{Rate: -1}}))
}

func testPasskeyGate(t *testing.T, ts *testServer) {
	m := newMFAAccount(t, ts, "alice")
	key := webauthntest.NewPasskey(testWebOrigin)

	// No passkey yet: no options, and the passphrase alone releases.
	if resp, _ := m.passkeyOptions(t, ts, m.BackupAuth); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("passkey options without a passkey = %d, want 404", resp.StatusCode)
	}
	wantStatus(t, m.enrolPasskey(t, key, api.PasskeyRequest{}), http.StatusCreated)
	var fs api.Factors
	decodeResponse(t, m.do(t, http.MethodGet, "/v1/mfa", nil), http.StatusOK, &fs)
	if len(fs.Factors) != 1 || fs.Factors[0].Kind != "passkey" || fs.Factors[0].Name != "laptop" || fs.Factors[0].ID == "" {
		t.Fatalf("GET /v1/mfa = %+v, want one passkey named laptop", fs)
	}

	// Now the passphrase alone is not enough, and a wrong passphrase gets
	// no options.
	if resp, _ := m.release(t, ts, m.BackupAuth, ""); resp.StatusCode != http.StatusUnauthorized || apiErrorCode(resp) != "second_factor_required" {
		t.Fatalf("release without the passkey = %d %s, want 401 second_factor_required", resp.StatusCode, apiErrorCode(resp))
	}
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	if resp, _ := m.passkeyOptions(t, ts, other); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("passkey options for a wrong passphrase = %d, want 401", resp.StatusCode)
	}
	resp, out := m.releaseWith(t, ts, m.assertion(t, ts, key))
	if resp.StatusCode != http.StatusOK || len(out.Backup) == 0 || len(out.EnrolTicket) != enrolTicketSize {
		t.Fatalf("release with a passkey = %d %s, want 200 with the backup and a ticket", resp.StatusCode, apiErrorCode(resp))
	}
	// The ticket enrols a device without a session; nothing else does.
	enrolDevice := func(ticket []byte) *http.Response {
		_, dev, _ := ed25519.GenerateKey(rand.Reader)
		return ts.request(t, "", http.MethodPost, "/v1/devices", map[string][]byte{"device_cert": m.deviceCert(t, dev), "enrol_ticket": ticket})
	}
	wantError(t, enrolDevice(nil), http.StatusUnauthorized, "second_factor_required")
	wantStatus(t, enrolDevice(out.EnrolTicket), http.StatusCreated)
	// The recovery code needs no passkey.
	if resp, _ := m.release(t, ts, m.recovery, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("recovery-code release = %d, want 200", resp.StatusCode)
	}
}

func TestMFA_Passkey_ReplayedChallengeRefused(t *testing.T) {
	clk := newTestClock()
	ts := newPasskeyServer(t, clk, Config{})
	m := newMFAAccount(t, ts, "alice")
	key := webauthntest.NewPasskey(testWebOrigin)
	wantStatus(t, m.enrolPasskey(t, key, api.PasskeyRequest{}), http.StatusCreated)

	a := m.assertion(t, ts, key)
	wantStatus(t, first(m.releaseWith(t, ts, a)), http.StatusOK)
	wantError(t, first(m.releaseWith(t, ts, a)), http.StatusUnauthorized, "second_factor_failed")
	// A fresh answer to the used challenge (counter higher) is refused too.
	_, opts := m.passkeyOptions(t, ts, m.BackupAuth)
	b, _ := key.Get(opts)
	wantStatus(t, first(m.releaseWith(t, ts, b)), http.StatusOK)
	again, _ := key.Get(opts)
	wantError(t, first(m.releaseWith(t, ts, again)), http.StatusUnauthorized, "second_factor_failed")
	// An expired challenge is refused.
	_, opts = m.passkeyOptions(t, ts, m.BackupAuth)
	late, _ := key.Get(opts)
	clk.Add(passkeyCeremonyTTL)
	wantError(t, first(m.releaseWith(t, ts, late)), http.StatusUnauthorized, "second_factor_failed")
	// A challenge made for a session proof does not pass a release.
	var so api.PasskeyOptions
	decodeResponse(t, m.do(t, http.MethodPost, "/v1/mfa/passkey/assert", nil), http.StatusOK, &so)
	s, _ := key.Get(so.Options)
	wantError(t, first(m.releaseWith(t, ts, s)), http.StatusUnauthorized, "second_factor_failed")
}

func TestMFA_Passkey_WrongCredentialRefused(t *testing.T) {
	clk := newTestClock()
	ts := newPasskeyServer(t, clk, Config{})
	m := newMFAAccount(t, ts, "alice")
	key := webauthntest.NewPasskey(testWebOrigin)
	wantStatus(t, m.enrolPasskey(t, key, api.PasskeyRequest{}), http.StatusCreated)

	// A key that is not enrolled.
	stranger := webauthntest.NewPasskey(testWebOrigin)
	_, opts := m.passkeyOptions(t, ts, m.BackupAuth)
	a, _ := stranger.Get(opts)
	wantError(t, first(m.releaseWith(t, ts, a)), http.StatusUnauthorized, "second_factor_failed")
	// Bob's enrolled passkey is not Alice's.
	bob := newMFAAccount(t, ts, "bob")
	bobKey := webauthntest.NewPasskey(testWebOrigin)
	wantStatus(t, bob.enrolPasskey(t, bobKey, api.PasskeyRequest{}), http.StatusCreated)
	_, opts = m.passkeyOptions(t, ts, m.BackupAuth)
	a, _ = bobKey.Get(opts)
	wantError(t, first(m.releaseWith(t, ts, a)), http.StatusUnauthorized, "second_factor_failed")
	// Alice's key answering Bob's challenge passes neither.
	_, opts = bob.passkeyOptions(t, ts, bob.BackupAuth)
	a, _ = key.Get(opts)
	wantError(t, first(m.releaseWith(t, ts, a)), http.StatusUnauthorized, "second_factor_failed")
	// The right key, with the signature of another key over its data.
	forged := m.assertion(t, ts, key)
	var f map[string]map[string]any
	json.Unmarshal(forged, &f)
	other, _ := stranger.Get(mustOptions(t, m, ts))
	var o map[string]map[string]any
	json.Unmarshal(other, &o)
	f["response"]["signature"] = o["response"]["signature"]
	forged, _ = json.Marshal(f)
	wantError(t, first(m.releaseWith(t, ts, forged)), http.StatusUnauthorized, "second_factor_failed")
	// And the right key still works.
	wantStatus(t, first(m.releaseWith(t, ts, m.assertion(t, ts, key))), http.StatusOK)
}

func mustOptions(t *testing.T, m *mfaAccount, ts *testServer) []byte {
	t.Helper()
	_, opts := m.passkeyOptions(t, ts, m.BackupAuth)
	return opts
}

// An assertion made for another origin (a phishing page) is refused, as is
// one for another relying party.
func TestMFA_Passkey_WrongOriginRefused(t *testing.T) {
	clk := newTestClock()
	ts := newPasskeyServer(t, clk, Config{})
	m := newMFAAccount(t, ts, "alice")
	key := webauthntest.NewPasskey(testWebOrigin)
	wantStatus(t, m.enrolPasskey(t, key, api.PasskeyRequest{}), http.StatusCreated)

	key.Origin = "https://vault.example.evil.test"
	wantError(t, first(m.releaseWith(t, ts, m.assertion(t, ts, key))), http.StatusUnauthorized, "second_factor_failed")
	key.Origin = "http://vault.example" // the same host without TLS
	wantError(t, first(m.releaseWith(t, ts, m.assertion(t, ts, key))), http.StatusUnauthorized, "second_factor_failed")
	key.Origin = testWebOrigin
	wantStatus(t, first(m.releaseWith(t, ts, m.assertion(t, ts, key))), http.StatusOK)

	// A passkey made at another origin does not enrol.
	phished := webauthntest.NewPasskey("https://evil.test")
	wantError(t, m.enrolPasskey(t, phished, api.PasskeyRequest{Assertion: m.sessionAssertion(t, key)}), http.StatusBadRequest, "passkey_failed")
}

// A sign counter that does not grow means the key may have been cloned: the
// library flags it (CloneWarning) and the server refuses the assertion and
// keeps the stored counter, so the real key, whose counter is ahead, still
// works.
func TestMFA_Passkey_CounterRegressionRefused(t *testing.T) {
	clk := newTestClock()
	ts := newPasskeyServer(t, clk, Config{})
	m := newMFAAccount(t, ts, "alice")
	key := webauthntest.NewPasskey(testWebOrigin)
	wantStatus(t, m.enrolPasskey(t, key, api.PasskeyRequest{}), http.StatusCreated)
	key.Counter = 10
	wantStatus(t, first(m.releaseWith(t, ts, m.assertion(t, ts, key))), http.StatusOK) // stored: 11

	clone := *key
	clone.Counter = 5
	wantError(t, first(m.releaseWith(t, ts, m.assertion(t, ts, &clone))), http.StatusUnauthorized, "second_factor_failed")
	clone.Counter = 10 // the same count again
	wantError(t, first(m.releaseWith(t, ts, m.assertion(t, ts, &clone))), http.StatusUnauthorized, "second_factor_failed")
	wantStatus(t, first(m.releaseWith(t, ts, m.assertion(t, ts, key))), http.StatusOK) // 12 > 11
}

// Refused assertions are counted like wrong codes: the address is locked from
// the 5th, and then even a good assertion waits; the recovery code does not.
func TestMFA_Passkey_GuessingLimited(t *testing.T) {
	clk := newTestClock()
	ts := newPasskeyServer(t, clk, Config{TrustedProxies: loopback, RateAnonymous: RateLimit{Rate: -1}})
	m := newMFAAccount(t, ts, "alice")
	key := webauthntest.NewPasskey(testWebOrigin)
	wantStatus(t, m.enrolPasskey(t, key, api.PasskeyRequest{}), http.StatusCreated)
	stranger := webauthntest.NewPasskey(testWebOrigin)
	from := ts.from("198.51.100.1")
	for i := range backupAddrFreeFailures {
		if resp, _ := m.releaseWith(t, from, m.assertion(t, from, stranger)); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("refused assertion %d = %d, want 401", i+1, resp.StatusCode)
		}
	}
	if resp, _ := m.releaseWith(t, from, m.assertion(t, from, key)); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("good assertion from a locked address = %d, want 429", resp.StatusCode)
	}
	if resp, _ := m.release(t, from, m.recovery, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("recovery-code release while locked = %d, want 200", resp.StatusCode)
	}
	clk.Add(time.Minute)
	wantStatus(t, first(m.releaseWith(t, from, m.assertion(t, from, key))), http.StatusOK)
}

// sessionAssertion answers the session route's options with key.
func (m *mfaAccount) sessionAssertion(t *testing.T, key *webauthntest.Passkey) []byte {
	t.Helper()
	var so api.PasskeyOptions
	decodeResponse(t, m.do(t, http.MethodPost, "/v1/mfa/passkey/assert", nil), http.StatusOK, &so)
	a, err := key.Get(so.Options)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// A stolen session alone can neither add a passkey to an account that has a
// factor nor remove one.
func TestMFA_Passkey_AddAndRemoveNeedAFactor(t *testing.T) {
	clk := newTestClock()
	ts := newPasskeyServer(t, clk, Config{})
	m := newMFAAccount(t, ts, "alice")
	key := webauthntest.NewPasskey(testWebOrigin)
	wantStatus(t, m.enrolPasskey(t, key, api.PasskeyRequest{}), http.StatusCreated)

	second := webauthntest.NewPasskey(testWebOrigin)
	wantError(t, m.enrolPasskey(t, second, api.PasskeyRequest{}), http.StatusBadRequest, "second_factor_required")
	// Nor can it add a TOTP factor beside the passkey.
	wantError(t, m.do(t, http.MethodPost, "/v1/mfa/totp", nil), http.StatusBadRequest, "second_factor_required")
	wantStatus(t, m.do(t, http.MethodPost, "/v1/mfa/totp", api.PasskeyRequest{Assertion: m.sessionAssertion(t, key)}), http.StatusCreated)
	wantStatus(t, m.enrolPasskey(t, second, api.PasskeyRequest{Assertion: m.sessionAssertion(t, key)}), http.StatusCreated)
	var all api.Factors
	decodeResponse(t, m.do(t, http.MethodGet, "/v1/mfa", nil), http.StatusOK, &all)
	var fs api.Factors
	for _, f := range all.Factors {
		if f.Kind == "passkey" {
			fs.Factors = append(fs.Factors, f)
		}
	}
	if len(fs.Factors) != 2 || len(all.Factors) != 3 {
		t.Fatalf("GET /v1/mfa = %+v, want two passkeys and a pending TOTP factor", all)
	}
	id := fs.Factors[0].ID
	wantError(t, m.do(t, http.MethodPost, "/v1/mfa/passkey/remove", api.PasskeyRequest{ID: id}), http.StatusBadRequest, "second_factor_required")
	// A session assertion is single-use too.
	a := m.sessionAssertion(t, second)
	wantStatus(t, m.do(t, http.MethodPost, "/v1/mfa/passkey/remove", api.PasskeyRequest{ID: id, Assertion: a}), http.StatusNoContent)
	wantError(t, m.do(t, http.MethodPost, "/v1/mfa/passkey/remove", api.PasskeyRequest{ID: fs.Factors[1].ID, Assertion: a}), http.StatusForbidden, "second_factor_failed")
	// The recovery code removes the last one (the way out of a lost key).
	var ch api.Challenge
	backupCall(t, ts, http.MethodPost, backupPath(m.ID, "challenge"), nil, &ch)
	wantStatus(t, m.do(t, http.MethodPost, "/v1/mfa/passkey/remove", api.PasskeyRequest{ID: fs.Factors[1].ID,
		Nonce: ch.Nonce, Signature: ed25519.Sign(m.recovery, testReleaseMessage(m.ID, ch.Nonce))}), http.StatusNoContent)
	var left api.Factors
	decodeResponse(t, m.do(t, http.MethodGet, "/v1/mfa", nil), http.StatusOK, &left)
	if len(left.Factors) != 1 || left.Factors[0].Kind != "totp" || left.Factors[0].Confirmed {
		t.Fatalf("GET /v1/mfa after removal = %+v, want only the pending TOTP factor", left)
	}
	if resp, _ := m.release(t, ts, m.BackupAuth, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("release with no confirmed factor left = %d, want 200", resp.StatusCode)
	}
}

// Without a relying party (an IP-address origin and no --webauthn-origin),
// passkeys are off and say so.
func TestMFA_Passkey_OffWithoutRelyingParty(t *testing.T) {
	ts := newIdentServer(t, Config{}, nil)
	m := newMFAAccount(t, ts, "alice")
	wantError(t, m.do(t, http.MethodPost, "/v1/mfa/passkey/begin", api.PasskeyRequest{}), http.StatusNotImplemented, "passkeys_unavailable")
	if _, err := New(Config{Store: ts.Store, Origin: "http://127.0.0.1:1", WebAuthnOrigins: []string{"http://127.0.0.1:1"},
		Secrets: Secrets{OPRFSeed: randomKey(), SessionPepper: randomKey(), InvitePepper: randomKey()}}); err == nil {
		t.Fatal("New(WebAuthnOrigins with an IP address) = nil error, want one")
	}
}

func first(resp *http.Response, _ api.Released) *http.Response { return resp }

// The assertion parser and checks never panic on attacker input, and nothing
// but the authenticator's own answer passes.
func FuzzValidateAssertion(f *testing.F) {
	ts := newPasskeyServer(f, newTestClock(), Config{})
	key := webauthntest.NewPasskey(testWebOrigin)
	id := store.AccountID{1}
	rec := &passkeyRecord{Version: 1}
	opts, data, err := ts.mfa.rp.BeginRegistration(passkeyUser{id: id, handle: "alice", rec: rec})
	if err != nil {
		f.Fatal(err)
	}
	ob, _ := json.Marshal(opts)
	cb, err := key.Create(ob)
	if err != nil {
		f.Fatal(err)
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(cb)
	if err != nil {
		f.Fatal(err)
	}
	cred, err := ts.mfa.rp.CreateCredential(passkeyUser{id: id, handle: "alice", rec: rec}, *data, parsed)
	if err != nil {
		f.Fatal(err)
	}
	rec.Keys = []storedPasskey{{Name: "k", Credential: *cred}}
	ao, _, err := ts.mfa.rp.BeginLogin(passkeyUser{id: id, handle: "alice", rec: rec})
	if err != nil {
		f.Fatal(err)
	}
	aob, _ := json.Marshal(ao)
	good, err := key.Get(aob)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"id":"AA","rawId":"AA","type":"public-key","response":{}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		// Every input gets a fresh challenge of the seed's options, so a
		// mutation that keeps the challenge reaches the signature check.
		_, data, err := ts.mfa.rp.BeginLogin(passkeyUser{id: id, handle: "alice", rec: rec}, webauthn.WithChallenge(mustChallenge(t, aob)))
		if err != nil {
			t.Fatal(err)
		}
		ts.mfa.ceremonies.put(id, ceremonyBackup, data, ts.now())
		if _, _, reason := ts.validateAssertion(id, "alice", rec, b, ceremonyBackup, ts.now()); reason == "" && !sameAnswer(b, good) {
			t.Fatalf("validateAssertion(%q) accepted an answer the authenticator did not give", b)
		}
	})
}

func mustChallenge(t *testing.T, options []byte) []byte {
	var o struct {
		PublicKey struct {
			Challenge protocol.URLEncodedBase64 `json:"challenge"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(options, &o); err != nil {
		t.Fatal(err)
	}
	return o.PublicKey.Challenge
}

// sameAnswer reports whether two assertions carry the same signed bytes (the
// JSON around them may differ).
func sameAnswer(a, b []byte) bool {
	pa, err1 := protocol.ParseCredentialRequestResponseBytes(a)
	pb, err2 := protocol.ParseCredentialRequestResponseBytes(b)
	return err1 == nil && err2 == nil && bytes.Equal(pa.RawID, pb.RawID) &&
		bytes.Equal(pa.Raw.AssertionResponse.AuthenticatorData, pb.Raw.AssertionResponse.AuthenticatorData) &&
		bytes.Equal(pa.Raw.AssertionResponse.ClientDataJSON, pb.Raw.AssertionResponse.ClientDataJSON) &&
		bytes.Equal(pa.Raw.AssertionResponse.Signature, pb.Raw.AssertionResponse.Signature)
}
