package bolt

import (
	"context"
	"encoding/binary"
	"fmt"

	bbolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/server/store/internal/check"
)

// The log's entries are keyed by index and its tree's stored hashes by tlog
// storage index, both u64 big-endian, so the log's size is the last entry key
// plus one and no counter can disagree with the data.

func u64key(n int64) []byte { return u64(uint64(n)) }

// logSize returns the number of entries in the log.
func logSize(b *bbolt.Bucket) int64 {
	k, _ := b.Cursor().Last()
	if k == nil {
		return 0
	}
	return int64(binary.BigEndian.Uint64(k)) + 1
}

// txHashes reads stored hashes inside a transaction, its own writes included.
type txHashes struct{ b *bbolt.Bucket }

func (h txHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		v := h.b.Get(u64key(x))
		if len(v) != tlog.HashSize {
			return nil, fmt.Errorf("log hash %d missing: %w", x, errCorrupt)
		}
		out[i] = tlog.Hash(v)
	}
	return out, nil
}

// appendLog appends entries and their tree hashes and returns the first index.
func (w *writeTx) appendLog(entries [][]byte) (int64, error) {
	lb, hb := w.tx.Bucket(bLog), w.tx.Bucket(bLogHashes)
	first := logSize(lb)
	for i, e := range entries {
		n := first + int64(i)
		hs, err := tlog.StoredHashes(n, e, txHashes{hb})
		if err != nil {
			return 0, err
		}
		if err := w.put(bLog, u64key(n), e); err != nil {
			return 0, err
		}
		base := tlog.StoredHashIndex(0, n)
		for j, h := range hs {
			if err := w.put(bLogHashes, u64key(base+int64(j)), h[:]); err != nil {
				return 0, err
			}
		}
	}
	return first, nil
}

// AppendLog implements store.Log.
func (s *Store) AppendLog(ctx context.Context, entries ...[]byte) (int64, error) {
	var first int64
	size := 0
	for _, e := range entries {
		size += len(e) + 64
	}
	err := s.update(ctx, size, func(w *writeTx) error {
		var err error
		first, err = w.appendLog(entries)
		return err
	})
	return first, err
}

// LogEntries implements store.Log.
func (s *Store) LogEntries(ctx context.Context, from int64, n int) ([][]byte, error) {
	if from < 0 {
		return nil, fmt.Errorf("log index %d: %w", from, store.ErrInvalid)
	}
	if n <= 0 || n > store.MaxList {
		n = store.MaxList
	}
	var out [][]byte
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket(bLog).Cursor()
		for k, v := c.Seek(u64key(from)); k != nil && len(out) < n; k, v = c.Next() {
			out = append(out, append([]byte(nil), v...))
		}
		return nil
	})
	return out, err
}

// LogView implements store.Log.
func (s *Store) LogView(ctx context.Context, fn func(size int64, hashes tlog.HashReader) error) error {
	return s.view(ctx, func(tx *bbolt.Tx) error {
		return fn(logSize(tx.Bucket(bLog)), txHashes{tx.Bucket(bLogHashes)})
	})
}

// LogViewAt implements store.Log.
func (s *Store) LogViewAt(ctx context.Context, size int64, fn func(size int64, hashes tlog.HashReader) error) error {
	return s.view(ctx, func(tx *bbolt.Tx) error {
		if n := logSize(tx.Bucket(bLog)); size < 0 || size > n {
			return fmt.Errorf("log view at %d of %d: %w", size, n, store.ErrInvalid)
		}
		return fn(size, txHashes{tx.Bucket(bLogHashes)})
	})
}

// log checks the transparency log: entries keyed 0..n-1 without a gap, and
// every stored tree hash equal to the hash recomputed from the entries.
func (c *checker) log() {
	var tree check.LogTree
	c.each(bLog, func(k, v []byte) {
		if len(k) != 8 || int64(binary.BigEndian.Uint64(k)) != tree.Entries() {
			c.fail("log entry %x: expected index %d", k, tree.Entries())
			return
		}
		if err := tree.Add(v); err != nil {
			c.fail("%w", err)
		}
	})
	n := int64(0)
	c.each(bLogHashes, func(k, v []byte) {
		switch {
		case len(k) != 8 || int64(binary.BigEndian.Uint64(k)) != n:
			c.fail("log hash %x: expected index %d", k, n)
		case n >= tree.Hashes():
			c.fail("log hash %d: no entry it belongs to", n)
		case !tree.Matches(n, v):
			c.fail("log hash %d: does not match the entries", n)
		}
		n++
	})
	if n != tree.Hashes() {
		c.fail("log: %d tree hashes stored, %d expected from %d entries", n, tree.Hashes(), tree.Entries())
	}
}
