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
// online evaluation here, and every evaluation counts in the growing lockouts
// of the account and of the client's address (backup_lockout.go,
// backup_guesses.go).
//
// These routes are anonymous, and an account id is public (the directory
// gives it), so nothing here may spend what the owner needs: they are
// rate-limited per (account, address), never from the account's own
// allowance, and a recovery-code release works while guessing is locked.

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
	s       *Server
	nonces  *backupNonces
	guesses *backupGuesses
}

func (s *Server) backupRoutes(r *mux.Router) {
	b := &backupAPI{s: s, nonces: newBackupNonces(), guesses: newBackupGuesses()}
	s.backup = b
	r.HandleFunc("/backup/{account}/oprf-key", s.public(b.oprfKey)).Methods(http.MethodGet)
	r.HandleFunc("/backup/{account}/evaluate", s.public(b.evaluate)).Methods(http.MethodPost)
	r.HandleFunc("/backup/{account}/challenge", s.public(b.challenge)).Methods(http.MethodPost)
	r.HandleFunc("/backup/{account}/release", s.public(b.release)).Methods(http.MethodPost)
	r.HandleFunc("/backup/{account}/passkey", s.public(b.passkey)).Methods(http.MethodPost) // mfa_passkey.go
}

// GET /v1/backup/{account}/oprf-key: the account's OPRF public key. It is
// derived for any id, registered or not: a client needs it before it
// registers, and binds it into its backup KDF.
func (b *backupAPI) oprfKey(w http.ResponseWriter, r *http.Request) error {
	id, _, err := b.account(r)
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
// proof. Each evaluation is an online passphrase guess: it counts one failure
// for the client's address (for any id) and for a registered account (a later
// successful release from that address takes the address's count off the
// account's), and is refused while either is locked. Evaluations for ids that
// are not registered are also limited per address: a client evaluates once
// before it registers.
func (b *backupAPI) evaluate(w http.ResponseWriter, r *http.Request) error {
	id, k, err := b.account(r)
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
	if until, ok := b.guesses.locked(k, now); ok {
		return backupRefuse(w, now, until)
	}
	// The evaluation is logged with its lockout count, for registered accounts.
	guess := &store.LogBatch{Entries: [][]byte{b.s.entry(auditlog.OPRFEvaluated, id).Marshal()}}
	lo, err := b.s.store.UpdateLockout(store.WithLog(ctx, guess), id, backupFailure(now))
	var locked *backupLocked
	switch {
	case errors.As(err, &locked):
		return backupRefuse(w, now, locked.until)
	case isNotFound(err):
		if ok, wait := b.s.unknownEvals.allow(ctx, k.addr, now); !ok {
			b.s.metrics.limited.WithLabelValues("unknown_evaluation").Inc()
			return &rateLimited{wait: wait}
		}
	case err != nil:
		return err
	default:
		b.s.alerts.failure("backup-guesses", id)
		b.s.log.InfoContext(ctx, "backup oprf evaluation", "account", id.String(), "failures", lo.Failures)
		if lo.Until.After(now) {
			b.s.log.WarnContext(ctx, "backup locked", "account", id.String(), "failures", lo.Failures, "seconds", int(lo.Until.Sub(now).Seconds()))
		}
	}
	b.guesses.fail(k, now)
	b.s.metrics.guesses.WithLabelValues("oprf_evaluation", "counted").Inc()
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
	id, k, err := b.account(r)
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
	nonce, exp, ok := b.nonces.issue(id, k.addr, now)
	if !ok {
		return &rateLimited{wait: backupNonceTTL}
	}
	writeJSON(w, http.StatusOK, api.Challenge{Nonce: nonce, Expires: exp.UTC()})
	return nil
}

// POST /v1/backup/{account}/release: the backup blob, for a signature by one
// of the account's backup auth keys over the release message
// (backupwire.ReleaseMessage) with a nonce from /challenge, and, with the
// passphrase key, a current one-time code if the account has a second factor
// (mfa.go). The nonce is used up by any attempt. The answer carries a ticket
// for enrolling the new device (mfa_tickets.go).
//
// A bad signature or an unknown, used or expired nonce is a failure: 401,
// counted for the address and the account and logged with the account id
// only, or 429 while either is locked. A good signature releases the blob
// even while locked: the recovery-code key is 128 bits, not guessable online,
// and the passphrase key can only come from an evaluation that was counted.
func (b *backupAPI) release(w http.ResponseWriter, r *http.Request) error {
	id, k, err := b.account(r)
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
	nonceOK := b.nonces.take(id, req.Nonce, now)
	recovery := nonceOK && ed25519.Verify(recAuth, msg, req.Signature)
	passphrase := nonceOK && !recovery && ed25519.Verify(passAuth, msg, req.Signature)
	if !recovery && !passphrase {
		reason := "bad signature"
		if !nonceOK {
			reason = "unknown, used or expired nonce"
		}
		return b.releaseFailed(w, r, id, k, reason)
	}
	if passphrase {
		// The passphrase is right; a second factor, if enrolled, must be too.
		// The recovery code needs none: it is the way out of a lost factor.
		if err := b.s.requireSecondFactor(ctx, id, k, req.OTP, req.Passkey); err != nil {
			var l *lockedError
			if errors.As(err, &l) {
				return backupRefuse(w, now, l.until)
			}
			return err
		}
	}
	update := backupReset
	if passphrase {
		update = backupRefund(b.guesses.take(k))
	} else {
		b.guesses.forgetAccount(id)
	}
	outcome := b.s.entry(auditlog.BackupRelease, id)
	outcome.Number = 1
	if _, err := b.s.store.UpdateLockout(store.WithLog(ctx, &store.LogBatch{Entries: [][]byte{outcome.Marshal()}}), id, update); err != nil {
		return err
	}
	blob, err := b.s.store.Backup(ctx, id)
	if err != nil {
		return err
	}
	if passphrase {
		b.s.alerts.pay("backup-guesses", id)
	}
	b.s.log.InfoContext(ctx, "backup released", "account", id.String(), "recovery_code", recovery)
	b.s.metrics.guesses.WithLabelValues("backup_release", "released").Inc()
	writeJSON(w, http.StatusOK, api.Released{Backup: blob, EnrolTicket: b.s.mfa.tickets.issue(id, now)})
	return nil
}

// releaseFailed counts a failed release for the address and the account,
// logs it and answers 401, or 429 if either is locked (then nothing counts).
func (b *backupAPI) releaseFailed(w http.ResponseWriter, r *http.Request, id store.AccountID, k guessKey, reason string) error {
	ctx, now := r.Context(), b.s.now()
	if until, ok := b.guesses.locked(k, now); ok {
		b.s.log.WarnContext(ctx, "backup release refused: address locked", "account", id.String())
		return backupRefuse(w, now, until)
	}
	outcome := b.s.entry(auditlog.BackupRelease, id)
	lo, err := b.s.store.UpdateLockout(store.WithLog(ctx, &store.LogBatch{Entries: [][]byte{outcome.Marshal()}}), id, backupFailure(now))
	var locked *backupLocked
	if errors.As(err, &locked) {
		b.s.log.WarnContext(ctx, "backup release refused: locked", "account", id.String())
		return backupRefuse(w, now, locked.until)
	}
	if err != nil {
		return err
	}
	b.guesses.fail(k, now)
	b.s.metrics.guesses.WithLabelValues("backup_release", "failed").Inc()
	args := []any{"account", id.String(), "reason", reason, "failures", lo.Failures}
	if lo.Until.After(now) {
		args = append(args, "locked_seconds", int(lo.Until.Sub(now).Seconds()))
	}
	b.s.log.WarnContext(ctx, "backup release failed", args...)
	return errorf(http.StatusUnauthorized, "backup_auth_failed", "the backup release was not authorized: %s", reason)
}

// account returns the route's {account} (64 lowercase hex digits, not all
// zero) with the client's address, and applies the anonymous rate limit of
// that pair. The account's own allowance, which its sessions spend, is not
// touched.
func (b *backupAPI) account(r *http.Request) (store.AccountID, guessKey, error) {
	id, err := accountVar(r)
	if err != nil {
		return id, guessKey{}, err
	}
	if id.IsZero() {
		return id, guessKey{}, errorf(http.StatusBadRequest, "bad_id", "account id is zero")
	}
	k := guessKey{account: id, addr: clientKey(r, b.s.cfg.TrustedProxies)}
	if ok, wait := b.s.anonLimit.allow(r.Context(), id.String()+" "+k.addr, b.s.now()); !ok {
		b.s.metrics.limited.WithLabelValues("anonymous").Inc()
		return id, k, &rateLimited{wait: wait}
	}
	return id, k, nil
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
	var v struct{}
	return optionalJSON(w, r, &v)
}

// optionalJSON reads an empty body (leaving v as it is) or one JSON object
// of at most maxJSON bytes into v, refusing unknown fields and trailing data.
func optionalJSON(w http.ResponseWriter, r *http.Request, v any) error {
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
	if err := requireJSON(r); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errorf(http.StatusBadRequest, "bad_json", "%v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errorf(http.StatusBadRequest, "bad_json", "data after the JSON object")
	}
	return nil
}
