package sdk

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/internal/auditlog"
)

// DeleteAccountOptions re-authenticate an account deletion or its
// cancellation. The device signs a fresh server challenge in any case; OTP
// is needed when the account has a second factor (EnrollTOTP), else the
// call fails with ErrSecondFactor.
type DeleteAccountOptions struct {
	OTP string
	// Passkey answers a passkey assertion (navigator.credentials.get in a
	// browser), for an account whose second factor is a passkey.
	Passkey PasskeyFunc
}

// AccountDeletion is a scheduled deletion of this account: the server purges
// it at Due unless it is cancelled first.
type AccountDeletion struct {
	Requested time.Time
	Due       time.Time
}

// statusDeleting is the directory's status of an account whose deletion is
// pending.
const statusDeleting = "deleting"

// DeleteAccount schedules the deletion of this account. At once the server
// ends every other session of the account and revokes every grant on its
// records, so that no one else reads them (a reader gets ErrDeleted); after
// the server's retention window (Due) it purges the records, their bodies,
// ACLs and grants, the key cards, devices, account chain, key backup and
// second factor, and keeps only the log's entries, which hold hashes.
//
// On success this device's profile (its keys, profile and record index) is
// removed. Until Due the deletion can be cancelled: Login again (the backup
// is kept until the purge), then CancelAccountDeletion.
//
// A copy someone already decrypted stays theirs, and a server that keeps
// serving after claiming a deletion is not caught by cryptography: see
// docs/threat-model.md.
func (c *Client) DeleteAccount(ctx context.Context, opts *DeleteAccountOptions) (_ *AccountDeletion, err error) {
	defer c.begin(&err)()
	d, err := c.deletionCall(ctx, "/v1/account/deletion", opts)
	if err != nil {
		return nil, err
	}
	if err := c.removeProfile(ctx); err != nil {
		return d, fmt.Errorf("account deletion scheduled, but the profile was not removed: %w", err)
	}
	return d, nil
}

// CancelAccountDeletion cancels this account's pending deletion, inside the
// retention window: the grants the deletion revoked are in force again. It
// re-authenticates as DeleteAccount does. ErrNotFound if no deletion is
// pending.
func (c *Client) CancelAccountDeletion(ctx context.Context, opts *DeleteAccountOptions) (_ *AccountDeletion, err error) {
	defer c.begin(&err)()
	return c.deletionCall(ctx, "/v1/account/deletion/cancel", opts)
}

// deletionCall sends a re-authenticated deletion request to path.
func (c *Client) deletionCall(ctx context.Context, path string, opts *DeleteAccountOptions) (*AccountDeletion, error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	if opts == nil {
		opts = &DeleteAccountOptions{}
	}
	auth, err := c.signedAuth(ctx)
	if err != nil {
		return nil, fmt.Errorf("account deletion: %w", err)
	}
	req := api.DeletionRequest{Auth: auth, Code: opts.OTP}
	if opts.Passkey != nil {
		proof, err := c.factorProof(ctx, opts.Passkey, "")
		if err != nil {
			return nil, fmt.Errorf("account deletion: %w", err)
		}
		req.Assertion = proof.Assertion
	}
	var out api.Deletion
	err = c.call(ctx, "POST", path, req, &out)
	switch {
	case isCode(err, "second_factor_required"):
		return nil, fmt.Errorf("%w: give the code from the authenticator", ErrSecondFactor)
	case isCode(err, "second_factor_failed"):
		return nil, fmt.Errorf("%w: the code is wrong or was already used; wait for the next one", ErrSecondFactor)
	case isCode(err, "no_deletion"):
		return nil, fmt.Errorf("%w: no deletion of this account is pending", ErrNotFound)
	case isCode(err, "deletion_scheduled"):
		return nil, fmt.Errorf("%w: a deletion of this account is already pending", ErrConflict)
	case err != nil:
		return nil, fmt.Errorf("account deletion: %w", err)
	}
	return &AccountDeletion{Requested: out.Requested, Due: out.Due}, nil
}

// remover is a Storage that deletes files (DirStorage, MemoryStorage).
type remover interface {
	Remove(ctx context.Context, name string) error
}

// removeProfile forgets the account on this device. A Storage that cannot
// delete files gets empty keys, record index and journals, so no key material
// or title stays; its profile file stays.
func (c *Client) removeProfile(ctx context.Context) error {
	var errs []error
	for _, name := range []string{keysFile, recordIndexFile, recordJournalFile, profileJournalFile, profileFile} {
		if r, ok := c.storage.(remover); ok {
			if err := r.Remove(ctx, name); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		} else if name != profileFile {
			errs = append(errs, c.storage.Save(ctx, name, nil))
		}
	}
	c.id, c.device, c.token = nil, nil, ""
	c.prof, c.profJournal = newProfile(), journal{name: profileJournalFile}
	c.profileUnsaved = false // nothing of the account is written back when the operation ends
	return errors.Join(errs...)
}

// ownerDeleted explains a record whose owner's chain the server no longer
// serves because the owner deleted their account: ErrDeleted if the log
// shows the deletion (scheduled or purged, and not cancelled since), a
// failed check if it does not, as the server then hides the record.
func (c *Client) ownerDeleted(ctx context.Context, id, owner [32]byte) error {
	var last uint64
	err := c.scanLog(ctx, func(_ int64, e *auditlog.Entry) {
		if e.Type == auditlog.AccountDeletion && e.Subject == owner {
			last = e.Number
		}
	})
	if err != nil {
		return err
	}
	if last == auditlog.AccountDeletionScheduled || last == auditlog.AccountDeletionPurged {
		return fmt.Errorf("record %x: its owner deleted their account: %w", id[:4], ErrDeleted)
	}
	return fmt.Errorf("%w: record %x: the server says its owner's account is deleted, the log shows no such deletion", CheckRollback, id[:4])
}
