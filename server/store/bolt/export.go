package bolt

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"

	bbolt "go.etcd.io/bbolt"

	"github.com/blindvault/blindvault/server/store"
)

var _ store.Exporter = (*Store)(nil)

// Export lists everything the file holds, in one read transaction: the
// accounts with their backups and lockouts, key cards, devices, sessions,
// invites, records (per record its ACLs, grants, head and versions, bodies
// read piece by piece), chains, secrets and log entries. Staged uploads and
// the derived indexes (handles, owned, shared, devsess) and the log's
// stored hashes are not items.
//
// The transaction stays open until fn has seen the last item, so bbolt
// cannot reuse freed pages meanwhile; blindvault migrate runs it on a file
// no server has open.
func (s *Store) Export(ctx context.Context, fn func(store.Item) error) error {
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		x := exporter{ctx: ctx, tx: tx, fn: fn}
		for _, step := range []func() error{x.accounts, x.cards, x.devices, x.sessions, x.invites, x.records, x.chains, x.secrets, x.deletions, x.log} {
			if err := step(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

type exporter struct {
	ctx context.Context
	tx  *bbolt.Tx
	fn  func(store.Item) error
}

// each calls fn with every key and value of a bucket, checking the context
// between them.
func (x *exporter) each(bucket []byte, fn func(k, v []byte) error) error {
	c := x.tx.Bucket(bucket).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if err := x.ctx.Err(); err != nil {
			return err
		}
		if err := fn(k, v); err != nil {
			return fmt.Errorf("%s %x: %w", bucket, k, err)
		}
	}
	return nil
}

// keyLen checks a key's length before it is cut into ids.
func keyLen(k []byte, n int) error {
	if len(k) != n {
		return fmt.Errorf("key of %d bytes, want %d: %w", len(k), n, errCorrupt)
	}
	return nil
}

func (x *exporter) accounts() error {
	return x.each(bAccounts, func(k, _ []byte) error {
		if err := keyLen(k, 32); err != nil {
			return err
		}
		a, err := readAccount(x.tx, store.AccountID(k))
		if err != nil {
			return err
		}
		it := store.AccountItem{Account: a, Backup: clone(x.tx.Bucket(bBackups).Get(k))}
		if v := x.tx.Bucket(bLockouts).Get(k); v != nil {
			if it.Lockout, err = decodeLockout(v); err != nil {
				return err
			}
		}
		return x.fn(it)
	})
}

func (x *exporter) cards() error {
	return x.each(bCards, func(k, v []byte) error {
		if err := keyLen(k, 40); err != nil {
			return err
		}
		c, err := decodeCard(v)
		if err != nil {
			return err
		}
		c.Seq = seqOf(k)
		return x.fn(store.KeyCardItem{Account: store.AccountID(k[:32]), Card: c})
	})
}

func (x *exporter) devices() error {
	return x.each(bDevices, func(k, v []byte) error {
		if err := keyLen(k, 64); err != nil {
			return err
		}
		d, err := decodeDevice(v)
		if err != nil {
			return err
		}
		d.ID = store.DeviceID(k[32:])
		return x.fn(store.DeviceItem{Account: store.AccountID(k[:32]), Device: d})
	})
}

func (x *exporter) sessions() error {
	return x.each(bSessions, func(k, v []byte) error {
		if err := keyLen(k, 32); err != nil {
			return err
		}
		ses, err := decodeSession(v)
		if err != nil {
			return err
		}
		ses.TokenHash = store.Hash(k)
		return x.fn(ses)
	})
}

func (x *exporter) invites() error {
	return x.each(bInvites, func(k, v []byte) error {
		if err := keyLen(k, 32); err != nil {
			return err
		}
		inv, err := decodeInvite(v)
		if err != nil {
			return err
		}
		inv.CodeHash = store.Hash(k)
		return x.fn(inv)
	})
}

// records lists the rec bucket: record ‖ space ‖ rest.
func (x *exporter) records() error {
	return x.each(bRec, func(k, v []byte) error {
		if len(k) < 33 {
			return fmt.Errorf("short key: %w", errCorrupt)
		}
		id, rest := store.RecordID(k[:32]), k[33:]
		switch recSpace(k[32]) {
		case recHead:
			h, err := decodeHead(v)
			if err != nil {
				return err
			}
			h.Record = id
			return x.fn(h)
		case recVersions:
			return x.version(id, rest, v)
		case recACLs:
			if err := keyLen(rest, 8); err != nil {
				return err
			}
			a, err := decodeACL(v)
			if err != nil {
				return err
			}
			a.Seq = seqOf(rest)
			return x.fn(store.ACLItem{Record: id, ACL: a})
		case recGrants:
			if err := keyLen(rest, 4+32); err != nil {
				return err
			}
			g, err := decodeGrant(v)
			if err != nil {
				return err
			}
			g.Epoch, g.Recipient = binary.BigEndian.Uint32(rest), store.KeyID(rest[4:])
			return x.fn(store.GrantItem{Record: id, Grant: g})
		}
		return fmt.Errorf("unknown space %q: %w", k[32], errCorrupt)
	})
}

func (x *exporter) version(id store.RecordID, rest, v []byte) error {
	if err := keyLen(rest, 8); err != nil {
		return err
	}
	r, err := decodeVersion(v)
	if err != nil {
		return err
	}
	it := store.VersionItem{
		Version: store.Version{
			Record: id, Version: seqOf(rest), HeaderHash: r.HeaderHash, PrevHash: r.PrevHash,
			Author: r.Author, Header: r.Header, LeavesSize: int64(len(r.Leaves)), BodySize: r.BodySize, Created: r.Created,
		},
		Leaves: r.Leaves,
		Body:   &txBody{tx: x.tx, id: r.Body, size: r.BodySize, pieceSize: int64(r.PieceSize)},
	}
	return x.fn(it)
}

// txBody reads a body's pieces in the export's transaction.
type txBody struct {
	tx        *bbolt.Tx
	id        bodyID
	size      int64
	pieceSize int64
	pos       int64
}

func (b *txBody) Read(p []byte) (int, error) {
	if b.pos >= b.size {
		return 0, io.EOF
	}
	idx := b.pos / b.pieceSize
	want := min(b.pieceSize, b.size-idx*b.pieceSize)
	v := b.tx.Bucket(bBodies).Get(key(b.id[:], u32(uint32(idx))))
	if int64(len(v)) != want {
		return 0, fmt.Errorf("body piece %d is %d bytes, want %d: %w", idx, len(v), want, errCorrupt)
	}
	n := copy(p, v[b.pos-idx*b.pieceSize:])
	b.pos += int64(n)
	return n, nil
}

func (x *exporter) chains() error {
	return x.each(bChains, func(k, v []byte) error {
		if err := keyLen(k, 40); err != nil {
			return err
		}
		return x.fn(store.ChainEntry{Account: store.AccountID(k[:32]), Seq: seqOf(k), Entry: clone(v)})
	})
}

func (x *exporter) secrets() error {
	return x.each(bSecrets, func(k, v []byte) error {
		return x.fn(store.SecretItem{Name: string(k), Value: clone(v)})
	})
}

func (x *exporter) deletions() error {
	return x.each(bDeletions, func(k, v []byte) error {
		if err := keyLen(k, 32); err != nil {
			return err
		}
		d, err := decodeDeletion(store.AccountID(k), v)
		if err != nil {
			return err
		}
		return x.fn(d)
	})
}

func (x *exporter) log() error {
	next := int64(0)
	return x.each(bLog, func(k, v []byte) error {
		if err := keyLen(k, 8); err != nil {
			return err
		}
		if i := int64(seqOf(k)); i != next {
			return fmt.Errorf("log entry %d where %d was due: %w", i, next, errCorrupt)
		}
		next++
		return x.fn(store.LogEntryItem{Index: next - 1, Entry: clone(v)})
	})
}

// clone copies a value out of the transaction; nil stays nil.
func clone(v []byte) []byte {
	if v == nil {
		return nil
	}
	return append([]byte{}, v...)
}
