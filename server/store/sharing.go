package store

import (
	"context"
	"time"
)

// ACL is one signed access-control list of a record.
type ACL struct {
	Seq     uint64 // 1 for the first ACL, then the current seq plus one
	Hash    Hash
	Signed  []byte
	Created time.Time
}

// Grant is an epoch key wrapped to one reader key. Account is the reader's
// account, kept in plain so that "shared with me" can be listed, or a group
// (a care team): the id of the group's key record, which must be live when
// the grant is stored.
type Grant struct {
	Epoch     uint32
	Recipient KeyID
	Account   AccountID
	Signed    []byte
	Created   time.Time
	Revoked   time.Time // zero while the grant is in force
}

// Sharing is a change to who may read a record, applied atomically: revoke
// first, then store the ACL and the grants. A grant replaces any grant with
// the same epoch and recipient, revoked or not.
type Sharing struct {
	ACL    *ACL    // optional new ACL
	Grants []Grant // optional new grants
	Revoke []KeyID // grants to these reader keys are marked revoked
}

// IsZero reports whether s changes nothing.
func (s Sharing) IsZero() bool { return s.ACL == nil && len(s.Grants) == 0 && len(s.Revoke) == 0 }

// SharingWrite changes a record's sharing and appends chain entries.
type SharingWrite struct {
	Record  RecordID
	Owner   AccountID
	Sharing Sharing
	Time    time.Time // when revocations happen; required with Revoke
	Chain   []ChainEntry
}

// SharingStore stores ACLs and grants.
type SharingStore interface {
	// UpdateSharing applies w. ErrNotFound if the record does not exist or
	// is deleted, ErrConflict if w.Owner does not own it or the ACL seq is
	// not the current one plus one.
	UpdateSharing(ctx context.Context, w SharingWrite) error
	// ACL returns the record's ACL with the given seq, or the current one
	// for seq 0.
	ACL(ctx context.Context, id RecordID, seq uint64) (ACL, error)
	// Grants returns all grants of a record, revoked ones included, ordered
	// by epoch and recipient.
	Grants(ctx context.Context, id RecordID) ([]Grant, error)
	// GrantsFor returns the unrevoked grants of a record to one account; an
	// empty result means the account may not read it as a grantee.
	GrantsFor(ctx context.Context, id RecordID, account AccountID) ([]Grant, error)
}
