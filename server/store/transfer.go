package store

import (
	"context"
	"io"
)

// An Item is one thing a store holds, as an Exporter lists it and an
// Importer writes it: everything a deployment needs to move to another
// backend (blindvault migrate) with every id, timestamp and sequence number
// kept. The concrete types are AccountItem, KeyCardItem, DeviceItem,
// Session, Invite, Head, VersionItem, ACLItem, GrantItem, ChainEntry,
// SecretItem, LogEntryItem and AccountDeletion (deletion.go).
//
// Not items: the log's stored hashes (an importer computes them from the
// entries, so that a copy whose root matches the source's also proves the
// entries), body uploads that never became a version, per-account lists
// that backends derive (owned, shared, a device's sessions), and rate-limit
// buckets, which refill.
type Item interface{ isItem() }

// AccountItem is an account with what the Account view leaves out. Its
// KeyCard is the current card, which a KeyCardItem also carries; ChainSeq is
// the seq of its last chain entry.
type AccountItem struct {
	Account Account
	Backup  []byte
	Lockout Lockout // zero if the account never failed a backup release
}

// KeyCardItem is one key card of an account, the current one included.
type KeyCardItem struct {
	Account AccountID
	Card    KeyCard
}

// DeviceItem is one device of an account, revoked or not.
type DeviceItem struct {
	Account AccountID
	Device  Device
}

// VersionItem is one stored version with its leaf list and body. Body yields
// exactly Version.BodySize bytes and may be read only until the exporter's
// callback returns.
type VersionItem struct {
	Version Version
	Leaves  []byte
	Body    io.Reader
}

// ACLItem is one ACL of a record.
type ACLItem struct {
	Record RecordID
	ACL    ACL
}

// GrantItem is one grant of a record, revoked or not.
type GrantItem struct {
	Record RecordID
	Grant  Grant
}

// SecretItem is one of the server's sealed secrets, as Secrets stores it.
type SecretItem struct {
	Name  string
	Value []byte
}

// LogEntryItem is one transparency-log entry.
type LogEntryItem struct {
	Index int64
	Entry []byte
}

func (AccountItem) isItem()  {}
func (KeyCardItem) isItem()  {}
func (DeviceItem) isItem()   {}
func (Session) isItem()      {}
func (Invite) isItem()       {}
func (Head) isItem()         {}
func (VersionItem) isItem()  {}
func (ACLItem) isItem()      {}
func (GrantItem) isItem()    {}
func (ChainEntry) isItem()   {}
func (SecretItem) isItem()   {}
func (LogEntryItem) isItem() {}

// Exporter is a backend that can list everything it holds.
type Exporter interface {
	// Export calls fn with every item of the store, read from one
	// consistent state, and stops at fn's first error. Every AccountItem
	// comes before any other item; log entries come in index order, from 0
	// with no gap. Writes made while it runs may wait until it ends.
	Export(ctx context.Context, fn func(Item) error) error
}

// Importer is a backend that can take a whole deployment at once.
type Importer interface {
	// Import writes every item src exports into the store, which must hold
	// nothing yet (ErrConflict otherwise): all of it, or on error none of
	// it but bodies written outside the database, which nothing names then
	// and a later Import overwrites or Sweep removes.
	Import(ctx context.Context, src Exporter) (ImportStats, error)
}

// ImportStats counts what an Import wrote.
type ImportStats struct {
	Accounts   int
	Records    int // heads, tombstones included
	Versions   int
	BodyBytes  int64
	LogEntries int64
	Items      int // every item
}
