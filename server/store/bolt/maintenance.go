package bolt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/blindvault/blindvault/server/store"
)

// sweepBudget bounds the sessions or invites one sweep transaction deletes.
const sweepBudget = 1000

func (s *Store) Sweep(ctx context.Context, now time.Time) (store.SweepStats, error) {
	var st store.SweepStats
	for {
		var n int
		err := s.update(ctx, size(), func(w *writeTx) (err error) {
			n, err = sweepExpired(w, bSessions, func(v []byte) (bool, error) {
				x, err := decodeSession(v)
				return x.Expired(now), err
			}, func(k, v []byte) error {
				x, err := decodeSession(v)
				x.TokenHash = store.Hash(k)
				return errors.Join(err, deleteSession(w, x))
			})
			return err
		})
		if err != nil {
			return st, fmt.Errorf("sweep sessions: %w", err)
		}
		if st.Sessions += n; n < sweepBudget {
			break
		}
	}
	for {
		var n int
		err := s.update(ctx, size(), func(w *writeTx) (err error) {
			n, err = sweepExpired(w, bInvites, func(v []byte) (bool, error) {
				inv, err := decodeInvite(v)
				return !now.Before(inv.Expires), err
			}, func(k, _ []byte) error { return w.del(bInvites, k) })
			return err
		})
		if err != nil {
			return st, fmt.Errorf("sweep invites: %w", err)
		}
		if st.Invites += n; n < sweepBudget {
			break
		}
	}
	for {
		var n int
		var more bool
		err := s.update(ctx, size(), func(w *writeTx) (err error) {
			n, more, err = dropUploads(w, dropBudget, func(_ []byte, rec stagingRec) bool { return !now.Before(rec.Expires) })
			return err
		})
		if err != nil {
			return st, fmt.Errorf("sweep uploads: %w", err)
		}
		if st.Uploads += n; !more {
			break
		}
	}
	return st, nil
}

// sweepExpired deletes up to sweepBudget entries of bucket that expired
// reports as expired, and returns how many.
func sweepExpired(w *writeTx, bucket []byte, expired func(v []byte) (bool, error), del func(k, v []byte) error) (int, error) {
	type kv struct{ k, v []byte }
	var found []kv
	c := w.tx.Bucket(bucket).Cursor()
	for k, v := c.First(); k != nil && len(found) < sweepBudget; k, v = c.Next() {
		ok, err := expired(v)
		if err != nil {
			return 0, err
		}
		if ok {
			found = append(found, kv{append([]byte(nil), k...), append([]byte(nil), v...)})
		}
	}
	for _, e := range found {
		if err := del(e.k, e.v); err != nil {
			return 0, err
		}
	}
	return len(found), nil
}

func (s *Store) Snapshot(ctx context.Context, w io.Writer) (int64, error) {
	var n int64
	err := s.view(ctx, func(tx *bbolt.Tx) (err error) {
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("snapshot: %w", err)
	}
	return n, nil
}

// compactTxBytes bounds each transaction of the compaction copy.
const compactTxBytes = 64 << 20

// Compact copies the live data into a new file and swaps it in, so the pages
// that deleted records used are gone from the file, not only free. Writes
// wait while it runs; reads go on until the swap.
func (s *Store) Compact(ctx context.Context) error {
	err := s.c.exclusive(ctx, func() error {
		if s.db == nil {
			return store.ErrClosed
		}
		tmp := s.compactPath()
		// The copy is synced once at the end instead of per transaction:
		// until the rename it is not the store, and Open deletes it.
		dst, err := bbolt.Open(tmp, 0o600, &bbolt.Options{NoSync: true, NoFreelistSync: true, FreelistType: bbolt.FreelistMapType})
		if err != nil {
			return err
		}
		err = bbolt.Compact(dst, s.db, compactTxBytes)
		if err == nil {
			err = dst.Sync()
		}
		if err = errors.Join(err, dst.Close()); err != nil {
			return errors.Join(err, os.Remove(tmp))
		}
		return s.swap(tmp, false)
	})
	if err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	return nil
}

// swap replaces the store's file with tmp, which is complete and synced. It
// runs on the committer goroutine, so no write is in flight; reads are held
// off by the lock for the moment of the swap.
func (s *Store) swap(tmp string, dropUploads bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.db == nil {
		return store.ErrClosed
	}
	if err := s.db.Close(); err != nil {
		s.db = nil
		return err
	}
	s.db = nil
	if err := os.Rename(tmp, s.path); err != nil {
		return errors.Join(err, s.reopen(dropUploads))
	}
	if err := syncDir(filepath.Dir(s.path)); err != nil {
		return errors.Join(err, s.reopen(dropUploads))
	}
	return s.reopen(dropUploads)
}

// reopen opens s.path again; if that fails the store stays closed.
func (s *Store) reopen(dropUploads bool) error {
	db, err := s.openDB(s.path, dropUploads)
	if err != nil {
		return fmt.Errorf("reopen: %w", err)
	}
	s.db = db
	return nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}
