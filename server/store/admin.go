package store

import (
	"context"
	"io"
	"time"
)

// SweepStats counts what Sweep removed.
type SweepStats struct {
	Sessions int // expired sessions
	Invites  int // expired invites
	Uploads  int // abandoned body uploads
}

// Maintenance covers backups, integrity and reclaiming space.
type Maintenance interface {
	// Sweep removes sessions and invites expired at now and body uploads
	// abandoned before now (started more than the backend's upload
	// lifetime ago and never linked to a version).
	Sweep(ctx context.Context, now time.Time) (SweepStats, error)
	// Compact rewrites the storage so that deleted data is gone from it,
	// not only unreachable. Writes wait while it runs.
	Compact(ctx context.Context) error
	// Snapshot writes a consistent copy of the whole store to w.
	Snapshot(ctx context.Context, w io.Writer) (int64, error)
	// Restore replaces the whole content of the store with a snapshot made
	// by the same kind of backend. What the store held before is lost.
	Restore(ctx context.Context, r io.Reader) error
	// Check verifies the storage's consistency and returns every problem
	// found, joined; nil means clean.
	Check(ctx context.Context) error
}
