package bolt

import (
	"encoding/binary"
	"errors"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"github.com/blindvault/blindvault/server/store"
)

// The file holds flat top-level buckets with fixed-width binary keys; ids are
// 32 bytes, sequence numbers big-endian so that keys sort in number order.
var (
	bMeta       = []byte("meta")      // "schema" → schemaVersion
	bAccounts   = []byte("accounts")  // account → accountRec
	bHandles    = []byte("handles")   // handle → account
	bCards      = []byte("cards")     // account ‖ u64 seq → KeyCard
	bDevices    = []byte("devices")   // account ‖ device → Device
	bBackups    = []byte("backups")   // account → backup blob
	bLockouts   = []byte("lockouts")  // account → Lockout
	bSessions   = []byte("sessions")  // token hash → Session
	bDevSess    = []byte("devsess")   // account ‖ device ‖ token hash → ""
	bInvites    = []byte("invites")   // code hash → Invite
	bRec        = []byte("rec")       // record ‖ space ‖ … → the record's head, versions, ACLs and grants
	bOwned      = []byte("owned")     // owner ‖ record → ""
	bBodies     = []byte("bodies")    // body ‖ u32 piece → piece bytes
	bStaging    = []byte("staging")   // body → stagingRec, until linked
	bShared     = []byte("shared")    // account ‖ record → ""
	bChains     = []byte("chains")    // account ‖ u64 seq → entry bytes
	bSecrets    = []byte("secrets")   // name → value
	bLog        = []byte("log")       // u64 index → entry bytes
	bLogHashes  = []byte("loghash")   // u64 tlog storage index → hash
	bDeletions  = []byte("deletions") // account → deletionRec (deletions.go)
	allBuckets  = [][]byte{bMeta, bAccounts, bHandles, bCards, bDevices, bBackups, bLockouts, bSessions, bDevSess, bInvites, bRec, bOwned, bBodies, bStaging, bShared, bChains, bSecrets, bLog, bLogHashes, bDeletions}
	keySchema   = []byte("schema")
	schemaValue = []byte("blindvault.store.bolt.v2")
)

// A recSpace is one kind of per-record data in the rec bucket. A record's
// head, versions, ACLs and grants all live there under record ‖ space ‖ …, so
// that a write to one record dirties one or two neighbouring B-tree pages
// instead of a random page in each of four buckets: record ids are random,
// and every page a commit dirties is a random write (docs/benchmarks.md).
type recSpace byte

const (
	recACLs     recSpace = 'a' // record ‖ 'a' ‖ u64 seq → ACL
	recGrants   recSpace = 'g' // record ‖ 'g' ‖ u32 epoch ‖ key id → Grant
	recHead     recSpace = 'h' // record ‖ 'h' → Head (tombstones too)
	recVersions recSpace = 'v' // record ‖ 'v' ‖ u64 version → versionRec
)

func (sp recSpace) valid() bool {
	switch sp {
	case recACLs, recGrants, recHead, recVersions:
		return true
	}
	return false
}

// key returns the key of id's entry in the space, rest appended; with no rest
// it is the prefix of all of them.
func (sp recSpace) key(id store.RecordID, rest ...[]byte) []byte {
	return key(append([][]byte{id[:], {byte(sp)}}, rest...)...)
}

var errNotEmpty = errors.New("not empty")

// knownSchema checks that the file is a blindvault store of this schema or
// one this version migrates, before anything is added to it.
func knownSchema(tx *bbolt.Tx) error {
	m := tx.Bucket(bMeta)
	if m == nil {
		return fmt.Errorf("not a blindvault store: %w", errCorrupt)
	}
	if v := m.Get(keySchema); string(v) != string(schemaValue) && string(v) != string(schemaV1) {
		return fmt.Errorf("schema %q, want %q: %w", v, schemaValue, errCorrupt)
	}
	return nil
}

// checkSchema checks that the file is of this schema, with every bucket.
func checkSchema(tx *bbolt.Tx) error {
	if err := knownSchema(tx); err != nil {
		return err
	}
	if v := tx.Bucket(bMeta).Get(keySchema); string(v) != string(schemaValue) {
		return fmt.Errorf("schema %q not migrated to %q: %w", v, schemaValue, errCorrupt)
	}
	for _, name := range allBuckets {
		if tx.Bucket(name) == nil {
			return fmt.Errorf("bucket %s missing: %w", name, errCorrupt)
		}
	}
	return nil
}

// initSchema creates the buckets of a new, empty file; a file that holds
// buckets but no schema is someone else's and is refused. An existing store
// gains the buckets added since it was written (the log's; deletions; rec, which
// migrateRecords then fills from an older file's record buckets);
// checkSchema checks it after.
func initSchema(tx *bbolt.Tx) error {
	if tx.Bucket(bMeta) == nil {
		if err := tx.ForEach(func([]byte, *bbolt.Bucket) error { return errNotEmpty }); err != nil {
			return fmt.Errorf("not a blindvault store, and not empty: %w", errCorrupt)
		}
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		return tx.Bucket(bMeta).Put(keySchema, schemaValue)
	}
	if err := knownSchema(tx); err != nil {
		return err
	}
	for _, name := range [][]byte{bLog, bLogHashes, bRec, bDeletions} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return nil
}

// prepareSchema creates a new file's buckets, brings an older file to the
// current schema, and checks the result.
func prepareSchema(db *bbolt.DB) error {
	if err := db.Update(initSchema); err != nil {
		return err
	}
	if err := migrateRecords(db); err != nil {
		return err
	}
	return db.View(checkSchema)
}

// key concatenates parts into a fresh slice (bbolt keeps the slice until
// commit, so keys are never reused buffers).
func key(parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	k := make([]byte, 0, n)
	for _, p := range parts {
		k = append(k, p...)
	}
	return k
}

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }
func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// seqOf reads the u64 that ends a key.
func seqOf(k []byte) uint64 { return binary.BigEndian.Uint64(k[len(k)-8:]) }

// present is the value of index entries; a non-empty value keeps Get
// unambiguous.
var present = []byte{1}
