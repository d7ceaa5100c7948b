package bolt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/server/store/internal/check"
)

func (s *Store) UpdateSharing(ctx context.Context, sw store.SharingWrite) error {
	if err := check.SharingWrite(sw); err != nil {
		return fmt.Errorf("update sharing: %w", err)
	}
	err := s.update(ctx, sharingSize(sw.Sharing)+chainSize(sw.Chain), func(w *writeTx) error {
		h, err := ownedHead(w.tx, sw.Record, sw.Owner)
		if err != nil {
			return err
		}
		if err := errors.Join(checkSharingState(w.tx, h, sw.Sharing), checkChain(w.tx, sw.Chain)); err != nil {
			return err
		}
		if err := applySharing(w, &h, sw.Sharing, sw.Time); err != nil {
			return err
		}
		return errors.Join(w.put(bRec, recHead.key(sw.Record), encodeHead(h)), applyChain(w, sw.Chain))
	})
	if err != nil {
		return fmt.Errorf("update sharing: %w", err)
	}
	return nil
}

func sharingSize(sh store.Sharing) int {
	n := 0
	if sh.ACL != nil {
		n += len(sh.ACL.Signed) + 128
	}
	for _, g := range sh.Grants {
		n += len(g.Signed) + 128
	}
	return n
}

// checkSharingState checks a sharing change against the head it applies to.
func checkSharingState(tx *bbolt.Tx, h store.Head, sh store.Sharing) error {
	if sh.ACL != nil && sh.ACL.Seq != h.ACLSeq+1 {
		return fmt.Errorf("acl seq %d, current %d: %w", sh.ACL.Seq, h.ACLSeq, store.ErrConflict)
	}
	for _, g := range sh.Grants {
		if _, err := getAccount(tx, g.Account); err != nil {
			// Or a group: the id of a live record (store.Grant).
			gh, herr := getHead(tx, store.RecordID(g.Account))
			if !errors.Is(err, store.ErrNotFound) || herr != nil || gh.IsDeleted() {
				return fmt.Errorf("grant: %w", err)
			}
		}
	}
	return nil
}

// applySharing revokes, then stores the ACL and grants, then brings the
// "shared with" index of every account involved up to date.
func applySharing(w *writeTx, h *store.Head, sh store.Sharing, at time.Time) error {
	touched := map[store.AccountID]bool{}
	if len(sh.Revoke) > 0 {
		revoke := map[store.KeyID]bool{}
		for _, k := range sh.Revoke {
			revoke[k] = true
		}
		grants, err := recordGrants(w.tx, h.Record)
		if err != nil {
			return err
		}
		for _, g := range grants {
			if revoke[g.Recipient] && g.Revoked.IsZero() {
				g.Revoked = at
				if err := w.put(bRec, grantKey(h.Record, g.Epoch, g.Recipient), encodeGrant(g)); err != nil {
					return err
				}
				touched[g.Account] = true
			}
		}
	}
	if sh.ACL != nil {
		if err := w.put(bRec, recACLs.key(h.Record, u64(sh.ACL.Seq)), encodeACL(*sh.ACL)); err != nil {
			return err
		}
		h.ACLSeq = sh.ACL.Seq
	}
	for _, g := range sh.Grants {
		g.Revoked = time.Time{}
		if err := w.put(bRec, grantKey(h.Record, g.Epoch, g.Recipient), encodeGrant(g)); err != nil {
			return err
		}
		touched[g.Account] = true
	}
	return updateShared(w, h, touched)
}

func grantKey(rec store.RecordID, epoch uint32, k store.KeyID) []byte {
	return recGrants.key(rec, u32(epoch), k[:])
}

// updateShared lists the record as shared with each touched account while
// it, not being the owner, holds an unrevoked grant on it (one read of the
// grants for all of them).
func updateShared(w *writeTx, h *store.Head, touched map[store.AccountID]bool) error {
	if len(touched) == 0 {
		return nil
	}
	grants, err := recordGrants(w.tx, h.Record)
	if err != nil {
		return err
	}
	shared := map[store.AccountID]bool{}
	for _, g := range grants {
		if g.Revoked.IsZero() && g.Account != h.Owner {
			shared[g.Account] = true
		}
	}
	for acct := range touched {
		k := key(acct[:], h.Record[:])
		switch {
		case shared[acct]:
			err = w.put(bShared, k, present)
		case w.get(bShared, k) != nil:
			err = w.del(bShared, k)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func recordGrants(tx *bbolt.Tx, id store.RecordID) ([]store.Grant, error) {
	var gs []store.Grant
	prefix := recGrants.key(id)
	c := tx.Bucket(bRec).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		g, err := decodeGrant(v)
		if err != nil {
			return nil, err
		}
		rest := k[len(prefix):]
		g.Epoch = uint32(rest[0])<<24 | uint32(rest[1])<<16 | uint32(rest[2])<<8 | uint32(rest[3])
		g.Recipient = store.KeyID(rest[4:])
		gs = append(gs, g)
	}
	return gs, nil
}

func (s *Store) ACL(ctx context.Context, id store.RecordID, seq uint64) (store.ACL, error) {
	var a store.ACL
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		h, err := getHead(tx, id)
		if err != nil {
			return err
		}
		if seq == 0 {
			seq = h.ACLSeq
		}
		v := tx.Bucket(bRec).Get(recACLs.key(id, u64(seq)))
		if v == nil {
			return fmt.Errorf("acl %d: %w", seq, store.ErrNotFound)
		}
		a, err = decodeACL(v)
		a.Seq = seq
		return err
	})
	if err != nil {
		return store.ACL{}, fmt.Errorf("acl: %w", err)
	}
	return a, nil
}

func (s *Store) Grants(ctx context.Context, id store.RecordID) ([]store.Grant, error) {
	var gs []store.Grant
	err := s.view(ctx, func(tx *bbolt.Tx) (err error) {
		if _, err := getHead(tx, id); err != nil {
			return err
		}
		gs, err = recordGrants(tx, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("grants: %w", err)
	}
	return gs, nil
}

func (s *Store) GrantsFor(ctx context.Context, id store.RecordID, account store.AccountID) ([]store.Grant, error) {
	all, err := s.Grants(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("grants for: %w", err)
	}
	var gs []store.Grant
	for _, g := range all {
		if g.Account == account && g.Revoked.IsZero() {
			gs = append(gs, g)
		}
	}
	return gs, nil
}
