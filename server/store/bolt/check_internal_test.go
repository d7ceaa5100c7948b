package bolt

import (
	"context"
	"strings"
	"testing"

	bbolt "go.etcd.io/bbolt"
)

// Check reports an entry of the rec bucket that belongs to no record space.
func TestCheck_RecKeyWithoutSpace(t *testing.T) {
	ctx := context.Background()
	s := openInternal(t, nil)
	if err := s.Check(ctx); err != nil {
		t.Fatalf("Check of an empty store: %v", err)
	}
	for _, k := range [][]byte{make([]byte, 32), append(make([]byte, 32), 'x', 1)} {
		err := s.db.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bRec).Put(k, []byte{1}) })
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Check(ctx); err == nil || !strings.Contains(err.Error(), "no record space") {
			t.Fatalf("Check with rec key %x: %v, want a report of no record space", k, err)
		}
		s.db.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bRec).Delete(k) })
	}
}
