package bolt

import (
	"errors"
	"fmt"

	bbolt "go.etcd.io/bbolt"
)

// Schema v1 kept a record's head, versions, ACLs and grants in four buckets,
// each keyed by record first; v2 keeps them in rec, keyed record ‖ space ‖ the
// rest of the v1 key. migrateRecords moves a v1 file's entries over in
// transactions of at most migrateBatch keys, so that a large file never holds
// its whole record data dirty in memory. Each transaction moves its keys (put
// in rec, deleted from the old bucket) atomically, so a migration cut short
// resumes where it stopped at the next Open; nothing else runs on the file
// until it is done.
var v1RecordBuckets = []struct {
	name  []byte
	space recSpace
}{
	{[]byte("records"), recHead},
	{[]byte("versions"), recVersions},
	{[]byte("acls"), recACLs},
	{[]byte("grants"), recGrants},
}

var (
	schemaV1     = []byte("blindvault.store.bolt.v1")
	migrateBatch = 10000 // keys per transaction; tests lower it
)

// migrateRecords brings a v1 file to v2; on a v2 file it does nothing.
func migrateRecords(db *bbolt.DB) error {
	var v1 bool
	if err := db.View(func(tx *bbolt.Tx) error {
		v1 = string(tx.Bucket(bMeta).Get(keySchema)) == string(schemaV1)
		return nil
	}); err != nil || !v1 {
		return err
	}
	for {
		moved := 0
		err := db.Update(func(tx *bbolt.Tx) error {
			for _, old := range v1RecordBuckets {
				b := tx.Bucket(old.name)
				if b == nil {
					continue
				}
				for _, k := range prefixKeys(b, nil, migrateBatch-moved) {
					if len(k) < 32 {
						return fmt.Errorf("migrate %s: key %x: %w", old.name, k, errCorrupt)
					}
					v := b.Get(k)
					if err := errors.Join(tx.Bucket(bRec).Put(key(k[:32], []byte{byte(old.space)}, k[32:]), v), b.Delete(k)); err != nil {
						return fmt.Errorf("migrate %s: %w", old.name, err)
					}
					moved++
				}
				if moved == migrateBatch {
					return nil
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if moved == 0 {
			break
		}
	}
	return db.Update(func(tx *bbolt.Tx) error {
		for _, old := range v1RecordBuckets {
			if tx.Bucket(old.name) == nil {
				continue
			}
			if err := tx.DeleteBucket(old.name); err != nil {
				return fmt.Errorf("migrate: drop %s: %w", old.name, err)
			}
		}
		return tx.Bucket(bMeta).Put(keySchema, schemaValue)
	})
}
