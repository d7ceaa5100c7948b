package bolt

import (
	"bytes"
	"context"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/server/store/internal/check"
)

func (s *Store) AppendChain(ctx context.Context, entries ...store.ChainEntry) error {
	if err := check.Append(entries); err != nil {
		return fmt.Errorf("append chain: %w", err)
	}
	err := s.update(ctx, chainSize(entries), func(w *writeTx) error {
		if err := checkChain(w.tx, entries); err != nil {
			return err
		}
		return applyChain(w, entries)
	})
	if err != nil {
		return fmt.Errorf("append chain: %w", err)
	}
	return nil
}

func chainSize(entries []store.ChainEntry) int {
	n := 0
	for _, e := range entries {
		n += len(e.Entry) + 64
	}
	return n
}

// checkChain checks that each entry extends its account's chain by one, in
// order, counting earlier entries of the same write.
func checkChain(tx *bbolt.Tx, entries []store.ChainEntry) error {
	last := map[store.AccountID]uint64{}
	for _, e := range entries {
		cur, ok := last[e.Account]
		if !ok {
			if _, err := getAccount(tx, e.Account); err != nil {
				return fmt.Errorf("chain: %w", err)
			}
			cur = chainSeq(tx, e.Account)
		}
		if e.Seq != cur+1 {
			return fmt.Errorf("chain of %s at seq %d, entry has %d: %w", e.Account, cur, e.Seq, store.ErrConflict)
		}
		last[e.Account] = e.Seq
	}
	return nil
}

func applyChain(w *writeTx, entries []store.ChainEntry) error {
	for _, e := range entries {
		if err := w.put(bChains, key(e.Account[:], u64(e.Seq)), e.Entry); err != nil {
			return err
		}
	}
	return nil
}

// chainSeq returns the seq of the account's last chain entry, 0 if none.
func chainSeq(tx *bbolt.Tx, id store.AccountID) uint64 {
	c := tx.Bucket(bChains).Cursor()
	hi := key(id[:], u64(1<<64-1))
	k, _ := c.Seek(hi)
	switch {
	case k == nil:
		k, _ = c.Last()
	case string(k) != string(hi):
		k, _ = c.Prev()
	}
	if k == nil || !bytes.HasPrefix(k, id[:]) {
		return 0
	}
	return seqOf(k)
}

func (s *Store) Chain(ctx context.Context, id store.AccountID, from uint64, limit int) ([]store.ChainEntry, error) {
	if limit <= 0 || limit > store.MaxList {
		limit = store.MaxList
	}
	var es []store.ChainEntry
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		if _, err := getAccount(tx, id); err != nil {
			return err
		}
		c := tx.Bucket(bChains).Cursor()
		for k, v := c.Seek(key(id[:], u64(from))); k != nil && bytes.HasPrefix(k, id[:]) && len(es) < limit; k, v = c.Next() {
			es = append(es, store.ChainEntry{Account: id, Seq: seqOf(k), Entry: append([]byte(nil), v...)})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("chain: %w", err)
	}
	return es, nil
}
