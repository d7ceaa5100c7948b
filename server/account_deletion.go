package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/internal/auditlog"
	"github.com/blindvault/blindvault/server/store"
)

// Account deletion (issue 14; docs/compliance.md, right to deletion).
//
//	GET  /v1/account/deletion          (session) → {requested, due}, or 404 if none
//	POST /v1/account/deletion          (session) {auth, code} → 202 {requested, due}
//	POST /v1/account/deletion/cancel   (session) {auth, code} → 200 {requested, due}
//
// Both changes need re-authentication, as a backup release does: a fresh
// auth object signed by a device of the account over a challenge nonce (a
// stolen session token alone is not enough), and a current one-time code
// when the account has a second factor. Scheduling ends every other session
// of the account and revokes every grant on its records, so that no one else
// reads them; the owner may still sign in to cancel. After the retention
// window (Config.DeletionRetention) the maintenance loop purges the account
// (PurgeDeletedAccounts) and compacts the store. Every step is logged
// (auditlog.AccountDeletion); the log keeps hashes only.
//
// Other clients learn of a deletion from the key directory and the chain
// API, which answer 404 with the code "account_deleted" for an account whose
// deletion is pending or done (to everyone but its owner). The lookup by
// handle still answers while the deletion is pending, with the status
// "deleting", because the owner signs in again by handle to cancel (the
// SDK's Lookup reports it as not found); once the account is purged its
// handle is free.
func (s *Server) deletionRoutes(r *mux.Router) {
	r.HandleFunc("/account/deletion", s.authed(s.getDeletion)).Methods(http.MethodGet)
	r.HandleFunc("/account/deletion", s.authed(s.postDeletion)).Methods(http.MethodPost)
	r.HandleFunc("/account/deletion/cancel", s.authed(s.postDeletionCancel)).Methods(http.MethodPost)
}

// Retention bounds. An operator who needs longer keeps backups instead: the
// point of the window is a short change of mind, not an archive.
const (
	DefaultDeletionRetention = 30 * 24 * time.Hour
	MaxDeletionRetention     = 90 * 24 * time.Hour
	// NoRetention purges a deleted account at the next maintenance run.
	NoRetention time.Duration = -1
)

// deletionRetention applies the default and the bounds of a configured
// retention.
func deletionRetention(d time.Duration) (time.Duration, error) {
	switch {
	case d == 0:
		return DefaultDeletionRetention, nil
	case d < 0:
		return 0, nil
	case d > MaxDeletionRetention:
		return 0, fmt.Errorf("server: deletion retention %s is longer than the maximum %s", d, MaxDeletionRetention)
	}
	return d, nil
}

var errAccountDeleted = errorf(http.StatusNotFound, "account_deleted", "the account was deleted by its owner")

func viewDeletion(d store.AccountDeletion) api.Deletion {
	return api.Deletion{Requested: d.Requested.UTC(), Due: d.Due.UTC()}
}

func (s *Server) getDeletion(w http.ResponseWriter, r *http.Request, c *Caller) error {
	d, err := s.store.AccountDeletion(r.Context(), c.Account.ID)
	if isNotFound(err) {
		return errorf(http.StatusNotFound, "no_deletion", "no deletion of this account is scheduled")
	}
	if err != nil {
		return fmt.Errorf("account deletion: %w", err)
	}
	writeJSON(w, http.StatusOK, viewDeletion(d))
	return nil
}

// reauthenticate checks a deletion request's fresh device signature and,
// when the account has one, its second factor. The nonce is used up before
// the code is checked, so every attempt needs a new challenge.
func (s *Server) reauthenticate(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var req api.DeletionRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	now := s.now()
	a, err := s.checkAuth(r, req.Auth, now)
	if err != nil {
		return err
	}
	if store.AccountID(a.AccountID) != c.Account.ID {
		return errorf(http.StatusForbidden, "reauth_mismatch", "the auth object is for another account than the session's")
	}
	if err := s.redeemAuth(w, a, now); err != nil {
		return err
	}
	id := c.Account.ID
	// The code of a TOTP factor (a passkey-only account proves its factor
	// with the recovery code's login first: deletion takes no assertion yet).
	if err := s.requireSecondFactor(r.Context(), id, guessKey{id, clientKey(r, s.cfg.TrustedProxies)}, req.Code, nil); err != nil {
		return s.codeError(w, err)
	}
	return nil
}

func (s *Server) deletionEntry(id store.AccountID, op uint64) []*auditlog.Entry {
	e := s.entry(auditlog.AccountDeletion, id)
	e.Number = op
	return []*auditlog.Entry{e}
}

// postDeletion schedules the caller's account for deletion.
func (s *Server) postDeletion(w http.ResponseWriter, r *http.Request, c *Caller) error {
	if err := s.reauthenticate(w, r, c); err != nil {
		return err
	}
	ctx, id, now := r.Context(), c.Account.ID, s.now()
	d := store.AccountDeletion{Account: id, Requested: now, Due: now.Add(s.cfg.DeletionRetention)}
	_, err := s.logged(ctx, s.deletionEntry(id, auditlog.AccountDeletionScheduled), func(ctx context.Context) error {
		return s.store.ScheduleAccountDeletion(ctx, d, c.Session.TokenHash)
	})
	if errors.Is(err, store.ErrConflict) {
		return errorf(http.StatusConflict, "deletion_scheduled", "a deletion of this account is already scheduled")
	}
	if err != nil {
		return fmt.Errorf("schedule account deletion: %w", err)
	}
	s.log.InfoContext(ctx, "account deletion scheduled", "account", id.String(), "due", d.Due.UTC())
	writeJSON(w, http.StatusAccepted, viewDeletion(d))
	return nil
}

// postDeletionCancel cancels the caller's pending deletion.
func (s *Server) postDeletionCancel(w http.ResponseWriter, r *http.Request, c *Caller) error {
	if err := s.reauthenticate(w, r, c); err != nil {
		return err
	}
	ctx, id := r.Context(), c.Account.ID
	var d store.AccountDeletion
	_, err := s.logged(ctx, s.deletionEntry(id, auditlog.AccountDeletionCancelled), func(ctx context.Context) (err error) {
		d, err = s.store.CancelAccountDeletion(ctx, id)
		return err
	})
	switch {
	case isNotFound(err):
		return errorf(http.StatusNotFound, "no_deletion", "no deletion of this account is scheduled")
	case err != nil:
		return fmt.Errorf("cancel account deletion: %w", err)
	}
	s.log.InfoContext(ctx, "account deletion cancelled", "account", id.String())
	writeJSON(w, http.StatusOK, viewDeletion(d))
	return nil
}

// accountSecretNames names the secrets an account's purge deletes: its
// second factors.
func accountSecretNames(id store.AccountID) []string {
	return []string{totpSecretName(id)}
}

// PurgeDeletedAccounts purges every account whose deletion is due, each in
// one transaction with its log entry, and then compacts the store so that
// what was purged is gone from the storage and not only unlinked. It
// returns how many accounts it purged. The maintenance loop calls it; tests
// and operators may call it directly.
func (s *Server) PurgeDeletedAccounts(ctx context.Context) (int, error) {
	due, err := s.store.DueAccountDeletions(ctx, s.now())
	if err != nil {
		return 0, fmt.Errorf("purge deleted accounts: %w", err)
	}
	n := 0
	var errs []error // one account that fails does not hold up the others
	for _, d := range due {
		p := store.AccountPurge{Account: d.Account, Purged: s.now(), Secrets: accountSecretNames(d.Account)}
		var st store.PurgeStats
		_, err := s.logged(ctx, s.deletionEntry(d.Account, auditlog.AccountDeletionPurged), func(ctx context.Context) (err error) {
			st, err = s.store.PurgeAccount(ctx, p)
			return err
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("purge account %s: %w", d.Account, err))
			continue
		}
		n++
		s.log.InfoContext(ctx, "account purged", "account", d.Account.String(), "records", st.Records,
			"versions", st.Versions, "grants", st.Grants, "devices", st.Devices)
	}
	if n > 0 {
		if err := s.compact(ctx); err != nil {
			errs = append(errs, fmt.Errorf("purge deleted accounts: %w", err))
		}
	}
	return n, errors.Join(errs...)
}

// StatusDeleting is the status the directory shows for an account whose
// deletion is pending.
const StatusDeleting = "deleting"

// deletingStatus sets v's status to StatusDeleting if the account's deletion
// is pending.
func (s *Server) deletingStatus(ctx context.Context, v *api.Account, id store.AccountID) error {
	switch _, err := s.store.AccountDeletion(ctx, id); {
	case err == nil:
		v.Status = StatusDeleting
	case !isNotFound(err):
		return fmt.Errorf("account deletion: %w", err)
	}
	return nil
}

// deletedAccount answers errAccountDeleted if the account's deletion is
// pending or done and the caller is someone else; nil otherwise.
func (s *Server) deletedAccount(ctx context.Context, c *Caller, id store.AccountID) error {
	if c != nil && c.Account.ID == id {
		return nil
	}
	_, err := s.store.AccountDeletion(ctx, id)
	switch {
	case err == nil:
		return errAccountDeleted
	case isNotFound(err):
		return nil
	}
	return fmt.Errorf("account deletion: %w", err)
}
