package store

import (
	"context"
	"time"
)

// Session is a login of one device. The token itself is never stored: the key
// is a hash of it that the caller computes (with a pepper).
type Session struct {
	TokenHash      Hash
	Account        AccountID
	Device         DeviceID
	Created        time.Time
	IdleExpiry     time.Time
	AbsoluteExpiry time.Time
}

// Expired reports whether the session is no longer valid at now.
func (s Session) Expired(now time.Time) bool {
	return !now.Before(s.IdleExpiry) || !now.Before(s.AbsoluteExpiry)
}

// Sessions stores sessions. Expired sessions are returned like live ones until
// Sweep removes them; callers check Expired.
type Sessions interface {
	// PutSession stores a new session and sets its device's LastSeen to the
	// session's Created. ErrNotFound if the account or device is unknown;
	// ErrConflict if the device is revoked or the account is suspended;
	// ErrExists if the token hash is taken.
	PutSession(ctx context.Context, s Session) error
	// Session returns a session by token hash.
	Session(ctx context.Context, tokenHash Hash) (Session, error)
	// TouchSession moves the idle expiry to idleExpiry, capped at the
	// absolute expiry.
	TouchSession(ctx context.Context, tokenHash Hash, idleExpiry time.Time) error
	// DeleteSession deletes one session (logout).
	DeleteSession(ctx context.Context, tokenHash Hash) error
}

// SessionParts is a session with the account and the device it belongs to,
// as authenticating a request reads them.
type SessionParts struct {
	Session Session
	Account Account
	Device  Device
	// AccountErr and DeviceErr are the errors Account and Device would
	// have returned for the session's account and device.
	AccountErr, DeviceErr error
}

// A SessionReader reads a session's parts at once, in one round trip
// where each read would be one (a database over the network). It is
// optional: a store without it is read part by part. What it returns
// is what Session, Account and Device return, read one after another.
type SessionReader interface {
	// SessionParts returns Session's error for the session itself.
	SessionParts(ctx context.Context, tokenHash Hash) (SessionParts, error)
}
