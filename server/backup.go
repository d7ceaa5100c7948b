package server

// Backup: the OPRF and the release of an account's key-backup blob
// (docs/spec/backup-v1.md; docs/backup-protocol.md gives the exact bytes).
//
// A passphrase backup key is k = HKDF(Argon2id(passphrase) ‖ VOPRF(account ‖
// passphrase), …), and the VOPRF key of every account derives from the
// server's OPRF seed. Why a stolen database allows no offline guessing: the
// seed is stored only sealed under the server's tink keyset, and the keyset
// only encrypted under the master key, which is kept outside the database and
// outside its backups (package secrets). Without the seed no one can compute
// the VOPRF, so no one can derive k from a guessed passphrase and test it
// against the backup blob or the backup auth key; each guess has to be an
// online evaluation here, and every evaluation counts against the account's
// rate limit and growing lockout (backup_lockout.go).

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/internal/auditlog"
	"github.com/blindvault/blindvault/internal/backupwire"
	"github.com/blindvault/blindvault/server/store"
)

// backupAPI serves the backup routes; it owns the outstanding release
// challenges.
type backupAPI struct {
	s      *Server
	nonces *backupNonces
}

func (s *Server) backupRoutes(r *mux.Router) {
	b := &backupAPI{s: s, nonces: newBackupNonces()}
	r.HandleFunc("/backup/{account}/oprf-key", s.public(b.oprfKey)).Methods(http.MethodGet)
	r.HandleFunc("/backup/{account}/evaluate", s.public(b.evaluate)).Methods(http.MethodPost)
	r.HandleFunc("/backup/{account}/challenge", s.public(b.challenge)).Methods(http.MethodPost)
	r.HandleFunc("/backup/{account}/release", s.public(b.release)).Methods(http.MethodPost)
}

// GET /v1/backup/{account}/oprf-key: the account's OPRF public key. It is
// derived for any id, registered or not: a client needs it before it
// registers, and binds it into its backup KDF.
func (b *backupAPI) oprfKey(w http.ResponseWriter, r *http.Request) error {
	id, err := b.account(r)
	if err != nil {
		return err
	}
	pk, err := b.s.oprfPublicKey(id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.OPRFKey{Suite: oprfSuite.Identifier(), PublicKey: pk})
	return nil
}

// POST /v1/backup/{account}/evaluate: one VOPRF evaluation with its DLEQ
// proof. For a registered account each evaluation is an online passphrase
// guess, so it counts one failure in the lockout (a later successful release
// resets it) and is refused while the account is locked. An unregistered id
// is evaluated without counting: a client evaluates before it registers.
func (b *backupAPI) evaluate(w http.ResponseWriter, r *http.Request) error {
	id, err := b.account(r)
	if err != nil {
		return err
	}
	var req api.EvaluateRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	blinded, err := oprfParseBlinded(req.Blinded)
	if err != nil {
		return err
	}
	ctx, now := r.Context(), b.s.now()
	// The evaluation is logged with its lockout count, for registered accounts.
	guess := &store.LogBatch{Entries: [][]byte{b.s.entry(auditlog.OPRFEvaluated, id).Marshal()}}
	lo, err := b.s.store.UpdateLockout(store.WithLog(ctx, guess), id, backupFailure(now))
	var locked *backupLocked
	switch {
	case errors.As(err, &locked):
		return backupRefuse(w, now, locked.until)
	case isNotFound(err):
		// Not registered: nothing to guess.
	case err != nil:
		return err
	default:
		b.s.log.InfoContext(ctx, "backup oprf evaluation", "account", id.String(), "failures", lo.Failures)
		if lo.Until.After(now) {
			b.s.log.WarnContext(ctx, "backup locked", "account", id.String(), "failures", lo.Failures, "seconds", int(lo.Until.Sub(now).Seconds()))
		}
	}
	evaluated, proof, err := b.s.oprfEvaluate(id, blinded)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.Evaluated{Evaluated: evaluated, Proof: proof})
	return nil
}

// POST /v1/backup/{account}/challenge: a single-use nonce for a release,
// valid for 60 seconds. The body is empty or {}.
func (b *backupAPI) challenge(w http.ResponseWriter, r *http.Request) error {
	id, err := b.account(r)
	if err != nil {
		return err
	}
	if err := backupEmptyBody(w, r); err != nil {
		return err
	}
	if _, err := b.activeAccount(r, id); err != nil {
		return err
	}
	now := b.s.now()
	nonce, exp, ok := b.nonces.issue(id, now)
	if !ok {
		return &rateLimited{wait: backupNonceTTL}
	}
	writeJSON(w, http.StatusOK, api.Challenge{Nonce: nonce, Expires: exp.UTC()})
	return nil
}

// POST /v1/backup/{account}/release: the backup blob, for a signature by the
// account's backup auth key over the release message (backupwire.ReleaseMessage)
// with a nonce from /challenge. A bad signature and an unknown, used or
// expired nonce are failures: 401, counted in the lockout and logged with the
// account id only. The nonce is used up by any attempt.
func (b *backupAPI) release(w http.ResponseWriter, r *http.Request) error {
	id, err := b.account(r)
	if err != nil {
		return err
	}
	var req api.ReleaseRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if len(req.Nonce) != backupNonceSize || len(req.Signature) != ed25519.SignatureSize {
		return errorf(http.StatusBadRequest, "bad_request", "nonce must be %d bytes and signature %d", backupNonceSize, ed25519.SignatureSize)
	}
	acct, err := b.activeAccount(r, id)
	if err != nil {
		return err
	}
	passAuth, recAuth, err := backupwire.ParseOPRFSetup(acct.OPRFSetup)
	if err != nil {
		return err // registration let a bad set-up through: a 500, logged
	}
	msg := backupwire.ReleaseMessage(id, [backupwire.NonceSize]byte(req.Nonce))
	ctx, now := r.Context(), b.s.now()
	reason := ""
	switch {
	case !b.nonces.take(id, req.Nonce, now):
		reason = "unknown, used or expired nonce"
	case !ed25519.Verify(passAuth, msg, req.Signature) && !ed25519.Verify(recAuth, msg, req.Signature):
		reason = "bad signature"
	}
	update, outcome := backupSuccess(now), b.s.entry(auditlog.BackupRelease, id)
	outcome.Number = 1
	if reason != "" {
		update, outcome.Number = backupFailure(now), 0
	}
	lo, err := b.s.store.UpdateLockout(store.WithLog(ctx, &store.LogBatch{Entries: [][]byte{outcome.Marshal()}}), id, update)
	var locked *backupLocked
	if errors.As(err, &locked) {
		b.s.log.WarnContext(ctx, "backup release refused: locked", "account", id.String())
		return backupRefuse(w, now, locked.until)
	}
	if err != nil {
		return err
	}
	if reason != "" {
		args := []any{"account", id.String(), "reason", reason, "failures", lo.Failures}
		if lo.Until.After(now) {
			args = append(args, "locked_seconds", int(lo.Until.Sub(now).Seconds()))
		}
		b.s.log.WarnContext(ctx, "backup release failed", args...)
		return errorf(http.StatusUnauthorized, "backup_auth_failed", "the backup release was not authorized: %s", reason)
	}
	blob, err := b.s.store.Backup(ctx, id)
	if err != nil {
		return err
	}
	b.s.log.InfoContext(ctx, "backup released", "account", id.String())
	writeJSON(w, http.StatusOK, api.Released{Backup: blob})
	return nil
}

// account applies the per-account rate limit and returns the route's
// {account}: 64 lowercase hex digits, not all zero.
func (b *backupAPI) account(r *http.Request) (store.AccountID, error) {
	id, err := accountVar(r)
	if err != nil {
		return id, err
	}
	if id.IsZero() {
		return id, errorf(http.StatusBadRequest, "bad_id", "account id is zero")
	}
	if ok, wait := b.s.accountLimit.allow(r.Context(), id.String(), b.s.now()); !ok {
		return id, &rateLimited{wait: wait}
	}
	return id, nil
}

// activeAccount returns a registered account that is not suspended.
func (b *backupAPI) activeAccount(r *http.Request, id store.AccountID) (store.Account, error) {
	acct, err := b.s.store.Account(r.Context(), id)
	if err != nil {
		return store.Account{}, err
	}
	if acct.Status != store.StatusActive {
		return store.Account{}, errorf(http.StatusForbidden, "suspended", "the account is suspended")
	}
	return acct, nil
}

// backupRefuse answers an attempt on a locked account: 429 with Retry-After
// in whole seconds.
func backupRefuse(w http.ResponseWriter, now, until time.Time) error {
	secs := max(1, int(math.Ceil(until.Sub(now).Seconds())))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	return errorf(http.StatusTooManyRequests, "locked", "too many failed backup attempts; retry in %d s", secs)
}

// backupEmptyBody accepts an empty body or an empty JSON object.
func backupEmptyBody(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxJSON))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errorf(http.StatusRequestEntityTooLarge, "too_large", "JSON body over %d bytes", maxJSON)
		}
		return errorf(http.StatusBadRequest, "bad_json", "%v", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var v struct{}
	if err := dec.Decode(&v); err != nil {
		return errorf(http.StatusBadRequest, "bad_json", "%v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errorf(http.StatusBadRequest, "bad_json", "data after the JSON object")
	}
	return nil
}
