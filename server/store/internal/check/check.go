// Package check validates store writes against what can be checked without
// the stored state: the argument checks every backend makes alike, so that
// they fail with the same store.ErrInvalid or store.ErrTooLarge.
package check

import (
	"errors"
	"fmt"

	"github.com/blindvault/blindvault/server/store"
)

// MaxValue bounds any one opaque field a caller passes (a key card, a header,
// a leaf list, a backup blob), so that small writes stay small and every
// length fits the encodings. Bodies are streamed and bounded separately.
const MaxValue = 64 << 20

// Invalid returns an error wrapping store.ErrInvalid.
func Invalid(format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, store.ErrInvalid)...)
}

// Value checks an opaque field: not empty if required, at most MaxValue.
func Value(what string, v []byte, required bool) error {
	if required && len(v) == 0 {
		return Invalid("%s is empty", what)
	}
	if len(v) > MaxValue {
		return fmt.Errorf("%s is %d bytes: %w", what, len(v), store.ErrTooLarge)
	}
	return nil
}

// ID fails if an id is the reserved zero value.
func ID(what string, zero bool) error {
	if zero {
		return Invalid("%s is zero", what)
	}
	return nil
}

// SecretName checks a secret's name.
func SecretName(name string) error {
	if len(name) == 0 || len(name) > store.MaxSecretName {
		return Invalid("secret name of %d bytes", len(name))
	}
	return nil
}

// NewAccount checks a registration.
func NewAccount(a store.NewAccount) error {
	switch {
	case a.ID.IsZero():
		return Invalid("id is zero")
	case len(a.Handle) == 0 || len(a.Handle) > 255:
		return Invalid("handle is %d bytes", len(a.Handle))
	case !a.Role.Valid():
		return Invalid("role %q", a.Role)
	case a.KeyCard.Seq == 0:
		return Invalid("key card seq 0")
	case a.Device.ID.IsZero():
		return Invalid("device id is zero")
	}
	return errors.Join(
		Value("key card", a.KeyCard.Signed, true),
		Value("device cert", a.Device.Cert, true),
		Value("backup", a.Backup, true),
		Value("oprf setup", a.OPRFSetup, true),
	)
}

// VersionWrite checks a new version.
func VersionWrite(v store.VersionWrite) error {
	err := errors.Join(
		ID("record", v.Record.IsZero()),
		ID("owner", v.Owner.IsZero()),
		ID("author", v.Author.IsZero()),
		Value("header", v.Header, true),
		Value("leaves", v.Leaves, false),
		Sharing(v.Sharing),
		ChainEntries(v.Chain),
	)
	switch {
	case err != nil:
		return err
	case v.Version == 0:
		return Invalid("version 0")
	case (v.Version == 1) != v.PrevHash.IsZero():
		return Invalid("version %d with previous hash %s", v.Version, v.PrevHash)
	case len(v.Sharing.Revoke) > 0 && v.Created.IsZero():
		return Invalid("revocation time is zero")
	case v.HeaderHash.IsZero():
		return Invalid("header hash is zero")
	case len(v.Leaves)%32 != 0:
		return Invalid("leaf list of %d bytes", len(v.Leaves))
	}
	return nil
}

// Sharing checks a sharing change.
func Sharing(sh store.Sharing) error {
	var errs []error
	if sh.ACL != nil {
		errs = append(errs, Value("acl", sh.ACL.Signed, true))
		if sh.ACL.Seq == 0 {
			errs = append(errs, Invalid("acl seq 0"))
		}
	}
	for _, g := range sh.Grants {
		errs = append(errs, Value("grant", g.Signed, true),
			ID("grant recipient", g.Recipient.IsZero()), ID("grant account", g.Account.IsZero()))
	}
	for _, k := range sh.Revoke {
		errs = append(errs, ID("revoked key", k.IsZero()))
	}
	return errors.Join(errs...)
}

// SharingWrite checks a change of a record's sharing.
func SharingWrite(sw store.SharingWrite) error {
	err := errors.Join(ID("record", sw.Record.IsZero()), Sharing(sw.Sharing), ChainEntries(sw.Chain))
	if err == nil && sw.Sharing.IsZero() && len(sw.Chain) == 0 {
		err = Invalid("nothing to change")
	}
	if err == nil && len(sw.Sharing.Revoke) > 0 && sw.Time.IsZero() {
		err = Invalid("revocation time is zero")
	}
	return err
}

// Deletion checks a record deletion.
func Deletion(d store.Deletion) error {
	err := errors.Join(ID("record", d.Record.IsZero()), ChainEntries(d.Chain))
	if err == nil && d.Deleted.IsZero() {
		err = Invalid("deletion time is zero")
	}
	return err
}

// ChainEntries checks account-chain entries.
func ChainEntries(entries []store.ChainEntry) error {
	var errs []error
	for _, e := range entries {
		errs = append(errs, ID("chain account", e.Account.IsZero()), Value("chain entry", e.Entry, true))
		if e.Seq == 0 {
			errs = append(errs, Invalid("chain seq 0"))
		}
	}
	return errors.Join(errs...)
}

// Append checks an AppendChain call.
func Append(entries []store.ChainEntry) error {
	err := ChainEntries(entries)
	if err == nil && len(entries) == 0 {
		err = Invalid("no entries")
	}
	return err
}

// Successor checks that v may follow the record's current head h: the
// compare-and-swap every backend makes, under its own lock.
func Successor(h store.Head, v store.VersionWrite) error {
	switch {
	case h.IsDeleted():
		return fmt.Errorf("record %s is deleted: %w", v.Record, store.ErrConflict)
	case h.Owner != v.Owner:
		return fmt.Errorf("record %s has another owner: %w", v.Record, store.ErrConflict)
	case h.HeaderHash != v.PrevHash:
		return fmt.Errorf("record %s head is version %d: %w", v.Record, h.Version, store.ErrConflict)
	case v.Version != h.Version+1:
		return Invalid("version %d after head %d", v.Version, h.Version)
	}
	return nil
}
