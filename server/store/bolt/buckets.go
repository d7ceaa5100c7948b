package bolt

import (
	"encoding/binary"
	"fmt"

	bbolt "go.etcd.io/bbolt"
)

// The file holds flat top-level buckets with fixed-width binary keys; ids are
// 32 bytes, sequence numbers big-endian so that keys sort in number order.
var (
	bMeta       = []byte("meta")     // "schema" → schemaVersion
	bAccounts   = []byte("accounts") // account → accountRec
	bHandles    = []byte("handles")  // handle → account
	bCards      = []byte("cards")    // account ‖ u64 seq → KeyCard
	bDevices    = []byte("devices")  // account ‖ device → Device
	bBackups    = []byte("backups")  // account → backup blob
	bLockouts   = []byte("lockouts") // account → Lockout
	bSessions   = []byte("sessions") // token hash → Session
	bDevSess    = []byte("devsess")  // account ‖ device ‖ token hash → ""
	bInvites    = []byte("invites")  // code hash → Invite
	bRecords    = []byte("records")  // record → Head (tombstones too)
	bOwned      = []byte("owned")    // owner ‖ record → ""
	bVersions   = []byte("versions") // record ‖ u64 version → versionRec
	bBodies     = []byte("bodies")   // body ‖ u32 piece → piece bytes
	bStaging    = []byte("staging")  // body → stagingRec, until linked
	bACLs       = []byte("acls")     // record ‖ u64 seq → ACL
	bGrants     = []byte("grants")   // record ‖ u32 epoch ‖ key id → Grant
	bShared     = []byte("shared")   // account ‖ record → ""
	bChains     = []byte("chains")   // account ‖ u64 seq → entry bytes
	bSecrets    = []byte("secrets")  // name → value
	bLog        = []byte("log")      // u64 index → entry bytes
	bLogHashes  = []byte("loghash")  // u64 tlog storage index → hash
	allBuckets  = [][]byte{bMeta, bAccounts, bHandles, bCards, bDevices, bBackups, bLockouts, bSessions, bDevSess, bInvites, bRecords, bOwned, bVersions, bBodies, bStaging, bACLs, bGrants, bShared, bChains, bSecrets, bLog, bLogHashes}
	keySchema   = []byte("schema")
	schemaValue = []byte("blindvault.store.bolt.v1")
)

// checkSchema checks that the file was written by this schema version.
func checkSchema(tx *bbolt.Tx) error {
	m := tx.Bucket(bMeta)
	if m == nil {
		return fmt.Errorf("not a blindvault store: %w", errCorrupt)
	}
	if v := m.Get(keySchema); string(v) != string(schemaValue) {
		return fmt.Errorf("schema %q, want %q: %w", v, schemaValue, errCorrupt)
	}
	for _, name := range allBuckets {
		if tx.Bucket(name) == nil {
			return fmt.Errorf("bucket %s missing: %w", name, errCorrupt)
		}
	}
	return nil
}

// initSchema creates the buckets of a new file, or checks an existing one.
func initSchema(tx *bbolt.Tx) error {
	if tx.Bucket(bMeta) != nil {
		// Files from before the transparency log gain its empty buckets.
		for _, name := range [][]byte{bLog, bLogHashes} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		return checkSchema(tx)
	}
	for _, name := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return tx.Bucket(bMeta).Put(keySchema, schemaValue)
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
