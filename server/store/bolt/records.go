package bolt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	bbolt "go.etcd.io/bbolt"

	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/server/store/internal/check"
)

func (s *Store) PutVersion(ctx context.Context, v store.VersionWrite, body io.Reader) error {
	if err := checkVersionWrite(v); err != nil {
		return fmt.Errorf("put version: %w", err)
	}
	// Fail before a long upload if the write is already stale; the check that
	// counts is repeated in the transaction that links the body.
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		_, err := checkVersion(tx, v)
		return err
	})
	if err != nil {
		return fmt.Errorf("put version: %w", err)
	}
	up, err := s.readBody(ctx, body, v.BodySize)
	if err != nil {
		return fmt.Errorf("put version: %w", err)
	}
	n := size(v.Header, v.Leaves, up.inline) + sharingSize(v.Sharing) + chainSize(v.Chain)
	err = s.update(ctx, n, func(w *writeTx) error { return putVersion(w, v, up) })
	if err != nil {
		if up.staged {
			s.dropUpload(ctx, up.id)
		}
		return fmt.Errorf("put version: %w", err)
	}
	return nil
}

// checkVersionWrite checks what can be checked without the stored state.
func checkVersionWrite(v store.VersionWrite) error { return check.VersionWrite(v) }

// checkVersion is the compare-and-swap: it returns the head the version will
// replace (with Record and Owner set, and Version 0, for a new record).
func checkVersion(tx *bbolt.Tx, v store.VersionWrite) (store.Head, error) {
	raw := tx.Bucket(bRec).Get(recHead.key(v.Record))
	if raw == nil {
		if v.Version != 1 {
			return store.Head{}, fmt.Errorf("record %s does not exist: %w", v.Record, store.ErrConflict)
		}
		if _, err := getAccount(tx, v.Owner); err != nil {
			return store.Head{}, fmt.Errorf("owner: %w", err)
		}
		return store.Head{Record: v.Record, Owner: v.Owner, Created: v.Created}, nil
	}
	h, err := decodeHead(raw)
	if err != nil {
		return store.Head{}, err
	}
	h.Record = v.Record
	if err := check.Successor(h, v); err != nil {
		return store.Head{}, err
	}
	return h, nil
}

// putVersion validates everything first, so that a stale write fails without
// touching the transaction, then writes.
func putVersion(w *writeTx, v store.VersionWrite, up *upload) error {
	h, err := checkVersion(w.tx, v)
	if err != nil {
		return err
	}
	if err := errors.Join(checkSharingState(w.tx, h, v.Sharing), checkChain(w.tx, v.Chain)); err != nil {
		return err
	}
	if up.staged {
		if err := checkStaged(w.tx, up.id); err != nil {
			return err
		}
		if err := w.del(bStaging, up.id[:]); err != nil {
			return err
		}
	} else if len(up.inline) > 0 {
		if err := w.put(bBodies, key(up.id[:], u32(0)), up.inline); err != nil {
			return err
		}
	}
	rec := versionRec{
		HeaderHash: v.HeaderHash, PrevHash: v.PrevHash, Author: v.Author, Created: v.Created,
		Body: up.id, BodySize: up.size, PieceSize: up.pieceSize, Header: v.Header, Leaves: v.Leaves,
	}
	if h.Version == 0 {
		if err := w.put(bOwned, key(v.Owner[:], v.Record[:]), present); err != nil {
			return err
		}
	}
	h.Version, h.HeaderHash, h.Updated = v.Version, v.HeaderHash, v.Created
	if err := applySharing(w, &h, v.Sharing, v.Created); err != nil {
		return err
	}
	return errors.Join(
		w.put(bRec, recVersions.key(v.Record, u64(v.Version)), encodeVersion(rec)),
		w.put(bRec, recHead.key(v.Record), encodeHead(h)),
		applyChain(w, v.Chain),
	)
}

func (s *Store) Head(ctx context.Context, id store.RecordID) (store.Head, error) {
	return read(ctx, s, "head", func(tx *bbolt.Tx) (store.Head, error) { return getHead(tx, id) })
}

func getHead(tx *bbolt.Tx, id store.RecordID) (store.Head, error) {
	v := tx.Bucket(bRec).Get(recHead.key(id))
	if v == nil {
		return store.Head{}, fmt.Errorf("record %s: %w", id, store.ErrNotFound)
	}
	h, err := decodeHead(v)
	h.Record = id
	return h, err
}

// ownedHead returns the head of a live record that owner owns: a deleted
// record is not found, another owner's is a conflict.
func ownedHead(tx *bbolt.Tx, id store.RecordID, owner store.AccountID) (store.Head, error) {
	h, err := getHead(tx, id)
	switch {
	case err != nil:
		return store.Head{}, err
	case h.IsDeleted():
		return store.Head{}, fmt.Errorf("record %s is deleted: %w", id, store.ErrNotFound)
	case h.Owner != owner:
		return store.Head{}, fmt.Errorf("record %s has another owner: %w", id, store.ErrConflict)
	}
	return h, nil
}

func getVersion(tx *bbolt.Tx, id store.RecordID, version uint64) (versionRec, error) {
	v := tx.Bucket(bRec).Get(recVersions.key(id, u64(version)))
	if v == nil {
		return versionRec{}, fmt.Errorf("record %s version %d: %w", id, version, store.ErrNotFound)
	}
	return decodeVersion(v)
}

func (s *Store) Version(ctx context.Context, id store.RecordID, version uint64) (store.Version, error) {
	var out store.Version
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		r, err := getVersion(tx, id, version)
		if err != nil {
			return err
		}
		out = store.Version{
			Record: id, Version: version, HeaderHash: r.HeaderHash, PrevHash: r.PrevHash,
			Author: r.Author, Header: r.Header, LeavesSize: int64(len(r.Leaves)),
			BodySize: r.BodySize, Created: r.Created,
		}
		return nil
	})
	if err != nil {
		return store.Version{}, fmt.Errorf("version: %w", err)
	}
	return out, nil
}

func (s *Store) Leaves(ctx context.Context, id store.RecordID, version uint64) ([]byte, error) {
	var leaves []byte
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		r, err := getVersion(tx, id, version)
		leaves = r.Leaves
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("leaves: %w", err)
	}
	return leaves, nil
}

func (s *Store) OpenBody(ctx context.Context, id store.RecordID, version uint64, offset, length int64) (io.ReadCloser, error) {
	var r versionRec
	err := s.view(ctx, func(tx *bbolt.Tx) (err error) {
		r, err = getVersion(tx, id, version)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("open body: %w", err)
	}
	if offset < 0 || length < 0 || offset > r.BodySize || length > r.BodySize-offset {
		return nil, invalid("open body: range %d+%d of %d bytes", offset, length, r.BodySize)
	}
	return &bodyReader{
		s: s, ctx: ctx, id: r.Body, size: r.BodySize, pieceSize: int64(r.PieceSize),
		pos: offset, end: offset + length,
	}, nil
}

func (s *Store) OwnedRecords(ctx context.Context, owner store.AccountID, after store.RecordID, limit int) ([]store.Head, error) {
	hs, err := s.listHeads(ctx, bOwned, owner, after, limit)
	if err != nil {
		return nil, fmt.Errorf("owned records: %w", err)
	}
	return hs, nil
}

func (s *Store) SharedRecords(ctx context.Context, id store.AccountID, after store.RecordID, limit int) ([]store.Head, error) {
	hs, err := s.listHeads(ctx, bShared, id, after, limit)
	if err != nil {
		return nil, fmt.Errorf("shared records: %w", err)
	}
	return hs, nil
}

// listHeads pages through an index keyed account ‖ record.
func (s *Store) listHeads(ctx context.Context, index []byte, acct store.AccountID, after store.RecordID, limit int) ([]store.Head, error) {
	if limit <= 0 || limit > store.MaxList {
		limit = store.MaxList
	}
	var hs []store.Head
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket(index).Cursor()
		start := key(acct[:], after[:])
		for k, _ := c.Seek(start); k != nil && bytes.HasPrefix(k, acct[:]) && len(hs) < limit; k, _ = c.Next() {
			if string(k) == string(start) {
				continue // after is exclusive
			}
			h, err := getHead(tx, store.RecordID(k[len(acct):]))
			if err != nil {
				return err
			}
			hs = append(hs, h)
		}
		return nil
	})
	return hs, err
}

func (s *Store) DeleteRecord(ctx context.Context, d store.Deletion) error {
	if err := check.Deletion(d); err != nil {
		return fmt.Errorf("delete record: %w", err)
	}
	err := s.update(ctx, size()+chainSize(d.Chain), func(w *writeTx) error {
		h, err := ownedHead(w.tx, d.Record, d.Owner)
		if err != nil {
			return err
		}
		if err := checkChain(w.tx, d.Chain); err != nil {
			return err
		}
		if err := purgeRecord(w, d.Record); err != nil {
			return err
		}
		h.Deleted = d.Deleted
		return errors.Join(w.put(bRec, recHead.key(d.Record), encodeHead(h)), applyChain(w, d.Chain))
	})
	if err != nil {
		return fmt.Errorf("delete record: %w", err)
	}
	return nil
}

// purgeRecord deletes every version, body, ACL and grant of a record; the
// pages they used are free for reuse, and gone from the file after Compact.
func purgeRecord(w *writeTx, id store.RecordID) error {
	for _, k := range prefixKeys(w.tx.Bucket(bRec), recVersions.key(id), 0) {
		r, err := decodeVersion(w.get(bRec, k))
		if err != nil {
			return err
		}
		if err := errors.Join(deleteBody(w, r.Body), w.del(bRec, k)); err != nil {
			return err
		}
	}
	grants, err := recordGrants(w.tx, id)
	if err != nil {
		return err
	}
	for _, g := range grants {
		if err := w.del(bShared, key(g.Account[:], id[:])); err != nil {
			return err
		}
	}
	_, err1 := w.delPrefix(bRec, recGrants.key(id), 0)
	_, err2 := w.delPrefix(bRec, recACLs.key(id), 0)
	return errors.Join(err1, err2)
}
