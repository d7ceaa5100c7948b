package bolt_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/blindvault/blindvault/server/store/bolt"
	"github.com/blindvault/blindvault/server/store/storetest"
)

// v1Buckets is schema v1's layout of a record's data, written out here on its
// own: a record's head, versions, ACLs and grants in four buckets keyed
// record ‖ rest, where v2 keys them record ‖ space ‖ rest in one bucket.
var v1Buckets = map[byte]string{'h': "records", 'v': "versions", 'a': "acls", 'g': "grants"}

// downgrade rewrites a closed v2 file as schema v1 would have held it. With
// partial, every other entry stays in the rec bucket, as a migration cut short
// leaves the file.
func downgrade(t *testing.T, path string, partial bool) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bbolt.Tx) error {
		rec := tx.Bucket([]byte("rec"))
		var keys, vals [][]byte
		if err := rec.ForEach(func(k, v []byte) error {
			keys, vals = append(keys, bytes.Clone(k)), append(vals, bytes.Clone(v))
			return nil
		}); err != nil {
			return err
		}
		for i, k := range keys {
			b, err := tx.CreateBucketIfNotExists([]byte(v1Buckets[k[32]]))
			if err != nil {
				return err
			}
			if partial && i%2 == 1 {
				continue
			}
			if err := errors.Join(b.Put(append(k[:32:32], k[33:]...), vals[i]), rec.Delete(k)); err != nil {
				return err
			}
		}
		if !partial {
			if err := tx.DeleteBucket([]byte("rec")); err != nil {
				return err
			}
		}
		return tx.Bucket([]byte("meta")).Put([]byte("schema"), []byte("blindvault.store.bolt.v1"))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// layout returns the file's schema and which of the v1 buckets it still has.
func layout(t *testing.T, path string) (schema string, v1 []string) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.View(func(tx *bbolt.Tx) error {
		schema = string(tx.Bucket([]byte("meta")).Get([]byte("schema")))
		for _, name := range v1Buckets {
			if tx.Bucket([]byte(name)) != nil {
				v1 = append(v1, name)
			}
		}
		return nil
	})
	return schema, v1
}

// A file of schema v1, whole or with its migration cut short, opens as v2
// with every record's head, versions, ACLs and grants as they were, a clean
// Check, and no v1 bucket left; a v1 snapshot restores the same way.
func TestMigrate_V1FileOpensAsV2(t *testing.T) {
	ctx := context.Background()
	defer bolt.SetMigrateBatch(4)() // several transactions, even for a small file
	for _, partial := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "store.db")
		s, err := bolt.Open(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		dump := storetest.Fill(t, s)
		want := dump(s)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		downgrade(t, path, partial)
		v1File, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}

		s, err = bolt.Open(path, nil)
		if err != nil {
			t.Fatalf("partial=%v: Open(v1 file) = %v", partial, err)
		}
		if got := dump(s); got != want {
			t.Fatalf("partial=%v: after migration the store reads\n%s\nwant\n%s", partial, got, want)
		}
		if err := s.Check(ctx); err != nil {
			t.Fatalf("partial=%v: Check after migration: %v", partial, err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if schema, v1 := layout(t, path); schema != "blindvault.store.bolt.v2" || len(v1) > 0 {
			t.Fatalf("partial=%v: after migration schema %q, v1 buckets %v; want v2 and none", partial, schema, v1)
		}

		fresh := openTemp(t, nil)
		if err := fresh.Restore(ctx, bytes.NewReader(v1File)); err != nil {
			t.Fatalf("partial=%v: Restore(v1 snapshot) = %v", partial, err)
		}
		if got := dump(fresh); got != want {
			t.Fatalf("partial=%v: after restoring a v1 snapshot the store reads\n%s\nwant\n%s", partial, got, want)
		}
	}
}

// A bbolt file that is not a store of a known schema, or that holds buckets
// but no schema at all, is refused, and Open adds nothing to it.
func TestOpen_ForeignFileUntouched(t *testing.T) {
	for name, fill := range map[string]func(tx *bbolt.Tx) error{
		"another schema": func(tx *bbolt.Tx) error {
			m, err := tx.CreateBucket([]byte("meta"))
			if err != nil {
				return err
			}
			return m.Put([]byte("schema"), []byte("someone else's v7"))
		},
		"no schema": func(tx *bbolt.Tx) error {
			_, err := tx.CreateBucket([]byte("their data"))
			return err
		},
	} {
		path := filepath.Join(t.TempDir(), "other.db")
		db, err := bbolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err = errors.Join(db.Update(fill), db.Close()); err != nil {
			t.Fatal(err)
		}
		if s, err := bolt.Open(path, nil); err == nil {
			s.Close()
			t.Fatalf("%s: Open() succeeded", name)
		}
		db, err = bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		db.View(func(tx *bbolt.Tx) error {
			for _, b := range []string{"rec", "log", "accounts"} {
				if tx.Bucket([]byte(b)) != nil {
					t.Errorf("%s: Open() added bucket %s to the file", name, b)
				}
			}
			return nil
		})
		db.Close()
	}
}
