package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/blindvault/blindvault/server/store"
)

// sameContent is what proveSame compared.
type sameContent struct {
	LogSize int64
	LogRoot tlog.Hash
	Records int // heads compared
	Bodies  int // version bodies hashed on both sides
}

// proveSame checks that dst holds what src holds, as clients see it: the
// transparency log (its size and root hash), each account (its current key
// card, chain seq, key backup and devices), the head of every record the
// accounts own, and each stored version of those records, its header hash
// and the SHA-256 of its body. A migration runs it after copying.
func proveSame(ctx context.Context, src, dst store.Store, accounts []store.AccountID) (sameContent, error) {
	var c sameContent
	var err error
	if c.LogSize, c.LogRoot, err = sameLog(ctx, src, dst); err != nil {
		return c, err
	}
	for _, owner := range accounts {
		if err := sameAccount(ctx, src, dst, owner); err != nil {
			return c, fmt.Errorf("account %s: %w", owner, err)
		}
		var after store.RecordID
		for {
			heads, err := src.OwnedRecords(ctx, owner, after, store.MaxList)
			if err != nil {
				return c, fmt.Errorf("records of %s: %w", owner, err)
			}
			for _, h := range heads {
				n, err := sameRecord(ctx, src, dst, h)
				if err != nil {
					return c, fmt.Errorf("record %s: %w", h.Record, err)
				}
				c.Records++
				c.Bodies += n
				after = h.Record
			}
			if len(heads) < store.MaxList {
				break
			}
		}
	}
	return c, nil
}

func sameLog(ctx context.Context, src, dst store.Store) (int64, tlog.Hash, error) {
	size, root, err := logRoot(ctx, src)
	if err != nil {
		return 0, tlog.Hash{}, fmt.Errorf("source log: %w", err)
	}
	dsize, droot, err := logRoot(ctx, dst)
	if err != nil {
		return 0, tlog.Hash{}, fmt.Errorf("target log: %w", err)
	}
	if size != dsize || root != droot {
		return 0, tlog.Hash{}, fmt.Errorf("the target's log (%d entries, root %s) is not the source's (%d entries, root %s)", dsize, droot, size, root)
	}
	return size, root, nil
}

func logRoot(ctx context.Context, st store.Store) (size int64, root tlog.Hash, err error) {
	err = st.LogView(ctx, func(n int64, hashes tlog.HashReader) error {
		size = n
		if n == 0 {
			return nil
		}
		root, err = tlog.TreeHash(n, hashes)
		return err
	})
	return size, root, err
}

// sameAccount compares what a client logging in reads of an account.
func sameAccount(ctx context.Context, src, dst store.Store, id store.AccountID) error {
	for _, get := range []struct {
		what string
		fn   func(st store.Store) (any, error)
	}{
		{"account", func(st store.Store) (any, error) { return st.Account(ctx, id) }},
		{"key backup", func(st store.Store) (any, error) { return st.Backup(ctx, id) }},
		{"devices", func(st store.Store) (any, error) { return st.Devices(ctx, id) }},
		{"deletion", func(st store.Store) (any, error) {
			d, err := st.AccountDeletion(ctx, id)
			if errors.Is(err, store.ErrNotFound) {
				return "none", nil
			}
			return fmt.Sprint(d.Requested.UnixNano(), d.Due.UnixNano(), d.Purged.UnixNano()), err
		}},
	} {
		s, err := get.fn(src)
		if err != nil {
			return fmt.Errorf("source %s: %w", get.what, err)
		}
		d, err := get.fn(dst)
		if err != nil {
			return fmt.Errorf("target %s: %w", get.what, err)
		}
		// Printed, so that a nil and an empty list compare equal; the
		// values are public (cards, certificates, a sealed backup).
		if fmt.Sprintf("%x", s) != fmt.Sprintf("%x", d) {
			return fmt.Errorf("the target's %s differs from the source's", get.what)
		}
	}
	return nil
}

// sameRecord compares h with the target's head of the record and every
// stored version, and returns how many bodies it hashed.
func sameRecord(ctx context.Context, src, dst store.Store, h store.Head) (int, error) {
	d, err := dst.Head(ctx, h.Record)
	if err != nil {
		return 0, fmt.Errorf("target head: %w", err)
	}
	if d.Owner != h.Owner || d.Version != h.Version || d.HeaderHash != h.HeaderHash || d.ACLSeq != h.ACLSeq ||
		!d.Created.Equal(h.Created) || !d.Updated.Equal(h.Updated) || !d.Deleted.Equal(h.Deleted) {
		return 0, fmt.Errorf("target head %+v, source head %+v", d, h)
	}
	bodies := 0
	for v := uint64(1); v <= h.Version; v++ {
		sv, serr := src.Version(ctx, h.Record, v)
		dv, derr := dst.Version(ctx, h.Record, v)
		switch {
		case errors.Is(serr, store.ErrNotFound) && errors.Is(derr, store.ErrNotFound):
			continue // deleted or pruned on both sides
		case serr != nil:
			return bodies, fmt.Errorf("source version %d: %w", v, serr)
		case derr != nil:
			return bodies, fmt.Errorf("target version %d: %w", v, derr)
		case sv.HeaderHash != dv.HeaderHash || sv.BodySize != dv.BodySize:
			return bodies, fmt.Errorf("version %d: target header %s of %d bytes, source %s of %d bytes", v, dv.HeaderHash, dv.BodySize, sv.HeaderHash, sv.BodySize)
		}
		sh, err := bodyHash(ctx, src, h.Record, v, sv.BodySize)
		if err != nil {
			return bodies, fmt.Errorf("source body of version %d: %w", v, err)
		}
		dh, err := bodyHash(ctx, dst, h.Record, v, sv.BodySize)
		if err != nil {
			return bodies, fmt.Errorf("target body of version %d: %w", v, err)
		}
		if sh != dh {
			return bodies, fmt.Errorf("version %d: the target's body hashes to %x, the source's to %x", v, dh, sh)
		}
		bodies++
	}
	return bodies, nil
}

func bodyHash(ctx context.Context, st store.Store, id store.RecordID, v uint64, size int64) ([32]byte, error) {
	r, err := st.OpenBody(ctx, id, v, 0, size)
	if err != nil {
		return [32]byte{}, err
	}
	defer r.Close()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return [32]byte{}, err
	}
	return [32]byte(h.Sum(nil)), nil
}
