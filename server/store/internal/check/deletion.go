package check

import "github.com/blindvault/blindvault/server/store"

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
