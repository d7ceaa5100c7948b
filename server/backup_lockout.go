package server

import (
	"fmt"
	"time"

	"github.com/blindvault/blindvault/server/store"
)

// The backup lockout. Every OPRF evaluation for a registered account and every
// failed backup release (bad signature, unknown, reused or expired nonce)
// counts one failure; a successful release resets the count. From the fifth
// failure on the account is locked: for one minute at five, doubling with each
// further failure (2, 4, 8 … minutes), at most 24 hours. The count is not
// reset when a lock ends, so the next failure locks for twice as long. While
// locked, evaluation and release answer 429 with Retry-After and count
// nothing.
const (
	backupFreeFailures = 5
	backupFirstLock    = time.Minute
	backupMaxLock      = 24 * time.Hour
)

// backupLockFor is how long an account is locked after its failures-th
// failure.
func backupLockFor(failures uint32) time.Duration {
	if failures < backupFreeFailures {
		return 0
	}
	d := backupFirstLock
	for i := uint32(backupFreeFailures); i < failures; i++ {
		if d *= 2; d >= backupMaxLock {
			return backupMaxLock
		}
	}
	return d
}

// backupLocked refuses an attempt while the account is locked.
type backupLocked struct{ until time.Time }

func (e *backupLocked) Error() string {
	return fmt.Sprintf("backup locked until %s", e.until.UTC().Format(time.RFC3339))
}

// backupFailure returns the UpdateLockout function that counts one failure at
// now, or refuses with *backupLocked if the account is locked.
func backupFailure(now time.Time) func(store.Lockout) (store.Lockout, error) {
	return func(cur store.Lockout) (store.Lockout, error) {
		if now.Before(cur.Until) {
			return cur, &backupLocked{until: cur.Until}
		}
		if cur.Failures < ^uint32(0) {
			cur.Failures++
		}
		if d := backupLockFor(cur.Failures); d > 0 {
			cur.Until = now.Add(d)
		}
		return cur, nil
	}
}

// backupSuccess returns the UpdateLockout function of a successful release:
// it resets the count, unless the account is locked.
func backupSuccess(now time.Time) func(store.Lockout) (store.Lockout, error) {
	return func(cur store.Lockout) (store.Lockout, error) {
		if now.Before(cur.Until) {
			return cur, &backupLocked{until: cur.Until}
		}
		return store.Lockout{}, nil
	}
}
