package bolt

import (
	"context"
	"fmt"
	"strings"
	"testing"

	bbolt "go.etcd.io/bbolt"
)

// Check rebuilds the log's tree from its entries and finds a stored hash or an
// entry that was changed behind the store's back.
func TestCheck_LogTree(t *testing.T) {
	ctx := context.Background()
	s := openInternal(t, nil)
	for i := range 9 {
		if _, err := s.AppendLog(ctx, []byte(fmt.Sprintf("entry %d", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Check(ctx); err != nil {
		t.Fatalf("Check of a sound log: %v", err)
	}
	for _, tamper := range []struct {
		bucket []byte
		key    int64
		want   string
	}{
		{bLogHashes, 3, "does not match the entries"},
		{bLog, 5, "does not match the entries"},
	} {
		err := s.db.Update(func(tx *bbolt.Tx) error {
			b := tx.Bucket(tamper.bucket)
			v := append([]byte(nil), b.Get(u64key(tamper.key))...)
			v[0] ^= 1
			return b.Put(u64key(tamper.key), v)
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Check(ctx); err == nil || !strings.Contains(err.Error(), tamper.want) {
			t.Fatalf("Check after changing %s %d: %v, want %q", tamper.bucket, tamper.key, err, tamper.want)
		}
		// Undo, for the next case.
		s.db.Update(func(tx *bbolt.Tx) error {
			b := tx.Bucket(tamper.bucket)
			v := append([]byte(nil), b.Get(u64key(tamper.key))...)
			v[0] ^= 1
			return b.Put(u64key(tamper.key), v)
		})
	}
}
