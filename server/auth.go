package server

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/blindvault/blindvault/server/store"
)

// Caller is the authenticated account and device behind a request.
type Caller struct {
	Account store.Account
	Session store.Session // its Device is the caller's device
}

// handler is an API handler; a returned error is written by writeError.
type handler func(w http.ResponseWriter, r *http.Request) error

// authedHandler is a handler that runs only for a valid session.
type authedHandler func(w http.ResponseWriter, r *http.Request, c *Caller) error

// public adapts a handler that needs no session.
func (s *Server) public(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	}
}

// authed adapts a handler that needs a session: a bearer token whose session has
// not expired, of an active account, from a device that is not revoked.
func (s *Server) authed(h authedHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := s.authenticate(r)
		if err == nil {
			err = h(w, r, c)
		}
		if err != nil {
			s.writeError(w, r, err)
		}
	}
}

// touchEvery bounds how often a session's idle expiry is written back: a write
// per request would put an fsync on every read.
const touchEvery = time.Minute

func (s *Server) authenticate(r *http.Request) (*Caller, error) {
	token, ok := bearerToken(r)
	if !ok {
		return nil, errUnauthenticated
	}
	ctx := r.Context()
	p, err := s.sessionParts(ctx, s.tokenHash(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, errUnauthenticated
	}
	if err != nil {
		return nil, err
	}
	sess, acct := p.Session, p.Account
	now := s.now()
	if sess.Expired(now) {
		return nil, errUnauthenticated
	}
	if p.AccountErr != nil {
		return nil, p.AccountErr
	}
	if acct.Status != store.StatusActive {
		return nil, errUnauthenticated
	}
	if !chargedToAccount(ctx) {
		if ok, wait := s.takeAccount(ctx, r, acct, now); !ok {
			s.metrics.limited.WithLabelValues("account").Inc()
			return nil, &rateLimited{wait}
		}
	}
	if p.DeviceErr != nil && !isNotFound(p.DeviceErr) {
		return nil, p.DeviceErr // the store failed: not the caller's fault
	}
	if p.DeviceErr != nil || p.Device.IsRevoked() {
		return nil, errUnauthenticated
	}
	if idle := now.Add(s.cfg.SessionIdle); idle.Sub(sess.IdleExpiry) > touchEvery {
		if err := s.store.TouchSession(ctx, sess.TokenHash, idle); err != nil {
			return nil, err
		}
	}
	return &Caller{Account: acct, Session: sess}, nil
}

// sessionParts reads a session with its account and device: in one round
// trip where the store can (store.SessionReader), else one read after
// another.
func (s *Server) sessionParts(ctx context.Context, tokenHash store.Hash) (store.SessionParts, error) {
	if r, ok := s.store.(store.SessionReader); ok {
		return r.SessionParts(ctx, tokenHash)
	}
	var p store.SessionParts
	var err error
	if p.Session, err = s.store.Session(ctx, tokenHash); err != nil {
		return store.SessionParts{}, err
	}
	p.Account, p.AccountErr = s.store.Account(ctx, p.Session.Account)
	p.Device, p.DeviceErr = s.store.Device(ctx, p.Session.Account, p.Session.Device)
	return p, nil
}

// bearerToken returns the decoded 32-byte token of "Authorization: Bearer …".
func bearerToken(r *http.Request) ([]byte, bool) {
	v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return nil, false
	}
	tok, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(tok) != 32 {
		return nil, false
	}
	return tok, true
}

// newToken returns a fresh 256-bit session token, encoded for the client.
func newToken() (raw []byte, encoded string) {
	raw = make([]byte, 32)
	rand.Read(raw)
	return raw, base64.RawURLEncoding.EncodeToString(raw)
}

// tokenHash is what the store keeps of a token: HMAC-SHA256(session pepper, token),
// so a stolen database holds no usable token.
func (s *Server) tokenHash(token []byte) store.Hash {
	m := hmac.New(sha256.New, s.cfg.Secrets.SessionPepper)
	m.Write(token)
	return store.Hash(m.Sum(nil))
}
