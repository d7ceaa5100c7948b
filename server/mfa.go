package server

import (
	"context"
	"crypto/ed25519"
	"net/http"
	"sync"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/gorilla/mux"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/internal/auditlog"
	"github.com/blindvault/blindvault/internal/backupwire"
	"github.com/blindvault/blindvault/server/store"
)

// Second factors. An account may enrol one TOTP factor; once it is confirmed,
// the server releases the key backup to a passphrase signature only with a
// current code, and enrols a device without a session only with the ticket
// such a release handed out (ident_devices.go). The recovery code needs no
// second factor: it is the documented way out of a lost authenticator.
//
//	GET  /v1/mfa                          (session) → {factors: [{kind, created, confirmed}]}
//	POST /v1/mfa/totp                     (session) → 201 {uri, secret}: pending until confirmed
//	POST /v1/mfa/totp/confirm  {code}     (session) → {factors}
//	POST /v1/mfa/totp/remove   {code} or {nonce, signature} (session) → 204
//
// Wrong codes are counted per (account, address) in memory and per account
// in the sealed record, each locking on the backup schedule; a code is used
// once (the last step used is kept), so a code seen over a shoulder or in a
// log is worthless after its use.
func (s *Server) mfaRoutes(r *mux.Router) {
	r.HandleFunc("/mfa", s.authed(s.getMFA)).Methods(http.MethodGet)
	r.HandleFunc("/mfa/totp", s.authed(s.postTOTP)).Methods(http.MethodPost)
	r.HandleFunc("/mfa/totp/confirm", s.authed(s.postTOTPConfirm)).Methods(http.MethodPost)
	r.HandleFunc("/mfa/totp/remove", s.authed(s.postTOTPRemove)).Methods(http.MethodPost)
	r.HandleFunc("/mfa/passkey/begin", s.authed(s.postPasskeyBegin)).Methods(http.MethodPost)
	r.HandleFunc("/mfa/passkey/finish", s.authed(s.postPasskeyFinish)).Methods(http.MethodPost)
	r.HandleFunc("/mfa/passkey/assert", s.authed(s.postPasskeyAssert)).Methods(http.MethodPost)
	r.HandleFunc("/mfa/passkey/remove", s.authed(s.postPasskeyRemove)).Methods(http.MethodPost)
}

// totpAccountFreeFailures is how many wrong codes an account takes before
// it is locked (per address: backupAddrFreeFailures).
const totpAccountFreeFailures = 10

// mfaState is the second factors' state in memory.
type mfaState struct {
	mu         sync.Mutex     // serializes each read-check-write of a TOTP or passkey record
	guesses    *backupGuesses // wrong codes and refused assertions per (account, address)
	tickets    *enrolTickets
	rp         *webauthn.WebAuthn // nil: passkeys off (mfa_passkey.go)
	ceremonies *ceremonies
}

func newMFAState(rp *webauthn.WebAuthn) *mfaState {
	return &mfaState{guesses: newBackupGuesses(), tickets: newEnrolTickets(), rp: rp,
		ceremonies: &ceremonies{m: map[string]ceremony{}}}
}

var (
	errSecondFactorRequired = errorf(http.StatusUnauthorized, "second_factor_required", "this account has a second factor: send a current one-time code")
	errSecondFactorFailed   = errorf(http.StatusUnauthorized, "second_factor_failed", "the one-time code is wrong, or was already used")
	errNoTOTP               = errorf(http.StatusNotFound, "no_second_factor", "no TOTP factor is enrolled")
)

// checkCode checks a code against the account's TOTP factor at now, counting
// a wrong one, and returns the record as it now stands (nil if the account
// has none, or only a pending one when confirmed is wanted). Call it with
// s.mfa.mu held.
func (s *Server) checkCode(ctx context.Context, id store.AccountID, k guessKey, code string, confirmed bool) (*totpRecord, error) {
	rec, err := s.loadTOTP(ctx, id)
	if err != nil || rec == nil || rec.confirmed != confirmed {
		return nil, err
	}
	if code == "" {
		return rec, errSecondFactorRequired
	}
	now := s.now()
	if until, ok := s.mfa.guesses.locked(k, now); ok {
		return rec, &lockedError{until: until}
	}
	if now.Before(rec.until) {
		return rec, &lockedError{until: rec.until}
	}
	step, ok := rec.match(code, now)
	if !ok {
		if rec.failures < ^uint32(0) {
			rec.failures++
		}
		if d := backupLockFor(rec.failures, totpAccountFreeFailures); d > 0 {
			rec.until = now.Add(d)
		}
		s.mfa.guesses.fail(k, now)
		if err := s.storeTOTP(ctx, id, rec, auditlog.SecondFactorFailed); err != nil {
			return rec, err
		}
		s.log.WarnContext(ctx, "second factor refused", "account", id.String(), "failures", rec.failures)
		s.metrics.guesses.WithLabelValues("second_factor", "failed").Inc()
		return rec, errSecondFactorFailed
	}
	rec.lastStep, rec.failures, rec.until = step, 0, time.Time{}
	s.mfa.guesses.take(k)
	s.metrics.guesses.WithLabelValues("second_factor", "accepted").Inc()
	return rec, nil
}

// lockedError is a refusal while codes are locked: 429 with Retry-After.
type lockedError struct{ until time.Time }

func (e *lockedError) Error() string { return "locked until " + e.until.UTC().Format(time.RFC3339) }

// requireSecondFactor is the release's check: nil if the account has no
// confirmed factor, or the passkey assertion or the code is good (and then
// used up). Either factor will do.
func (s *Server) requireSecondFactor(ctx context.Context, id store.AccountID, k guessKey, code string, passkey []byte) error {
	s.mfa.mu.Lock()
	defer s.mfa.mu.Unlock()
	pk, err := s.loadPasskeys(ctx, id)
	if err != nil {
		return err
	}
	if len(passkey) > 0 && len(pk.Keys) > 0 && s.mfa.rp != nil {
		return s.requirePasskey(ctx, id, k, pk, passkey)
	}
	rec, err := s.checkCode(ctx, id, k, code, true)
	if err == nil && rec == nil && len(pk.Keys) > 0 {
		return errorf(http.StatusUnauthorized, "second_factor_required", "this account has a passkey: answer the options of POST /v1/backup/{account}/passkey")
	}
	if err != nil || rec == nil {
		return err
	}
	return s.storeTOTP(ctx, id, rec, auditlog.SecondFactorPassed)
}

// storeTOTP stores the account's TOTP record (nil removes it) with a
// second-factor log entry of op, in one commit.
func (s *Server) storeTOTP(ctx context.Context, id store.AccountID, rec *totpRecord, op uint64) error {
	e := s.entry(auditlog.SecondFactor, id)
	e.Number = op
	_, err := s.logged(ctx, []*auditlog.Entry{e}, func(ctx context.Context) error { return s.saveTOTP(ctx, id, rec) })
	return err
}

// hasSecondFactor reports whether the account has a confirmed factor: a
// TOTP factor or a passkey.
func (s *Server) hasSecondFactor(ctx context.Context, id store.AccountID) (bool, error) {
	rec, err := s.loadTOTP(ctx, id)
	if err != nil || (rec != nil && rec.confirmed) {
		return err == nil, err
	}
	pk, err := s.loadPasskeys(ctx, id)
	return err == nil && len(pk.Keys) > 0, err
}

func (s *Server) getMFA(w http.ResponseWriter, r *http.Request, c *Caller) error {
	fs, err := s.factors(r.Context(), c.Account.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, fs)
	return nil
}

// factors lists the account's TOTP factor and passkeys.
func (s *Server) factors(ctx context.Context, id store.AccountID) (api.Factors, error) {
	rec, err := s.loadTOTP(ctx, id)
	if err != nil {
		return api.Factors{}, err
	}
	pk, err := s.loadPasskeys(ctx, id)
	if err != nil {
		return api.Factors{}, err
	}
	fs := factorsOf(rec)
	fs.Factors = append(fs.Factors, passkeyFactors(pk)...)
	return fs, nil
}

func factorsOf(rec *totpRecord) api.Factors {
	out := api.Factors{Factors: []api.Factor{}}
	if rec != nil {
		out.Factors = append(out.Factors, api.Factor{Kind: "totp", Created: rec.created.UTC(), Confirmed: rec.confirmed})
	}
	return out
}

// postTOTP draws a new TOTP secret, pending until a code from it is
// confirmed. It replaces a pending one; a confirmed one must be removed
// first.
func (s *Server) postTOTP(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var proof api.PasskeyRequest
	if err := optionalJSON(w, r, &proof); err != nil {
		return err
	}
	if s.cfg.Sealer == nil {
		return errNoSealer
	}
	s.mfa.mu.Lock()
	defer s.mfa.mu.Unlock()
	ctx, id := r.Context(), c.Account.ID
	old, err := s.loadTOTP(ctx, id)
	if err != nil {
		return err
	}
	if old != nil && old.confirmed {
		return errorf(http.StatusConflict, "second_factor_exists", "a TOTP factor is already enrolled: remove it first")
	}
	// With a passkey on the account, a stolen session alone must not add a
	// factor of its own: prove the passkey (or the recovery code) first.
	if err := s.proveFactor(w, r, c, &proof, false); err != nil {
		return err
	}
	rec := newTOTPRecord(s.now())
	uri, err := rec.uri(s.totpIssuer(), c.Account.Handle)
	if err != nil {
		return err
	}
	if err := s.saveTOTP(ctx, id, rec); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, api.TOTPEnrolment{URI: uri, Secret: rec.base32Secret(), Period: totpPeriod, Digits: 6})
	return nil
}

// postTOTPConfirm turns a pending factor on with a code from it.
func (s *Server) postTOTPConfirm(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var req api.CodeRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	s.mfa.mu.Lock()
	defer s.mfa.mu.Unlock()
	ctx, id := r.Context(), c.Account.ID
	rec, err := s.checkCode(ctx, id, guessKey{id, clientKey(r, s.cfg.TrustedProxies)}, req.Code, false)
	if err != nil {
		return s.codeError(w, err)
	}
	if rec == nil {
		return errNoTOTP
	}
	rec.confirmed = true
	if err := s.storeTOTP(ctx, id, rec, auditlog.SecondFactorEnrolled); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "second factor enrolled", "account", id.String(), "kind", "totp")
	writeJSON(w, http.StatusOK, factorsOf(rec))
	return nil
}

// postTOTPRemove removes the factor for a current code from it, so that a
// stolen session alone cannot turn the factor off, or for proof of the
// recovery code, the way out of a lost authenticator: a signature by the
// recovery auth key over a backup challenge, exactly what would release the
// backup anyway.
func (s *Server) postTOTPRemove(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var req api.CodeRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	s.mfa.mu.Lock()
	defer s.mfa.mu.Unlock()
	ctx, id := r.Context(), c.Account.ID
	var rec *totpRecord
	var err error
	if req.Code == "" && (req.Nonce != nil || req.Signature != nil) {
		if err := s.checkRecoveryProof(id, c.Account.OPRFSetup, req.Nonce, req.Signature); err != nil {
			return err
		}
		rec, err = s.loadTOTP(ctx, id)
		if rec != nil && !rec.confirmed {
			rec = nil
		}
	} else {
		rec, err = s.checkCode(ctx, id, guessKey{id, clientKey(r, s.cfg.TrustedProxies)}, req.Code, true)
	}
	if err != nil {
		return s.codeError(w, err)
	}
	if rec == nil {
		return errNoTOTP
	}
	if err := s.storeTOTP(ctx, id, nil, auditlog.SecondFactorRemoved); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "second factor removed", "account", id.String(), "kind", "totp")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// checkRecoveryProof checks a signature by the account's recovery auth key
// over the release message of a backup challenge nonce, using the nonce up.
func (s *Server) checkRecoveryProof(id store.AccountID, setup, nonce, sig []byte) error {
	if len(nonce) != backupNonceSize || len(sig) != ed25519.SignatureSize {
		return errorf(http.StatusBadRequest, "bad_request", "nonce must be %d bytes and signature %d", backupNonceSize, ed25519.SignatureSize)
	}
	_, recAuth, err := backupwire.ParseOPRFSetup(setup)
	if err != nil {
		return err
	}
	msg := backupwire.ReleaseMessage(id, [backupwire.NonceSize]byte(nonce))
	if !s.backup.nonces.take(id, nonce, s.now()) || !ed25519.Verify(recAuth, msg, sig) {
		return errorf(http.StatusForbidden, "recovery_proof_failed", "the recovery-code signature or its challenge is not valid")
	}
	return nil
}

// codeError answers a refused code. On a session route a wrong code is 403,
// not 401: the session itself is fine.
func (s *Server) codeError(w http.ResponseWriter, err error) error {
	switch err {
	case errSecondFactorRequired:
		return errorf(http.StatusBadRequest, "second_factor_required", "send a current one-time code")
	case errSecondFactorFailed:
		return errorf(http.StatusForbidden, "second_factor_failed", "the one-time code is wrong, or was already used")
	}
	if l, ok := err.(*lockedError); ok {
		return backupRefuse(w, s.now(), l.until)
	}
	return err
}
