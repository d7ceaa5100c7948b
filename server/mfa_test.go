package server

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"net/http"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/server/store"
)

// RFC 6238 Appendix B, SHA-1, with the last six of the eight digits.
func TestTOTPRecord_Match_RFC6238Vectors(t *testing.T) {
	r := &totpRecord{}
	copy(r.secret[:], "12345678901234567890")
	for _, c := range []struct {
		unix int64
		code string
	}{
		{59, "287082"}, {1111111109, "081804"}, {1111111111, "050471"},
		{1234567890, "005924"}, {2000000000, "279037"}, {20000000000, "353130"},
	} {
		now := time.Unix(c.unix, 0)
		step, ok := r.match(c.code, now)
		if !ok || step != totpStep(now) {
			t.Errorf("match(%s at %d) = %d, %v; want step %d, true", c.code, c.unix, step, ok, totpStep(now))
		}
		// One step of skew either way; two is too far.
		if _, ok := r.match(c.code, now.Add(totpPeriod*time.Second)); !ok {
			t.Errorf("match(%s at %d + 30 s) = false, want true (skew)", c.code, c.unix)
		}
		if _, ok := r.match(c.code, now.Add(2*totpPeriod*time.Second)); ok {
			t.Errorf("match(%s at %d + 60 s) = true, want false", c.code, c.unix)
		}
	}
	if _, ok := r.match("28708", time.Unix(59, 0)); ok {
		t.Error("match(5 digits) = true, want false")
	}
}

func TestTOTPRecord_Match_RefusesUsedSteps(t *testing.T) {
	r := newTOTPRecord(time.Now())
	now := time.Unix(1_800_000_000, 0)
	code, _ := totp.GenerateCode(r.base32Secret(), now)
	step, ok := r.match(code, now)
	if !ok {
		t.Fatal("match(current code) = false")
	}
	r.lastStep = step
	if _, ok := r.match(code, now); ok {
		t.Fatal("match(code of the last step used) = true, want false (replay)")
	}
	prev, _ := totp.GenerateCode(r.base32Secret(), now.Add(-totpPeriod*time.Second))
	if _, ok := r.match(prev, now); ok {
		t.Fatal("match(code of a step before the last used) = true, want false")
	}
}

func TestTOTPRecord_MarshalRoundTrip(t *testing.T) {
	r := newTOTPRecord(time.Unix(1_700_000_000, 0))
	r.confirmed, r.lastStep, r.failures, r.until = true, 56_666_666, 3, time.Unix(1_700_000_600, 0)
	got, err := parseTOTPRecord(r.marshal())
	if err != nil || *got != *r {
		t.Fatalf("parseTOTPRecord(marshal(%+v)) = %+v, %v", r, got, err)
	}
}

func FuzzParseTOTPRecord(f *testing.F) {
	f.Add(newTOTPRecord(time.Unix(1_700_000_000, 0)).marshal())
	f.Add([]byte{1, 2})
	f.Add(bytes.Repeat([]byte{1}, totpRecordSize))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := parseTOTPRecord(b)
		if err != nil {
			return
		}
		again, err := parseTOTPRecord(r.marshal())
		if err != nil || again.secret != r.secret || again.lastStep != r.lastStep || again.failures != r.failures || again.confirmed != r.confirmed {
			t.Fatalf("parse(marshal(parse(%x))) = %+v, %v; want %+v", b, again, err, r)
		}
	})
}

// mfaAccount is a registered, logged-in account whose passphrase and
// recovery backup keys differ.
type mfaAccount struct {
	*testAccount
	recovery ed25519.PrivateKey
	secret   string // base32, once enrolled
}

func newMFAAccount(t *testing.T, ts *testServer, handle string) *mfaAccount {
	t.Helper()
	a := newTestIdentity(t, ts, handle)
	_, rec, _ := ed25519.GenerateKey(rand.Reader)
	a.OPRFSetup = testOPRFSetup(a.BackupAuth.Public().(ed25519.PublicKey), rec.Public().(ed25519.PublicKey))
	wantStatus(t, a.do(t, http.MethodPost, "/v1/accounts", a.registration(t, "")), http.StatusCreated)
	a.Token = a.login(t, a.Device)
	return &mfaAccount{testAccount: a, recovery: rec}
}

// enrol enrols and confirms a TOTP factor at the clock's time.
func (m *mfaAccount) enrol(t *testing.T, clk *testClock) {
	t.Helper()
	var e api.TOTPEnrolment
	decodeResponse(t, m.do(t, http.MethodPost, "/v1/mfa/totp", nil), http.StatusCreated, &e)
	k, err := otp.NewKeyFromURL(e.URI)
	if err != nil || k.Type() != "totp" || k.Secret() != e.Secret || k.AccountName() != m.Handle || k.Period() != 30 || k.Digits() != otp.DigitsSix {
		t.Fatalf("enrolment URI %q: %v", e.URI, err)
	}
	m.secret = e.Secret
	wantStatus(t, m.do(t, http.MethodPost, "/v1/mfa/totp/confirm", api.CodeRequest{Code: m.code(t, clk.Now())}), http.StatusOK)
}

func (m *mfaAccount) code(t *testing.T, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(m.secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wrongCode is a code that no step within the skew of at has.
func (m *mfaAccount) wrongCode(t *testing.T, at time.Time) string {
	t.Helper()
	near := map[string]bool{}
	for d := -2; d <= 2; d++ {
		near[m.code(t, at.Add(time.Duration(d)*totpPeriod*time.Second))] = true
	}
	for _, c := range []string{"000000", "111111", "222222", "333333", "444444", "555555"} {
		if !near[c] {
			return c
		}
	}
	t.Fatal("no wrong code")
	return ""
}

// release asks for the backup with key's signature and code, from ts's client.
func (m *mfaAccount) release(t *testing.T, ts *testServer, key ed25519.PrivateKey, code string) (*http.Response, api.Released) {
	t.Helper()
	req := m.signedRelease(t, ts, key)
	req.OTP = code
	return m.releaseRequest(t, ts, req)
}

// signedRelease is a release request signed by key over a fresh challenge.
func (m *mfaAccount) signedRelease(t *testing.T, ts *testServer, key ed25519.PrivateKey) api.ReleaseRequest {
	t.Helper()
	var ch api.Challenge
	if resp := backupCall(t, ts, http.MethodPost, backupPath(m.ID, "challenge"), nil, &ch); resp.StatusCode != http.StatusOK {
		t.Fatalf("POST challenge = %d, want 200", resp.StatusCode)
	}
	return api.ReleaseRequest{Nonce: ch.Nonce, Signature: ed25519.Sign(key, testReleaseMessage(m.ID, ch.Nonce))}
}

func (m *mfaAccount) releaseRequest(t *testing.T, ts *testServer, req api.ReleaseRequest) (*http.Response, api.Released) {
	t.Helper()
	var out api.Released
	resp := ts.request(t, "", http.MethodPost, backupPath(m.ID, "release"), req)
	if resp.StatusCode == http.StatusOK {
		decodeResponse(t, resp, http.StatusOK, &out)
	}
	return resp, out
}

func TestMFA_TOTP_GatesPassphraseRelease(t *testing.T) {
	clk := newTestClock()
	ts := newIdentServer(t, Config{}, clk)
	m := newMFAAccount(t, ts, "alice")

	var e api.TOTPEnrolment
	decodeResponse(t, m.do(t, http.MethodPost, "/v1/mfa/totp", nil), http.StatusCreated, &e)
	m.secret = e.Secret
	// Pending: nothing changes until a code confirms it.
	if resp, _ := m.release(t, ts, m.BackupAuth, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("release with a pending factor = %d, want 200", resp.StatusCode)
	}
	wrong := m.wrongCode(t, clk.Now())
	wantError(t, m.do(t, http.MethodPost, "/v1/mfa/totp/confirm", api.CodeRequest{Code: wrong}), http.StatusForbidden, "second_factor_failed")
	used := m.code(t, clk.Now())
	wantStatus(t, m.do(t, http.MethodPost, "/v1/mfa/totp/confirm", api.CodeRequest{Code: used}), http.StatusOK)
	var fs api.Factors
	decodeResponse(t, m.do(t, http.MethodGet, "/v1/mfa", nil), http.StatusOK, &fs)
	if len(fs.Factors) != 1 || fs.Factors[0].Kind != "totp" || !fs.Factors[0].Confirmed {
		t.Fatalf("GET /v1/mfa = %+v, want one confirmed totp", fs)
	}

	// Now the passphrase alone is not enough.
	if resp, _ := m.release(t, ts, m.BackupAuth, ""); resp.StatusCode != http.StatusUnauthorized || apiErrorCode(resp) != "second_factor_required" {
		t.Fatalf("release without a code = %d, want 401 second_factor_required", resp.StatusCode)
	}
	// The code that confirmed the factor was used: it does not open anything.
	if resp, _ := m.release(t, ts, m.BackupAuth, used); resp.StatusCode != http.StatusUnauthorized || apiErrorCode(resp) != "second_factor_failed" {
		t.Fatalf("release with a used code = %d, want 401 second_factor_failed", resp.StatusCode)
	}
	clk.Add(totpPeriod * time.Second)
	code := m.code(t, clk.Now())
	resp, out := m.release(t, ts, m.BackupAuth, code)
	if resp.StatusCode != http.StatusOK || len(out.Backup) == 0 || len(out.EnrolTicket) != enrolTicketSize {
		t.Fatalf("release with a current code = %d, want 200 with the backup and a ticket", resp.StatusCode)
	}
	if resp, _ := m.release(t, ts, m.BackupAuth, code); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("release with the same code again = %d, want 401 (replay)", resp.StatusCode)
	}
	// A wrong passphrase is still a wrong passphrase, code or not.
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	if resp, _ := m.release(t, ts, other, m.code(t, clk.Now().Add(30*time.Second))); apiErrorCode(resp) != "backup_auth_failed" {
		t.Fatalf("release with a wrong key = %d %s, want backup_auth_failed", resp.StatusCode, apiErrorCode(resp))
	}
	// The recovery code needs no second factor.
	if resp, out := m.release(t, ts, m.recovery, ""); resp.StatusCode != http.StatusOK || len(out.Backup) == 0 {
		t.Fatalf("recovery-code release without a code = %d, want 200", resp.StatusCode)
	}
}

func TestMFA_TOTP_DeviceEnrolmentNeedsTicket(t *testing.T) {
	clk := newTestClock()
	ts := newIdentServer(t, Config{}, clk)
	m := newMFAAccount(t, ts, "alice")
	enrolDevice := func(ticket []byte) *http.Response {
		_, dev, _ := ed25519.GenerateKey(rand.Reader)
		return ts.request(t, "", http.MethodPost, "/v1/devices", map[string][]byte{"device_cert": m.deviceCert(t, dev), "enrol_ticket": ticket})
	}
	// Without a factor, the certificate is enough (as before).
	wantStatus(t, enrolDevice(nil), http.StatusCreated)

	m.enrol(t, clk)
	// With one, a copy of the identity key alone enrols nothing.
	wantError(t, enrolDevice(nil), http.StatusUnauthorized, "second_factor_required")
	wantError(t, enrolDevice(make([]byte, enrolTicketSize)), http.StatusUnauthorized, "second_factor_required")
	clk.Add(totpPeriod * time.Second)
	_, out := m.release(t, ts, m.BackupAuth, m.code(t, clk.Now()))
	wantStatus(t, enrolDevice(out.EnrolTicket), http.StatusCreated)
	wantError(t, enrolDevice(out.EnrolTicket), http.StatusUnauthorized, "second_factor_required") // used up
	// Another account's ticket is not this account's.
	other := newMFAAccount(t, ts, "bob")
	resp, theirs := other.release(t, ts, other.BackupAuth, "")
	wantStatus(t, resp, http.StatusOK)
	wantError(t, enrolDevice(theirs.EnrolTicket), http.StatusUnauthorized, "second_factor_required")
	// An expired ticket is refused.
	_, out = m.release(t, ts, m.recovery, "")
	clk.Add(enrolTicketTTL)
	wantError(t, enrolDevice(out.EnrolTicket), http.StatusUnauthorized, "second_factor_required")
	// A logged-in device enrols others without a ticket.
	_, dev, _ := ed25519.GenerateKey(rand.Reader)
	wantStatus(t, m.do(t, http.MethodPost, "/v1/devices", map[string][]byte{"device_cert": m.deviceCert(t, dev)}), http.StatusCreated)
}

// An attacker who knows the passphrase guesses codes: each address is locked
// after 5 wrong ones, the account after 10, and then even a right code waits.
func TestMFA_TOTP_GuessingLimited(t *testing.T) {
	clk := newTestClock()
	ts := newIdentServer(t, Config{TrustedProxies: loopback}, clk)
	m := newMFAAccount(t, ts, "alice")
	m.enrol(t, clk)
	clk.Add(totpPeriod * time.Second)
	right := m.code(t, clk.Now())
	wrong := m.wrongCode(t, clk.Now())
	attempt := func(addr, code string) *http.Response {
		resp, _ := m.release(t, ts.from(addr), m.BackupAuth, code)
		return resp
	}
	for i := range backupAddrFreeFailures {
		if resp := attempt("198.51.100.1", wrong); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong code %d = %d, want 401", i+1, resp.StatusCode)
		}
	}
	if resp := attempt("198.51.100.1", right); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("right code from a locked address = %d, want 429", resp.StatusCode)
	}
	for i := range totpAccountFreeFailures - backupAddrFreeFailures {
		if resp := attempt("198.51.100.2", wrong); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong code %d from a second address = %d, want 401", i+1, resp.StatusCode)
		}
	}
	resp := attempt("203.0.113.9", right)
	if resp.StatusCode != http.StatusTooManyRequests || retryAfter(t, resp) != 60 {
		t.Fatalf("right code after %d wrong ones on the account = %d, want 429 Retry-After 60", totpAccountFreeFailures, resp.StatusCode)
	}
	// The recovery code still works, and the lock ends.
	if resp, _ := m.release(t, ts.from("203.0.113.9"), m.recovery, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("recovery-code release while codes are locked = %d, want 200", resp.StatusCode)
	}
	clk.Add(time.Minute)
	if resp := attempt("203.0.113.9", m.code(t, clk.Now())); resp.StatusCode != http.StatusOK {
		t.Fatalf("right code after the lock = %d, want 200", resp.StatusCode)
	}
}

func TestMFA_TOTP_RemoveNeedsCode(t *testing.T) {
	clk := newTestClock()
	ts := newIdentServer(t, Config{}, clk)
	m := newMFAAccount(t, ts, "alice")
	wantError(t, m.do(t, http.MethodPost, "/v1/mfa/totp/remove", api.CodeRequest{Code: "123456"}), http.StatusNotFound, "no_second_factor")
	m.enrol(t, clk)
	wantError(t, m.do(t, http.MethodPost, "/v1/mfa/totp", nil), http.StatusConflict, "second_factor_exists")
	wantError(t, m.do(t, http.MethodPost, "/v1/mfa/totp/remove", api.CodeRequest{}), http.StatusBadRequest, "second_factor_required")
	clk.Add(totpPeriod * time.Second)
	wantStatus(t, m.do(t, http.MethodPost, "/v1/mfa/totp/remove", api.CodeRequest{Code: m.code(t, clk.Now())}), http.StatusNoContent)
	var fs api.Factors
	decodeResponse(t, m.do(t, http.MethodGet, "/v1/mfa", nil), http.StatusOK, &fs)
	if len(fs.Factors) != 0 {
		t.Fatalf("GET /v1/mfa after removal = %+v, want none", fs)
	}
	if resp, _ := m.release(t, ts, m.BackupAuth, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("release after removal = %d, want 200", resp.StatusCode)
	}
}

// The TOTP secret is stored only sealed, bound to its account.
func TestMFA_TOTP_SecretSealed(t *testing.T) {
	clk := newTestClock()
	ts := newIdentServer(t, Config{}, clk)
	m := newMFAAccount(t, ts, "alice")
	m.enrol(t, clk)
	raw, err := ts.Store.Secret(t.Context(), totpSecretName(m.ID))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := ts.loadTOTP(t.Context(), m.ID)
	if err != nil || rec == nil {
		t.Fatalf("loadTOTP = %v, %v", rec, err)
	}
	if bytes.Contains(raw, rec.secret[:]) || bytes.Contains(raw, []byte(m.secret)) {
		t.Fatal("the stored TOTP record holds the secret in the clear")
	}
	// Copied to another account, it does not open.
	b := newMFAAccount(t, ts, "bob")
	if err := ts.Store.PutSecret(t.Context(), totpSecretName(b.ID), raw); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.loadTOTP(t.Context(), b.ID); err == nil {
		t.Fatal("loadTOTP of a record copied from another account = nil error, want it refused")
	}
}

func TestMFA_NoSealer(t *testing.T) {
	ts := newIdentServer(t, Config{Sealer: noSealer{}}, nil)
	ts.cfg.Sealer = nil
	m := newMFAAccount(t, ts, "alice")
	wantError(t, m.do(t, http.MethodPost, "/v1/mfa/totp", nil), http.StatusNotImplemented, "mfa_unavailable")
}

type noSealer struct{}

func (noSealer) Seal(_, _ string, _, p []byte) ([]byte, error) { return p, nil }
func (noSealer) Open(_, _ string, _, s []byte) ([]byte, error) { return s, nil }

// BenchmarkServer_RequireSecondFactor measures what a TOTP check adds to a
// login on the server: unseal the record, compute three codes, seal and
// store it (one durable bbolt commit) with its log entry.
func BenchmarkServer_RequireSecondFactor(b *testing.B) {
	clk := newTestClock()
	ts := newIdentServer(b, Config{}, clk)
	var id store.AccountID
	rand.Read(id[:])
	rec := newTOTPRecord(clk.Now())
	rec.confirmed = true
	if err := ts.saveTOTP(b.Context(), id, rec); err != nil {
		b.Fatal(err)
	}
	k := guessKey{id, "192.0.2.1"}
	b.ResetTimer()
	for b.Loop() {
		clk.Add(totpPeriod * time.Second)
		code, _ := totp.GenerateCode(rec.base32Secret(), clk.Now())
		if err := ts.requireSecondFactor(b.Context(), id, k, code, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTOTPRecord_Match(b *testing.B) {
	rec := newTOTPRecord(time.Now())
	now := time.Now()
	code, _ := totp.GenerateCode(rec.base32Secret(), now)
	for b.Loop() {
		if _, ok := rec.match(code, now); !ok {
			b.Fatal("no match")
		}
	}
}

// The recovery code removes a factor whose authenticator is lost; another
// key, or a challenge used twice, does not.
func TestMFA_TOTP_RemoveWithRecoveryProof(t *testing.T) {
	clk := newTestClock()
	ts := newIdentServer(t, Config{}, clk)
	m := newMFAAccount(t, ts, "alice")
	m.enrol(t, clk)
	proof := func(key ed25519.PrivateKey) api.CodeRequest {
		var ch api.Challenge
		if resp := backupCall(t, ts, http.MethodPost, backupPath(m.ID, "challenge"), nil, &ch); resp.StatusCode != http.StatusOK {
			t.Fatalf("POST challenge = %d", resp.StatusCode)
		}
		return api.CodeRequest{Nonce: ch.Nonce, Signature: ed25519.Sign(key, testReleaseMessage(m.ID, ch.Nonce))}
	}
	wantError(t, m.do(t, http.MethodPost, "/v1/mfa/totp/remove", proof(m.BackupAuth)), http.StatusForbidden, "recovery_proof_failed")
	good := proof(m.recovery)
	wantStatus(t, m.do(t, http.MethodPost, "/v1/mfa/totp/remove", good), http.StatusNoContent)
	m.enrol(t, clk)
	wantError(t, m.do(t, http.MethodPost, "/v1/mfa/totp/remove", good), http.StatusForbidden, "recovery_proof_failed")
}
