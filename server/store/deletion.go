package store

import (
	"context"
	"time"
)

// AccountDeletion is an account's scheduled deletion. While it is pending
// (Purged zero) the owner may cancel it; once Due has passed the server purges
// the account, and the deletion stays as a tombstone (the account id and the
// three times, nothing else), so that other clients are told "deleted"
// rather than "not found".
type AccountDeletion struct {
	Account   AccountID
	Requested time.Time
	Due       time.Time // when the purge may run, ≥ Requested
	Purged    time.Time // zero while pending
}

// An AccountDeletion is also an Item (transfer.go): blindvault migrate
// copies pending deletions and the tombstones of purged accounts.
func (AccountDeletion) isItem() {}

// IsPurged reports whether the account was purged.
func (d AccountDeletion) IsPurged() bool { return !d.Purged.IsZero() }

// AccountPurge is the purge of one account whose deletion is due.
type AccountPurge struct {
	Account AccountID
	Purged  time.Time
	// Secrets are the names of the account's own secrets (its second
	// factors), deleted in the same transaction.
	Secrets []string
}

// PurgeStats counts what PurgeAccount removed.
type PurgeStats struct {
	Records  int // records owned (heads removed with every version, body, ACL and grant)
	Versions int // their versions
	Grants   int // grants removed: on its records, and given to it on others'
	Devices  int
	Sessions int
}

// AccountDeletions schedules, cancels and carries out account deletions.
type AccountDeletions interface {
	// ScheduleAccountDeletion records d (Purged must be zero) and, in the
	// same transaction, deletes every session of the account but keep (zero:
	// all of them) and marks revoked at d.Requested every grant in force on
	// the records it owns, so that no one else reads them any more.
	// ErrNotFound if the account does not exist; ErrConflict if a deletion
	// is already recorded for it.
	ScheduleAccountDeletion(ctx context.Context, d AccountDeletion, keep Hash) error
	// CancelAccountDeletion removes a pending deletion and puts back in force
	// the grants its scheduling revoked (those revoked exactly at its
	// Requested). ErrNotFound if none is pending; ErrConflict if the account
	// was purged already.
	CancelAccountDeletion(ctx context.Context, id AccountID) (AccountDeletion, error)
	// AccountDeletion returns the account's deletion, pending or purged;
	// ErrNotFound if none.
	AccountDeletion(ctx context.Context, id AccountID) (AccountDeletion, error)
	// DueAccountDeletions lists pending deletions with Due ≤ now, at most
	// MaxList, oldest Due first.
	DueAccountDeletions(ctx context.Context, now time.Time) ([]AccountDeletion, error)
	// PurgeAccount deletes everything the store holds of the account: the
	// records it owns (heads, every version, body, ACL and grant), grants
	// given to it on other records, its key cards, devices, sessions,
	// account chain, key backup, lockout, handle, the secrets p names, and
	// the account itself, and sets the deletion's Purged. Its log entries
	// stay: they hold hashes. Deleted data is gone from the storage after
	// the next Compact. ErrNotFound if no deletion is pending; ErrConflict if
	// it is not due at p.Purged or already purged.
	PurgeAccount(ctx context.Context, p AccountPurge) (PurgeStats, error)
}
