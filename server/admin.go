package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/internal/auditlog"
	"github.com/blindvault/blindvault/server/store"
)

// Admin routes manage accounts; every one checks the admin role. Nothing here
// reads a record, a header, a grant or a backup blob through the API: admins
// manage accounts, they never read other people's data.
//
//	POST /v1/admin/invites                 {role, ttl_seconds?} → 201 {code, role, expires}
//	POST /v1/admin/accounts/{id}/suspend   → 200 {account_id, status}
//	POST /v1/admin/accounts/{id}/resume    → 200 {account_id, status}
//	GET  /v1/admin/snapshot                → 200 application/octet-stream
func (s *Server) adminRoutes(r *mux.Router) {
	id := "/admin/accounts/{id:" + identHexPattern + "}"
	r.HandleFunc("/admin/invites", s.adminOnly(s.postInvite)).Methods(http.MethodPost)
	r.HandleFunc(id+"/suspend", s.adminOnly(s.setStatus(store.StatusSuspended))).Methods(http.MethodPost)
	r.HandleFunc(id+"/resume", s.adminOnly(s.setStatus(store.StatusActive))).Methods(http.MethodPost)
	r.HandleFunc("/admin/snapshot", s.adminOnly(s.getSnapshot)).Methods(http.MethodGet)
	r.HandleFunc("/admin/compact", s.adminOnly(s.postCompact)).Methods(http.MethodPost)
}

// adminOnly adapts a handler that needs a session of an admin account.
func (s *Server) adminOnly(h authedHandler) http.HandlerFunc {
	return s.authed(func(w http.ResponseWriter, r *http.Request, c *Caller) error {
		if c.Account.Role != store.RoleAdmin {
			return errForbidden
		}
		return h(w, r, c)
	})
}

// Invite lifetimes: the default, and the bounds of ttl_seconds.
const (
	inviteTTL    = 7 * 24 * time.Hour
	inviteTTLMin = time.Minute
	inviteTTLMax = 90 * 24 * time.Hour
)

// postInvite makes a one-time invite for a role. The code is returned once and
// the store keeps only its HMAC.
func (s *Server) postInvite(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var req api.InviteRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	role := store.Role(req.Role)
	if !role.Valid() {
		return identBadRequest("bad_role", "role is not patient, clinician, service or admin")
	}
	ttl := inviteTTL
	if req.TTLSeconds != 0 {
		if req.TTLSeconds < int64(inviteTTLMin/time.Second) || req.TTLSeconds > int64(inviteTTLMax/time.Second) {
			return identBadRequest("bad_ttl", "ttl_seconds is not between %d and %d", int64(inviteTTLMin/time.Second), int64(inviteTTLMax/time.Second))
		}
		ttl = time.Duration(req.TTLSeconds) * time.Second
	}
	code, hash := s.newInviteCode()
	now := s.now()
	inv := store.Invite{CodeHash: hash, Role: role, Created: now, Expires: now.Add(ttl)}
	if _, err := s.logged(r.Context(), []*auditlog.Entry{s.adminEntry(c, store.AccountID{}, auditlog.AdminInvite)}, func(ctx context.Context) error {
		return s.store.PutInvite(ctx, inv)
	}); err != nil {
		return fmt.Errorf("invite: %w", err)
	}
	s.log.InfoContext(r.Context(), "admin: invite created", "admin", c.Account.ID.String(), "role", req.Role)
	writeJSON(w, http.StatusCreated, api.Invite{Code: code, Role: req.Role, Expires: inv.Expires.UTC()})
	return nil
}

// setStatus suspends or resumes an account. Suspending deletes the account's
// sessions; an admin cannot suspend their own account, so that the last admin
// cannot lock everyone out by mistake.
func (s *Server) setStatus(st store.Status) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, c *Caller) error {
		id, err := identPathAccount(r)
		if err != nil {
			return err
		}
		if id == c.Account.ID && st == store.StatusSuspended {
			return errorf(http.StatusConflict, "self_suspend", "an admin cannot suspend their own account")
		}
		op := auditlog.AdminSuspend
		if st != store.StatusSuspended {
			op = auditlog.AdminResume
		}
		if _, err := s.logged(r.Context(), []*auditlog.Entry{s.adminEntry(c, id, op)}, func(ctx context.Context) error {
			return s.store.SetAccountStatus(ctx, id, st)
		}); err != nil {
			return fmt.Errorf("set status: %w", err)
		}
		s.log.InfoContext(r.Context(), "admin: account status", "admin", c.Account.ID.String(), "account", id.String(), "status", string(st))
		writeJSON(w, http.StatusOK, api.AccountStatus{AccountID: id.String(), Status: string(st)})
		return nil
	}
}

// snapshotTrailer carries the SHA-256 of the snapshot, sent only when the whole
// snapshot was written: a client that does not find it must treat what it got
// as incomplete, since an error after the first byte cannot change the status.
const snapshotTrailer = "Blindvault-Snapshot-Sha256"

// getSnapshot streams a consistent copy of the whole store. It holds
// ciphertext, signed public material, hashes of tokens and invite codes, and
// the server secrets sealed under the master key, which is not in it.
func (s *Server) getSnapshot(w http.ResponseWriter, r *http.Request, c *Caller) error {
	// A large store takes longer than the server's write timeout.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="blindvault-snapshot.db"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Trailer", snapshotTrailer)
	if _, err := s.appendLog(r.Context(), s.adminEntry(c, store.AccountID{}, auditlog.AdminSnapshot)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	h := sha256.New()
	n, err := s.store.Snapshot(r.Context(), io.MultiWriter(w, h))
	if err != nil {
		// The status is sent; all that is left is to leave out the trailer.
		s.log.ErrorContext(r.Context(), "admin: snapshot failed", "admin", c.Account.ID.String(), "bytes", n, "err", err)
		return nil
	}
	w.Header().Set(snapshotTrailer, hex.EncodeToString(h.Sum(nil)))
	s.log.InfoContext(r.Context(), "admin: snapshot", "admin", c.Account.ID.String(), "bytes", n)
	return nil
}

// adminEntry logs an admin's action on target (zero for none).
func (s *Server) adminEntry(c *Caller, target store.AccountID, op uint64) *auditlog.Entry {
	e := s.entry(auditlog.AdminAction, target)
	e.Actor, e.Number = c.Account.ID, op
	return e
}
