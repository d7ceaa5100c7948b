package store

import (
	"context"
	"io"
	"time"
)

// Head is the current state of a record. A deleted record keeps its head as a
// tombstone: Deleted is set, the version and header hash stay, and nothing
// else of the record remains.
type Head struct {
	Record     RecordID
	Owner      AccountID
	Version    uint64 // last stored version, ≥ 1
	HeaderHash Hash   // hash of the last stored header
	ACLSeq     uint64 // seq of the current ACL, 0 if none
	Created    time.Time
	Updated    time.Time
	Deleted    time.Time // zero while the record exists
}

// IsDeleted reports whether h is a tombstone.
func (h Head) IsDeleted() bool { return !h.Deleted.IsZero() }

// Version is one stored version of a record, without its leaf list and body.
type Version struct {
	Record     RecordID
	Version    uint64
	HeaderHash Hash
	PrevHash   Hash
	Author     AccountID
	Header     []byte
	LeavesSize int64
	BodySize   int64
	Created    time.Time
}

// VersionWrite is a new record version and everything written with it.
type VersionWrite struct {
	Record RecordID
	// Owner creates the record at version 1 and must match it afterwards.
	Owner AccountID
	// Author is the account that wrote this version (owner or delegate).
	Author     AccountID
	Version    uint64 // the head's version plus one; 1 for a new record
	PrevHash   Hash   // the head's header hash; zero for version 1
	HeaderHash Hash
	Header     []byte
	Leaves     []byte // the leaf list, 32 bytes per body chunk
	// BodySize is the exact body length, or -1 if unknown; the write fails
	// with ErrInvalid if the body has another length.
	BodySize int64
	Created  time.Time
	// Sharing changes applied in the same transaction (the first ACL and
	// grants of a new record, or a new epoch); revocations are dated Created.
	Sharing Sharing
	// Chain entries appended in the same transaction.
	Chain []ChainEntry
}

// Deletion deletes a record and appends chain entries (its tombstone entry).
type Deletion struct {
	Record  RecordID
	Owner   AccountID
	Deleted time.Time
	Chain   []ChainEntry
}

// Records stores versioned records and their bodies.
type Records interface {
	// PutVersion streams body to storage and stores the version, advancing
	// the head only if w.PrevHash is the current head's header hash (zero
	// and no record for version 1): ErrConflict otherwise, or if the record
	// is deleted or owned by another account. Bodies larger than the
	// store's limit fail with ErrTooLarge. Nothing is stored on error.
	PutVersion(ctx context.Context, w VersionWrite, body io.Reader) error
	// Head returns the record's head, tombstones included.
	Head(ctx context.Context, id RecordID) (Head, error)
	// Version returns one version's header and sizes.
	Version(ctx context.Context, id RecordID, version uint64) (Version, error)
	// Leaves returns one version's leaf list.
	Leaves(ctx context.Context, id RecordID, version uint64) ([]byte, error)
	// OpenBody returns length bytes of a version's body from offset,
	// streamed without holding the body in memory. ErrInvalid unless
	// 0 ≤ offset ≤ offset+length ≤ BodySize.
	OpenBody(ctx context.Context, id RecordID, version uint64, offset, length int64) (io.ReadCloser, error)
	// OwnedRecords lists the heads (tombstones included) of the owner's
	// records with id > after, in id order, at most limit (≤ 0 or more than
	// MaxList means MaxList).
	OwnedRecords(ctx context.Context, owner AccountID, after RecordID, limit int) ([]Head, error)
	// SharedRecords lists the heads of records on which the account holds an
	// unrevoked grant and which it does not own, paged like OwnedRecords.
	SharedRecords(ctx context.Context, id AccountID, after RecordID, limit int) ([]Head, error)
	// DeleteRecord removes every version's header, leaf list and body and
	// the record's ACLs and grants, and leaves a tombstone head.
	// ErrConflict if d.Owner does not own it.
	DeleteRecord(ctx context.Context, d Deletion) error
}

// MaxList is the most items one list call returns.
const MaxList = 1000
