package server

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/server/store"
)

// Sessions: a device asks for a challenge, signs an auth object (format §2.8)
// over it with its device key, and trades that for a bearer token.
//
//	POST /v1/auth/challenge  {account_id, device_id}  → {nonce, expires}
//	POST /v1/auth/session    {auth}                   → {token, idle_expiry, absolute_expiry}
//	POST /v1/auth/logout     (session)                → 204
func (s *Server) sessionRoutes(r *mux.Router) {
	s.challenges = newChallenges()
	r.HandleFunc("/auth/challenge", s.public(s.postChallenge)).Methods(http.MethodPost)
	r.HandleFunc("/auth/session", s.public(s.postSession)).Methods(http.MethodPost)
	r.HandleFunc("/auth/logout", s.authed(s.postLogout)).Methods(http.MethodPost)
}

// maxAuthAhead is how far in the future an auth object may expire.
const maxAuthAhead = 5 * time.Minute

// postChallenge issues a nonce for an account and device. It does not look
// either up: whether they exist is checked when the nonce comes back signed,
// so the endpoint tells an anonymous caller nothing.
func (s *Server) postChallenge(w http.ResponseWriter, r *http.Request) error {
	var req api.ChallengeRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	acct, ok := identHex32(req.AccountID)
	if !ok || acct == [32]byte{} {
		return identBadRequest("bad_account_id", "account_id is not 64 lowercase hex digits")
	}
	dev, ok := identHex32(req.DeviceID)
	if !ok || dev == [32]byte{} {
		return identBadRequest("bad_device_id", "device_id is not 64 lowercase hex digits")
	}
	nonce, expires := s.challenges.issue(acct, dev, s.now())
	writeJSON(w, http.StatusOK, api.Challenge{Nonce: nonce[:], Expires: expires.UTC()})
	return nil
}

func authFailed(code, msg string) error {
	return errorf(http.StatusUnauthorized, code, "%s", msg)
}

// postSession checks a signed auth object, in the order of format §2.8, and
// opens a session for its device.
func (s *Server) postSession(w http.ResponseWriter, r *http.Request) error {
	var req api.SessionRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	ctx, now := r.Context(), s.now()
	a, err := s.checkAuth(r, req.Auth, now)
	if err != nil {
		return err
	}
	acct, dev := store.AccountID(a.AccountID), store.DeviceID(a.DevicePK)
	account, err := s.store.Account(ctx, acct)
	if err != nil {
		return fmt.Errorf("session: %w", err)
	}
	if account.Status != store.StatusActive {
		return errorf(http.StatusForbidden, "suspended", "the account is suspended")
	}
	if err := s.redeemAuth(w, a, now); err != nil {
		return err
	}
	raw, token := newToken()
	sess := store.Session{
		TokenHash: s.tokenHash(raw), Account: acct, Device: dev, Created: now,
		IdleExpiry: now.Add(s.cfg.SessionIdle), AbsoluteExpiry: now.Add(s.cfg.SessionAbsolute),
	}
	if sess.IdleExpiry.After(sess.AbsoluteExpiry) {
		sess.IdleExpiry = sess.AbsoluteExpiry
	}
	switch err := s.store.PutSession(ctx, sess); {
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrNotFound):
		// Revoked or suspended since the checks above.
		return authFailed("unauthenticated", "the device or account is no longer usable")
	case err != nil:
		return fmt.Errorf("session: %w", err)
	}
	writeJSON(w, http.StatusCreated, api.Session{
		Token: token, IdleExpiry: sess.IdleExpiry.UTC(), AbsoluteExpiry: sess.AbsoluteExpiry.UTC(),
	})
	return nil
}

// checkAuth checks a signed auth object in the order of format §2.8: its
// origin, expiry, nonce and signature, and that its device is usable. The
// caller redeems the nonce (redeemAuth) once its own checks pass.
func (s *Server) checkAuth(r *http.Request, raw []byte, now time.Time) (*format.Auth, error) {
	a, err := format.ParseAuth(raw)
	if err != nil {
		return nil, identBadRequest("bad_auth", "auth object: %v", err)
	}
	if a.Origin != s.cfg.Origin {
		return nil, authFailed("wrong_origin", "the auth object names another server")
	}
	if unix := now.Unix(); a.Expiry <= uint64(max(unix, 0)) {
		return nil, authFailed("auth_expired", "the auth object has expired")
	} else if a.Expiry > uint64(unix)+uint64(maxAuthAhead/time.Second) {
		return nil, authFailed("auth_expiry_too_far", "the auth object expires more than 5 minutes ahead")
	}
	acct, dev := store.AccountID(a.AccountID), store.DeviceID(a.DevicePK)
	if err := s.challenges.check(a.Nonce, acct, dev, now); err != nil {
		return nil, authFailed("bad_nonce", err.Error())
	}
	if err := a.Verify(a.DevicePK); err != nil {
		return nil, authFailed("bad_signature", "the signature does not verify under the device key")
	}
	if err := s.usableDevice(r, acct, dev, now); err != nil {
		return nil, err
	}
	return a, nil
}

// redeemAuth uses up a checked auth object's nonce.
func (s *Server) redeemAuth(w http.ResponseWriter, a *format.Auth, now time.Time) error {
	switch err := s.challenges.redeem(a.Nonce, now); {
	case errors.Is(err, errNonceUsed):
		return authFailed("nonce_used", "the challenge was already used")
	case err != nil:
		w.Header().Set("Retry-After", "60")
		return errorf(http.StatusServiceUnavailable, "busy", "%v", err)
	}
	return nil
}

// usableDevice reports an error unless dev is a device of acct with a
// certificate that has not expired at now and no revocation.
func (s *Server) usableDevice(r *http.Request, acct store.AccountID, dev store.DeviceID, now time.Time) error {
	d, err := s.store.Device(r.Context(), acct, dev)
	if isNotFound(err) {
		return authFailed("unknown_device", "no such device for this account")
	}
	if err != nil {
		return fmt.Errorf("session: %w", err)
	}
	if d.IsRevoked() {
		return authFailed("device_revoked", "the device is revoked")
	}
	cert, err := format.ParseDeviceCert(d.Cert)
	if err != nil {
		return fmt.Errorf("session: stored device certificate: %w", err)
	}
	if cert.DevicePK != dev || cert.AccountID != acct {
		return errors.New("session: stored device certificate names another device")
	}
	if uint64(max(now.Unix(), 0)) >= cert.NotAfter {
		return authFailed("device_expired", "the device certificate has expired")
	}
	return nil
}

func (s *Server) postLogout(w http.ResponseWriter, r *http.Request, c *Caller) error {
	if err := s.store.DeleteSession(r.Context(), c.Session.TokenHash); err != nil && !isNotFound(err) {
		return fmt.Errorf("logout: %w", err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
