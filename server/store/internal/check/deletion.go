package check

import (
	"fmt"

	"github.com/blindvault/blindvault/server/store"
)

// AccountDeletion checks a deletion to schedule.
func AccountDeletion(d store.AccountDeletion) error {
	if d.Account == (store.AccountID{}) || d.Requested.IsZero() || d.Due.Before(d.Requested) || d.IsPurged() {
		return Invalid("account deletion: zero account or time, due before requested, or already purged")
	}
	return nil
}

// AccountPurge checks a purge.
func AccountPurge(p store.AccountPurge) error {
	if p.Account == (store.AccountID{}) || p.Purged.IsZero() {
		return Invalid("account purge: zero account or time")
	}
	for _, n := range p.Secrets {
		if err := SecretName(n); err != nil {
			return err
		}
	}
	return nil
}

// Purgeable checks that the deletion d may be purged by p: pending, and due.
func Purgeable(d store.AccountDeletion, p store.AccountPurge) error {
	switch {
	case d.IsPurged():
		return fmt.Errorf("account %s already purged: %w", p.Account, store.ErrConflict)
	case p.Purged.Before(d.Due):
		return fmt.Errorf("account %s is due for purge at %s: %w", p.Account, d.Due, store.ErrConflict)
	}
	return nil
}
