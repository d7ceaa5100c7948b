package store

import (
	"context"
	"time"
)

// Invite lets one account of Role register. Only a hash of the code is kept.
type Invite struct {
	CodeHash Hash
	Role     Role
	Created  time.Time
	Expires  time.Time
}

// Invites stores invites.
type Invites interface {
	// PutInvite stores an invite; ErrExists if the hash is taken.
	PutInvite(ctx context.Context, inv Invite) error
	// ConsumeInvite removes and returns the invite, once. ErrNotFound if it
	// is missing, already used, or expired at now.
	ConsumeInvite(ctx context.Context, codeHash Hash, now time.Time) (Invite, error)
}
