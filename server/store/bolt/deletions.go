package bolt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/server/store/internal/check"
)

// Account deletions (store.AccountDeletions). A deletion is one value in the
// deletions bucket, kept after the purge as the account's tombstone.

func encodeDeletion(d store.AccountDeletion) []byte {
	return enc{tagDeletion}.time(d.Requested).time(d.Due).time(d.Purged)
}

func decodeDeletion(id store.AccountID, v []byte) (store.AccountDeletion, error) {
	d := store.AccountDeletion{Account: id}
	s, ok := open(v, tagDeletion)
	if !ok || !readTime(&s, &d.Requested) || !readTime(&s, &d.Due) || !readTime(&s, &d.Purged) || !s.Empty() {
		return store.AccountDeletion{}, corrupt("deletion")
	}
	return d, nil
}

func getDeletion(tx *bbolt.Tx, id store.AccountID) (store.AccountDeletion, error) {
	v := tx.Bucket(bDeletions).Get(id[:])
	if v == nil {
		return store.AccountDeletion{}, fmt.Errorf("deletion of account %s: %w", id, store.ErrNotFound)
	}
	return decodeDeletion(id, v)
}

func (s *Store) ScheduleAccountDeletion(ctx context.Context, d store.AccountDeletion, keep store.Hash) error {
	if err := check.AccountDeletion(d); err != nil {
		return fmt.Errorf("schedule account deletion: %w", err)
	}
	err := s.update(ctx, size(), func(w *writeTx) error {
		if _, err := getAccount(w.tx, d.Account); err != nil {
			return err
		}
		if w.get(bDeletions, d.Account[:]) != nil {
			return fmt.Errorf("deletion of account %s already recorded: %w", d.Account, store.ErrConflict)
		}
		for _, k := range prefixKeys(w.tx.Bucket(bDevSess), d.Account[:], 0) {
			if token := k[len(k)-len(store.Hash{}):]; !bytes.Equal(token, keep[:]) {
				if err := errors.Join(w.del(bSessions, token), w.del(bDevSess, k)); err != nil {
					return err
				}
			}
		}
		err := eachOwned(w.tx, d.Account, func(h store.Head) error {
			return setGrants(w, h, func(g *store.Grant) bool {
				if g.Revoked.IsZero() && g.Account != d.Account {
					g.Revoked = d.Requested
					return true
				}
				return false
			})
		})
		if err != nil {
			return err
		}
		return w.put(bDeletions, key(d.Account[:]), encodeDeletion(d))
	})
	if err != nil {
		return fmt.Errorf("schedule account deletion: %w", err)
	}
	return nil
}

func (s *Store) CancelAccountDeletion(ctx context.Context, id store.AccountID) (store.AccountDeletion, error) {
	var d store.AccountDeletion
	err := s.update(ctx, size(), func(w *writeTx) (err error) {
		if d, err = getDeletion(w.tx, id); err != nil {
			return err
		}
		if d.IsPurged() {
			return fmt.Errorf("account %s was purged: %w", id, store.ErrConflict)
		}
		err = eachOwned(w.tx, id, func(h store.Head) error {
			return setGrants(w, h, func(g *store.Grant) bool {
				if g.Revoked.Equal(d.Requested) {
					g.Revoked = time.Time{} // in force again
					return true
				}
				return false
			})
		})
		if err != nil {
			return err
		}
		return w.del(bDeletions, id[:])
	})
	if err != nil {
		return store.AccountDeletion{}, fmt.Errorf("cancel account deletion: %w", err)
	}
	return d, nil
}

// eachOwned calls fn with the head of every live record the account owns.
func eachOwned(tx *bbolt.Tx, owner store.AccountID, fn func(store.Head) error) error {
	for _, k := range prefixKeys(tx.Bucket(bOwned), owner[:], 0) {
		h, err := getHead(tx, store.RecordID(k[len(owner):]))
		if err != nil {
			return err
		}
		if h.IsDeleted() {
			continue
		}
		if err := fn(h); err != nil {
			return err
		}
	}
	return nil
}

// setGrants stores every grant of the record that change changed, and brings
// the "shared with" index of their accounts up to date.
func setGrants(w *writeTx, h store.Head, change func(*store.Grant) bool) error {
	grants, err := recordGrants(w.tx, h.Record)
	if err != nil {
		return err
	}
	touched := map[store.AccountID]bool{}
	for _, g := range grants {
		if !change(&g) {
			continue
		}
		if err := w.put(bRec, grantKey(h.Record, g.Epoch, g.Recipient), encodeGrant(g)); err != nil {
			return err
		}
		touched[g.Account] = true
	}
	return updateShared(w, &h, touched)
}

func (s *Store) AccountDeletion(ctx context.Context, id store.AccountID) (store.AccountDeletion, error) {
	return read(ctx, s, "account deletion", func(tx *bbolt.Tx) (store.AccountDeletion, error) { return getDeletion(tx, id) })
}

func (s *Store) DueAccountDeletions(ctx context.Context, now time.Time) ([]store.AccountDeletion, error) {
	var due []store.AccountDeletion
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(bDeletions).ForEach(func(k, v []byte) error {
			d, err := decodeDeletion(store.AccountID(k), v)
			if err == nil && !d.IsPurged() && !d.Due.After(now) {
				due = append(due, d)
			}
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("due account deletions: %w", err)
	}
	sort.Slice(due, func(i, j int) bool { return due[i].Due.Before(due[j].Due) })
	return due[:min(len(due), store.MaxList)], nil
}

func (s *Store) PurgeAccount(ctx context.Context, p store.AccountPurge) (store.PurgeStats, error) {
	var st store.PurgeStats
	if err := check.AccountPurge(p); err != nil {
		return st, fmt.Errorf("purge account: %w", err)
	}
	err := s.update(ctx, size(), func(w *writeTx) error {
		st = store.PurgeStats{}
		d, err := getDeletion(w.tx, p.Account)
		if err != nil {
			return err
		}
		if err := check.Purgeable(d, p); err != nil {
			return err
		}
		if err := purgeAccount(w, p, &st); err != nil {
			return err
		}
		d.Purged = p.Purged
		return w.put(bDeletions, key(p.Account[:]), encodeDeletion(d))
	})
	if err != nil {
		return store.PurgeStats{}, fmt.Errorf("purge account: %w", err)
	}
	return st, nil
}

// purgeAccount deletes everything of the account but its deletion.
func purgeAccount(w *writeTx, p store.AccountPurge, st *store.PurgeStats) error {
	id := p.Account
	rec, err := getAccount(w.tx, id)
	if err != nil {
		return err
	}
	for _, k := range prefixKeys(w.tx.Bucket(bOwned), id[:], 0) {
		rid := store.RecordID(k[len(id):])
		st.Records++
		st.Versions += len(prefixKeys(w.tx.Bucket(bRec), recVersions.key(rid), 0))
		gs, err := recordGrants(w.tx, rid)
		if err != nil {
			return err
		}
		st.Grants += len(gs)
		if err := errors.Join(purgeRecord(w, rid), w.del(bRec, recHead.key(rid)), w.del(bOwned, k)); err != nil {
			return err
		}
	}
	n, err := purgeGrantsTo(w, id)
	if err != nil {
		return err
	}
	st.Grants += n
	if st.Sessions, err = deleteSessions(w, id[:]); err != nil {
		return err
	}
	if st.Devices, err = w.delPrefix(bDevices, id[:], 0); err != nil {
		return err
	}
	_, err1 := w.delPrefix(bCards, id[:], 0)
	_, err2 := w.delPrefix(bChains, id[:], 0)
	errs := []error{err1, err2,
		w.del(bHandles, []byte(rec.Handle)), w.del(bBackups, id[:]), w.del(bLockouts, id[:]), w.del(bAccounts, id[:])}
	for _, n := range p.Secrets {
		errs = append(errs, w.del(bSecrets, []byte(n)))
	}
	return errors.Join(errs...)
}

// purgeGrantsTo deletes every grant given to the account on records it does
// not own, in force or revoked. Revoked grants have no index by account, so
// this walks every record's grants: a purge is rare and runs in the
// background.
func purgeGrantsTo(w *writeTx, id store.AccountID) (int, error) {
	var keys [][]byte
	c := w.tx.Bucket(bRec).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if len(k) <= len(store.RecordID{}) || recSpace(k[len(store.RecordID{})]) != recGrants {
			continue
		}
		g, err := decodeGrant(v)
		if err != nil {
			return 0, err
		}
		if g.Account == id {
			keys = append(keys, append([]byte(nil), k...))
		}
	}
	for _, k := range keys {
		err := errors.Join(w.del(bRec, k), w.del(bShared, key(id[:], k[:len(store.RecordID{})])))
		if err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}
