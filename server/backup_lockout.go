package server

import (
	"fmt"
	"time"

	"github.com/blindvault/blindvault/server/store"
)

// The backup lockout of an account, kept in the store. Every OPRF evaluation
// for a registered account and every failed backup release (bad signature;
// unknown, reused or expired nonce) counts one failure, here and per client
// address (backup_guesses.go). From the backupAccountFreeFailures-th failure
// on, the account is locked: for one minute, doubling with each further
// failure (2, 4, 8 … minutes), at most 24 hours. The count is not reset when a
// lock ends, so the next failure locks for twice as long. While locked,
// evaluations and failed releases answer 429 with Retry-After and count
// nothing; a release signed by the recovery-code key (128 bits, not
// guessable online) or by the passphrase key (whose evaluation was already
// counted) still succeeds.
const (
	backupAccountFreeFailures = 20
	backupFirstLock           = time.Minute
	backupMaxLock             = 24 * time.Hour
)

// backupLockFor is how long a count is locked after its failures-th failure,
// when the first free failures are not locked.
func backupLockFor(failures, free uint32) time.Duration {
	if failures < free {
		return 0
	}
	d := backupFirstLock
	for i := free; i < failures; i++ {
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
		if d := backupLockFor(cur.Failures, backupAccountFreeFailures); d > 0 {
			cur.Until = now.Add(d)
		}
		return cur, nil
	}
}

// backupRefund returns the UpdateLockout function of a release signed by the
// passphrase key from an address that had counted own failures: those were
// the owner's, and are taken off the account's count. What other addresses
// counted stays, and so does a lock they caused.
func backupRefund(own uint32) func(store.Lockout) (store.Lockout, error) {
	return func(cur store.Lockout) (store.Lockout, error) {
		cur.Failures -= min(own, cur.Failures)
		if cur.Failures < backupAccountFreeFailures {
			cur.Until = time.Time{}
		}
		return cur, nil
	}
}

// backupReset is the UpdateLockout function of a release signed by the
// recovery-code key: the owner proved a 128-bit secret, and the count starts
// again.
func backupReset(store.Lockout) (store.Lockout, error) { return store.Lockout{}, nil }
