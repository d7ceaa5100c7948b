package server

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/internal/auditlog"
	"github.com/blindvault/blindvault/internal/backupwire"
	"github.com/blindvault/blindvault/server/store"
)

// Passkeys (WebAuthn) as a second factor, beside TOTP (mfa.go). An account
// may enrol up to passkeysMax of them; once one is enrolled, a release of
// the key backup to the passphrase needs either a current TOTP code or a
// passkey assertion, and so, through the enrolment ticket, does a new
// device. The server is the relying party: its id and the origins an
// assertion may come from are configuration (Config.WebAuthnOrigins).
//
//	POST /v1/mfa/passkey/begin   {proof?}                (session) → {options}: creation options
//	POST /v1/mfa/passkey/finish  {name, credential}      (session) → 201 {factors}
//	POST /v1/mfa/passkey/assert                          (session) → {options}: request options, for a proof
//	POST /v1/mfa/passkey/remove  {id, proof}             (session) → 204
//	POST /v1/backup/{account}/passkey {nonce, signature} (public)  → {options}: request options, for a release
//
// A proof is one of: an assertion for the options of /assert, a current
// TOTP code, or the recovery code's signature over a backup challenge. Begin
// needs one once the account has any second factor, so that a stolen
// session alone can neither add a passkey nor remove one.
//
// Challenges are 32 random bytes (the library's), held in memory, usable
// once and only for the account and the ceremony they were made for, for
// passkeyCeremonyTTL. A refused assertion counts toward the same lockout as
// a wrong TOTP code. A sign counter that does not grow (the library's
// CloneWarning) refuses the assertion: two copies of the key may exist.
// Authenticators that keep no counter (0, as synced passkeys do) pass.
//
// The credentials (public keys, counters) are sealed like the TOTP secret,
// under "mfa-passkey/ACCOUNT" in the store's secrets bucket: nothing in them
// is secret, but the sealing binds them to the account, so that a copy
// under another name does not open.
const (
	passkeysMax          = 10
	passkeyNameMax       = 64
	passkeyCeremonyTTL   = 5 * time.Minute
	passkeyCeremoniesMax = 10_000
	// passkeyRecordMax bounds a stored record: ten credentials of at most a
	// few hundred bytes each (an RSA-2048 COSE key is ~270), as JSON.
	passkeyRecordMax = 64 << 10
)

type ceremonyKind uint8

const (
	ceremonyEnrol   ceremonyKind = iota + 1 // navigator.credentials.create
	ceremonyBackup                          // an assertion for a backup release
	ceremonySession                         // an assertion proving the factor on a session route
)

type ceremony struct {
	account store.AccountID
	kind    ceremonyKind
	data    webauthn.SessionData
	expires time.Time
}

// ceremonies are the outstanding WebAuthn challenges, by challenge
// (base64url, as the client data carries it). A restart forgets them.
type ceremonies struct {
	mu sync.Mutex
	m  map[string]ceremony
}

// put keeps a challenge; false if too many are outstanding.
func (c *ceremonies) put(id store.AccountID, kind ceremonyKind, data *webauthn.SessionData, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= passkeyCeremoniesMax {
		for k, e := range c.m {
			if !now.Before(e.expires) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= passkeyCeremoniesMax {
			return false
		}
	}
	c.m[data.Challenge] = ceremony{account: id, kind: kind, data: *data, expires: now.Add(passkeyCeremonyTTL)}
	return true
}

// take uses a challenge up, whatever the outcome, and returns its session
// data if it was made for this account and kind and has not expired.
func (c *ceremonies) take(challenge string, id store.AccountID, kind ceremonyKind, now time.Time) (webauthn.SessionData, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[challenge]
	if !ok {
		return webauthn.SessionData{}, false
	}
	delete(c.m, challenge)
	if e.account != id || e.kind != kind || !now.Before(e.expires) {
		return webauthn.SessionData{}, false
	}
	return e.data, true
}

// newRelyingParty configures the WebAuthn relying party: origins from cfg
// (default its Origin), the relying party id the first origin's host name.
// An IP address cannot be a relying party id: then passkeys are off (nil),
// and their routes answer 501.
func newRelyingParty(cfg *Config) (*webauthn.WebAuthn, error) {
	origins := cfg.WebAuthnOrigins
	if len(origins) == 0 {
		origins = []string{cfg.Origin}
	}
	u, err := url.Parse(origins[0])
	if err != nil || u.Hostname() == "" {
		return nil, fmt.Errorf("webauthn origin %q: not a URL", origins[0])
	}
	if protocol.ValidateRPID(u.Hostname()) != nil {
		if len(cfg.WebAuthnOrigins) > 0 {
			return nil, fmt.Errorf("webauthn origin %q: the host must be a domain name, not an address", origins[0])
		}
		return nil, nil
	}
	wa, err := webauthn.New(&webauthn.Config{
		RPID:          u.Hostname(),
		RPDisplayName: "Blindvault",
		RPOrigins:     origins,
		// A second factor: possession is what counts; user verification is
		// asked for, not required (the passphrase is the knowledge factor).
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:      protocol.ResidentKeyRequirementPreferred,
			UserVerification: protocol.VerificationPreferred,
		},
		AttestationPreference: protocol.PreferNoAttestation,
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Timeout: passkeyCeremonyTTL, TimeoutUVD: passkeyCeremonyTTL},
			Registration: webauthn.TimeoutConfig{Timeout: passkeyCeremonyTTL, TimeoutUVD: passkeyCeremonyTTL},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("webauthn: %w", err)
	}
	return wa, nil
}

// passkeyRecord is what the server keeps of an account's passkeys, as JSON
// inside the sealed value: the credentials (the library's record, with the
// public key and the sign counter), and the account's count of refused
// assertions and its lock.
type passkeyRecord struct {
	Version  int             `json:"v"`
	Keys     []storedPasskey `json:"keys"`
	Failures uint32          `json:"failures,omitempty"`
	Until    time.Time       `json:"until,omitzero"`
}

type storedPasskey struct {
	Name       string              `json:"name"`
	Created    time.Time           `json:"created"`
	Credential webauthn.Credential `json:"credential"`
}

// passkeyUser is the account as the library sees it. The user handle is
// the account id (public anyway: the directory answers it for a handle).
type passkeyUser struct {
	id     store.AccountID
	handle string
	rec    *passkeyRecord
}

func (u passkeyUser) WebAuthnID() []byte          { return u.id[:] }
func (u passkeyUser) WebAuthnName() string        { return u.handle }
func (u passkeyUser) WebAuthnDisplayName() string { return u.handle }
func (u passkeyUser) WebAuthnCredentials() []webauthn.Credential {
	out := make([]webauthn.Credential, len(u.rec.Keys))
	for i, k := range u.rec.Keys {
		out[i] = k.Credential
	}
	return out
}

func passkeyID(cred []byte) string { return base64.RawURLEncoding.EncodeToString(cred) }

func passkeySecretName(id store.AccountID) string { return "mfa-passkey/" + id.String() }

var (
	errNoPasskeys       = errorf(http.StatusNotImplemented, "passkeys_unavailable", "this server has no WebAuthn relying party: start it with --webauthn-origin https://HOST")
	errNoPasskey        = errorf(http.StatusNotFound, "no_second_factor", "no such passkey is enrolled")
	errPasskeyRefused   = errors.New("passkey assertion refused")
	errPasskeyChallenge = errorf(http.StatusBadRequest, "passkey_failed", "the passkey's challenge is unknown, used or expired, or its answer is not valid")
)

// loadPasskeys returns the account's passkeys (an empty record if none).
func (s *Server) loadPasskeys(ctx context.Context, id store.AccountID) (*passkeyRecord, error) {
	sealed, err := s.store.Secret(ctx, passkeySecretName(id))
	if isNotFound(err) || (err == nil && bytes.Equal(sealed, totpRemoved)) {
		return &passkeyRecord{Version: 1}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("passkeys: %w", err)
	}
	if s.cfg.Sealer == nil {
		return nil, errNoSealer
	}
	b, err := s.cfg.Sealer.Open(secretsBucket, passkeySecretName(id), id[:], sealed)
	if err != nil {
		return nil, fmt.Errorf("passkeys: %w", err)
	}
	var rec passkeyRecord
	if len(b) > passkeyRecordMax {
		return nil, errors.New("passkeys: record too large")
	}
	if err := json.Unmarshal(b, &rec); err != nil || rec.Version != 1 || len(rec.Keys) > passkeysMax {
		return nil, fmt.Errorf("passkeys: malformed record: %w", err)
	}
	return &rec, nil
}

// storePasskeys seals and stores the record with a second-factor log entry
// of op, in one commit. A record without keys and failures is removed.
func (s *Server) storePasskeys(ctx context.Context, id store.AccountID, rec *passkeyRecord, op uint64) error {
	value := totpRemoved
	if len(rec.Keys) > 0 || rec.Failures > 0 {
		if s.cfg.Sealer == nil {
			return errNoSealer
		}
		b, err := json.Marshal(rec)
		if err != nil {
			return fmt.Errorf("passkeys: %w", err)
		}
		if value, err = s.cfg.Sealer.Seal(secretsBucket, passkeySecretName(id), id[:], b); err != nil {
			return fmt.Errorf("passkeys: %w", err)
		}
	}
	e := s.entry(auditlog.SecondFactor, id)
	e.Number = op
	_, err := s.logged(ctx, []*auditlog.Entry{e}, func(ctx context.Context) error {
		return s.store.PutSecret(ctx, passkeySecretName(id), value)
	})
	return err
}

// passkeyFactors lists the account's passkeys as factors.
func passkeyFactors(rec *passkeyRecord) []api.Factor {
	out := make([]api.Factor, 0, len(rec.Keys))
	for _, k := range rec.Keys {
		out = append(out, api.Factor{Kind: "passkey", Created: k.Created.UTC(), Confirmed: true, ID: passkeyID(k.Credential.ID), Name: k.Name})
	}
	return out
}

// beginAssertion makes request options for the account's passkeys and keeps
// the challenge for kind.
func (s *Server) beginAssertion(id store.AccountID, handle string, rec *passkeyRecord, kind ceremonyKind) (*api.PasskeyOptions, error) {
	user := passkeyUser{id: id, handle: handle, rec: rec}
	opts, data, err := s.mfa.rp.BeginLogin(user)
	if err != nil {
		return nil, fmt.Errorf("passkey assertion: %w", err)
	}
	return s.keepCeremony(id, kind, opts, data)
}

func (s *Server) keepCeremony(id store.AccountID, kind ceremonyKind, opts any, data *webauthn.SessionData) (*api.PasskeyOptions, error) {
	if !s.mfa.ceremonies.put(id, kind, data, s.now()) {
		return nil, &rateLimited{wait: passkeyCeremonyTTL}
	}
	b, err := json.Marshal(opts)
	if err != nil {
		return nil, fmt.Errorf("passkey options: %w", err)
	}
	return &api.PasskeyOptions{Options: b}, nil
}

// checkAssertion checks an assertion against the account's passkeys and a
// challenge of kind, counting a refusal like a wrong TOTP code. On success
// it stores the credential's new counter with a "passed" log entry. Call it
// with s.mfa.mu held.
func (s *Server) checkAssertion(ctx context.Context, id store.AccountID, handle string, k guessKey, rec *passkeyRecord, raw []byte, kind ceremonyKind) error {
	now := s.now()
	if until, ok := s.mfa.guesses.locked(k, now); ok {
		return &lockedError{until: until}
	}
	if now.Before(rec.Until) {
		return &lockedError{until: rec.Until}
	}
	idx, cred, reason := s.validateAssertion(id, handle, rec, raw, kind, now)
	if reason != "" {
		if rec.Failures < ^uint32(0) {
			rec.Failures++
		}
		if d := backupLockFor(rec.Failures, totpAccountFreeFailures); d > 0 {
			rec.Until = now.Add(d)
		}
		s.mfa.guesses.fail(k, now)
		if err := s.storePasskeys(ctx, id, rec, auditlog.SecondFactorFailed); err != nil {
			return err
		}
		s.log.WarnContext(ctx, "second factor refused", "account", id.String(), "kind", "passkey", "reason", reason, "failures", rec.Failures)
		s.metrics.guesses.WithLabelValues("second_factor", "failed").Inc()
		return errPasskeyRefused
	}
	rec.Keys[idx].Credential = *cred
	rec.Failures, rec.Until = 0, time.Time{}
	s.mfa.guesses.take(k)
	s.metrics.guesses.WithLabelValues("second_factor", "accepted").Inc()
	return s.storePasskeys(ctx, id, rec, auditlog.SecondFactorPassed)
}

// validateAssertion returns the credential an assertion verifies with, as
// updated by it, or why it does not. The challenge is used up either way.
func (s *Server) validateAssertion(id store.AccountID, handle string, rec *passkeyRecord, raw []byte, kind ceremonyKind, now time.Time) (int, *webauthn.Credential, string) {
	parsed, err := protocol.ParseCredentialRequestResponseBytes(raw)
	if err != nil {
		return 0, nil, "malformed assertion"
	}
	data, ok := s.mfa.ceremonies.take(parsed.Response.CollectedClientData.Challenge, id, kind, now)
	if !ok {
		return 0, nil, "unknown, used or expired challenge"
	}
	cred, err := s.mfa.rp.ValidateLogin(passkeyUser{id: id, handle: handle, rec: rec}, data, parsed)
	if err != nil {
		return 0, nil, "assertion not valid (origin, relying party, signature or credential)"
	}
	if cred.Authenticator.CloneWarning {
		// The counter did not grow: the key may have been copied. The stored
		// counter stays as it was.
		return 0, nil, "sign counter did not increase"
	}
	for i, k := range rec.Keys {
		if bytes.Equal(k.Credential.ID, cred.ID) {
			return i, cred, ""
		}
	}
	return 0, nil, "unknown credential"
}

// requirePasskey is the release's passkey check (mfa.go requireSecondFactor).
func (s *Server) requirePasskey(ctx context.Context, id store.AccountID, k guessKey, rec *passkeyRecord, raw []byte) error {
	acct, err := s.store.Account(ctx, id)
	if err != nil {
		return fmt.Errorf("passkey: %w", err)
	}
	err = s.checkAssertion(ctx, id, acct.Handle, k, rec, raw, ceremonyBackup)
	if errors.Is(err, errPasskeyRefused) {
		return errorf(http.StatusUnauthorized, "second_factor_failed", "the passkey's answer is not valid, or its challenge was already used")
	}
	return err
}

// proveFactor checks the proof of a second factor a session route carries.
// With required false, an account without a confirmed factor needs none.
// Call it with s.mfa.mu held.
func (s *Server) proveFactor(w http.ResponseWriter, r *http.Request, c *Caller, req *api.PasskeyRequest, required bool) error {
	ctx, id := r.Context(), c.Account.ID
	k := guessKey{id, clientKey(r, s.cfg.TrustedProxies)}
	switch {
	case len(req.Assertion) > 0:
		rec, err := s.loadPasskeys(ctx, id)
		if err != nil {
			return err
		}
		if len(rec.Keys) == 0 {
			return errNoPasskey
		}
		err = s.checkAssertion(ctx, id, c.Account.Handle, k, rec, req.Assertion, ceremonySession)
		if errors.Is(err, errPasskeyRefused) {
			return errorf(http.StatusForbidden, "second_factor_failed", "the passkey's answer is not valid, or its challenge was already used")
		}
		return s.codeError(w, err)
	case req.Code != "":
		rec, err := s.checkCode(ctx, id, k, req.Code, true)
		if err != nil {
			return s.codeError(w, err)
		}
		if rec == nil {
			return errNoTOTP
		}
		return s.storeTOTP(ctx, id, rec, auditlog.SecondFactorPassed)
	case req.Nonce != nil || req.Signature != nil:
		return s.checkRecoveryProof(id, c.Account.OPRFSetup, req.Nonce, req.Signature)
	}
	if !required {
		has, err := s.hasSecondFactor(ctx, id)
		if err != nil || !has {
			return err
		}
	}
	return errorf(http.StatusBadRequest, "second_factor_required",
		"this account has a second factor: prove it with a passkey, a current code or the recovery code")
}

// postPasskeyBegin starts enrolling a passkey: creation options whose
// challenge the finish step must answer.
func (s *Server) postPasskeyBegin(w http.ResponseWriter, r *http.Request, c *Caller) error {
	if s.mfa.rp == nil {
		return errNoPasskeys
	}
	var req api.PasskeyRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	s.mfa.mu.Lock()
	defer s.mfa.mu.Unlock()
	ctx, id := r.Context(), c.Account.ID
	rec, err := s.loadPasskeys(ctx, id)
	if err != nil {
		return err
	}
	if len(rec.Keys) >= passkeysMax {
		return errorf(http.StatusConflict, "too_many_passkeys", "at most %d passkeys: remove one first", passkeysMax)
	}
	if err := s.proveFactor(w, r, c, &req, false); err != nil {
		return err
	}
	user := passkeyUser{id: id, handle: c.Account.Handle, rec: rec}
	opts, data, err := s.mfa.rp.BeginRegistration(user, webauthn.WithExclusions(webauthn.Credentials(user.WebAuthnCredentials()).CredentialDescriptors()))
	if err != nil {
		return fmt.Errorf("passkey enrolment: %w", err)
	}
	out, err := s.keepCeremony(id, ceremonyEnrol, opts, data)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// postPasskeyFinish checks the new credential against its challenge and
// enrols it.
func (s *Server) postPasskeyFinish(w http.ResponseWriter, r *http.Request, c *Caller) error {
	if s.mfa.rp == nil {
		return errNoPasskeys
	}
	var req api.PasskeyRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if !utf8.ValidString(req.Name) || len(req.Name) > passkeyNameMax {
		return errorf(http.StatusBadRequest, "bad_request", "a passkey's name is at most %d bytes of UTF-8", passkeyNameMax)
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(req.Credential)
	if err != nil {
		return errorf(http.StatusBadRequest, "passkey_failed", "the new credential is malformed")
	}
	s.mfa.mu.Lock()
	defer s.mfa.mu.Unlock()
	ctx, id, now := r.Context(), c.Account.ID, s.now()
	data, ok := s.mfa.ceremonies.take(parsed.Response.CollectedClientData.Challenge, id, ceremonyEnrol, now)
	if !ok {
		return errPasskeyChallenge
	}
	rec, err := s.loadPasskeys(ctx, id)
	if err != nil {
		return err
	}
	if len(rec.Keys) >= passkeysMax {
		return errorf(http.StatusConflict, "too_many_passkeys", "at most %d passkeys: remove one first", passkeysMax)
	}
	cred, err := s.mfa.rp.CreateCredential(passkeyUser{id: id, handle: c.Account.Handle, rec: rec}, data, parsed)
	if err != nil {
		s.log.WarnContext(ctx, "passkey enrolment refused", "account", id.String())
		return errPasskeyChallenge
	}
	for _, k := range rec.Keys {
		if bytes.Equal(k.Credential.ID, cred.ID) {
			return errorf(http.StatusConflict, "second_factor_exists", "this passkey is already enrolled")
		}
	}
	name := req.Name
	if name == "" {
		name = "passkey " + now.UTC().Format("2006-01-02")
	}
	rec.Keys = append(rec.Keys, storedPasskey{Name: name, Created: now, Credential: *cred})
	if err := s.storePasskeys(ctx, id, rec, auditlog.SecondFactorEnrolled); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "second factor enrolled", "account", id.String(), "kind", "passkey")
	fs, err := s.factors(ctx, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, fs)
	return nil
}

// postPasskeyAssert makes request options for a proof on a session route.
func (s *Server) postPasskeyAssert(w http.ResponseWriter, r *http.Request, c *Caller) error {
	if s.mfa.rp == nil {
		return errNoPasskeys
	}
	if err := backupEmptyBody(w, r); err != nil {
		return err
	}
	s.mfa.mu.Lock()
	defer s.mfa.mu.Unlock()
	rec, err := s.loadPasskeys(r.Context(), c.Account.ID)
	if err != nil {
		return err
	}
	if len(rec.Keys) == 0 {
		return errNoPasskey
	}
	out, err := s.beginAssertion(c.Account.ID, c.Account.Handle, rec, ceremonySession)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// postPasskeyRemove removes a passkey, for a proof of a second factor (any
// passkey, this one included, a TOTP code, or the recovery code).
func (s *Server) postPasskeyRemove(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var req api.PasskeyRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	s.mfa.mu.Lock()
	defer s.mfa.mu.Unlock()
	ctx, id := r.Context(), c.Account.ID
	rec, err := s.loadPasskeys(ctx, id)
	if err != nil {
		return err
	}
	i := -1
	for j, k := range rec.Keys {
		if passkeyID(k.Credential.ID) == req.ID {
			i = j
		}
	}
	if i < 0 {
		return errNoPasskey
	}
	if len(req.Assertion) > 0 && s.mfa.rp == nil {
		return errNoPasskeys
	}
	if err := s.proveFactor(w, r, c, &req, true); err != nil {
		return err
	}
	// The proof may have stored a new counter: read the record again.
	if rec, err = s.loadPasskeys(ctx, id); err != nil {
		return err
	}
	rec.Keys = append(rec.Keys[:i:i], rec.Keys[i+1:]...)
	if err := s.storePasskeys(ctx, id, rec, auditlog.SecondFactorRemoved); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "second factor removed", "account", id.String(), "kind", "passkey")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// POST /v1/backup/{account}/passkey: request options for the assertion a
// release to the passphrase then carries. The caller proves the passphrase
// first, with a signature over a backup challenge exactly as for a release
// (the nonce is used up), so that no one else learns the account's
// credential ids or fills the challenge table; a failure counts as a failed
// release.
func (b *backupAPI) passkey(w http.ResponseWriter, r *http.Request) error {
	id, k, err := b.account(r)
	if err != nil {
		return err
	}
	var req api.ReleaseRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if len(req.Nonce) != backupNonceSize || len(req.Signature) != ed25519.SignatureSize || req.OTP != "" || len(req.Passkey) > 0 {
		return errorf(http.StatusBadRequest, "bad_request", "send nonce (%d bytes) and signature (64 bytes) only", backupNonceSize)
	}
	acct, err := b.activeAccount(r, id)
	if err != nil {
		return err
	}
	// Checked after the request is known good, so that a malformed one is a
	// 4xx on every server; before the nonce is used up.
	if b.s.mfa.rp == nil {
		return errNoPasskeys
	}
	if !b.verifyRelease(acct, req.Nonce, req.Signature) {
		return b.releaseFailed(w, r, id, k, "bad signature, or unknown, used or expired nonce (passkey options)")
	}
	b.s.mfa.mu.Lock()
	defer b.s.mfa.mu.Unlock()
	rec, err := b.s.loadPasskeys(r.Context(), id)
	if err != nil {
		return err
	}
	if len(rec.Keys) == 0 {
		return errNoPasskey
	}
	out, err := b.s.beginAssertion(id, acct.Handle, rec, ceremonyBackup)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// verifyRelease checks a signature by either backup auth key over the
// release message of a nonce, using the nonce up.
func (b *backupAPI) verifyRelease(acct store.Account, nonce, sig []byte) bool {
	passAuth, recAuth, err := backupwire.ParseOPRFSetup(acct.OPRFSetup)
	if err != nil {
		return false
	}
	msg := backupwire.ReleaseMessage(acct.ID, [backupwire.NonceSize]byte(nonce))
	return b.nonces.take(acct.ID, nonce, b.s.now()) && (ed25519.Verify(passAuth, msg, sig) || ed25519.Verify(recAuth, msg, sig))
}
