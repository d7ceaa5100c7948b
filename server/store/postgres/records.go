package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"

	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/server/store/internal/check"
)

func (s *Store) PutVersion(ctx context.Context, v store.VersionWrite, body io.Reader) error {
	if err := check.VersionWrite(v); err != nil {
		return fmt.Errorf("put version: %w", err)
	}
	// Fail before a long upload if the write is already stale; the check
	// that counts is made, under a row lock, in the transaction that links
	// the body. A small body is no long upload.
	if v.BodySize < 0 || v.BodySize > s.opts.InlineMax {
		_, err := get(ctx, s, "put version", func(q querier) (store.Head, error) { return checkVersion(ctx, q, v, false) })
		if err != nil {
			return err
		}
	}
	up, err := s.receive(ctx, body, v.BodySize)
	if err != nil {
		return fmt.Errorf("put version: %w", err)
	}
	if v.Version == 1 {
		err = s.writeLog(ctx, "put version", &request{
			plan:   func(ctx context.Context, q stmts) error { return s.createRecord(ctx, q, v, up) },
			create: bulkCreation(v, up),
			log:    store.LogBatchFrom(ctx),
		})
	} else if plainUpdate(v, up) {
		err = s.writePlanned(ctx, "put version", func(ctx context.Context, q stmts) error { return s.updateRecord(ctx, q, v, up) })
		if errors.Is(err, errStaleHead) {
			// Which way the head differs says which error: read it.
			_, err = get(ctx, s, "put version", func(q querier) (store.Head, error) { return checkVersion(ctx, q, v, false) })
			if err == nil { // it moved on since, to a head this follows
				err = fmt.Errorf("put version: record %s changed meanwhile: %w", v.Record, store.ErrConflict)
			}
		}
	} else {
		err = s.write(ctx, "put version", func(ctx context.Context, tx pgx.Tx) error { return s.putVersion(ctx, tx, v, up) })
	}
	if err != nil {
		s.discard(ctx, up)
		return err
	}
	return nil
}

// plainUpdate reports a version after the first that changes nothing but
// the content, with its body inline: most updates, and what updateRecord
// writes in one statement.
func plainUpdate(v store.VersionWrite, up *upload) bool {
	return v.Version > 1 && v.Sharing.IsZero() && len(v.Chain) == 0 && !up.staged
}

// errStaleHead is updateRecord's failed compare-and-swap, before
// PutVersion reads the head to tell which.
var errStaleHead = errors.New("the record's head is not the one the version follows")

// updateRecord writes a plain update (plainUpdate) in one statement, which
// reads nothing before it writes and so can be pipelined: the head's
// conditional UPDATE is the compare-and-swap (the head the version follows,
// of its owner, not deleted), and the version and its inline body are
// inserted from what it returns, so a stale head writes nothing. The
// UPDATE waits for a concurrent writer of the same head, then checks it
// again.
func (s *Store) updateRecord(ctx context.Context, q stmts, v store.VersionWrite, up *upload) error {
	insert := `INSERT INTO versions ` + versionColumns + ` SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 FROM h`
	return q.exec(ctx, changed("version", func() error { return errStaleHead }),
		`WITH h AS (UPDATE heads SET version = $2, header_hash = $3, updated = $12
			WHERE record = $1 AND owner = $14 AND header_hash = $4 AND version = $2 - 1 AND deleted = 0 RETURNING record),
		c AS (INSERT INTO body_chunks (body, n, data) SELECT $9, 0, $13 FROM h WHERE $8 > 0) `+insert,
		v.Record[:], int64(v.Version), v.HeaderHash[:], v.PrevHash[:], v.Author[:], v.Header, nonNil(v.Leaves),
		up.size, up.id, up.blob, s.opts.ChunkSize, ts(v.Created), nonNil(up.inline), v.Owner[:])
}

const headColumns = `record, owner, version, header_hash, acl_seq, created, updated, deleted FROM heads`

func scanHead(row pgx.Row) (store.Head, error) {
	var h store.Head
	var rec, owner, hash []byte
	var version, aclSeq, created, updated, deleted int64
	if err := row.Scan(&rec, &owner, &version, &hash, &aclSeq, &created, &updated, &deleted); err != nil {
		return store.Head{}, mapErr(err)
	}
	h.Version, h.ACLSeq = uint64(version), uint64(aclSeq)
	h.Created, h.Updated, h.Deleted = fromTS(created), fromTS(updated), fromTS(deleted)
	return h, errors.Join(id32(&h.Record, rec), id32(&h.Owner, owner), id32(&h.HeaderHash, hash))
}

// checkVersion is the compare-and-swap: it returns the head the version will
// replace (Version 0 for a new record), locking it if lock is set.
func checkVersion(ctx context.Context, q querier, v store.VersionWrite, lock bool) (store.Head, error) {
	sql := `SELECT ` + headColumns + ` WHERE record = $1`
	if lock {
		sql += ` FOR UPDATE`
	}
	h, err := scanHead(q.QueryRow(ctx, sql, v.Record[:]))
	switch {
	case errors.Is(err, store.ErrNotFound):
		if v.Version != 1 {
			return store.Head{}, fmt.Errorf("record %s does not exist: %w", v.Record, store.ErrConflict)
		}
		if err := accountExists(ctx, q, v.Owner); err != nil {
			return store.Head{}, fmt.Errorf("owner: %w", err)
		}
		return store.Head{Record: v.Record, Owner: v.Owner, Created: v.Created}, nil
	case err != nil:
		return store.Head{}, err
	}
	return h, check.Successor(h, v)
}

// createRecord writes the first version of a new record. It reads nothing
// before it writes, so it can be pipelined, and it is one statement but for
// a staged body's link, the grants and the chain: the insert of the head is
// the compare-and-swap, and the version, its inline body and the first ACL
// are inserted from what it returns, so a conflict inserts nothing. It
// waits for a concurrent creator of the same record, then finds its row: a
// conflict, as is any record with this id, deleted or not. The foreign key
// makes an unknown owner ErrNotFound.
func (s *Store) createRecord(ctx context.Context, q stmts, v store.VersionWrite, up *upload) error {
	h := store.Head{Record: v.Record, Owner: v.Owner, Created: v.Created}
	var acl struct {
		hash, signed []byte
		created      int64
	}
	if a := v.Sharing.ACL; a != nil {
		if a.Seq != 1 {
			return fmt.Errorf("acl seq %d of a new record: %w", a.Seq, store.ErrConflict)
		}
		h.ACLSeq, acl.hash, acl.signed, acl.created = 1, a.Hash[:], a.Signed, ts(a.Created)
	}
	if err := linkBody(ctx, q, up); err != nil {
		return err
	}
	var inline []byte // NULL: no chunk to write
	if len(up.inline) > 0 {
		inline = up.inline
	}
	exists := func() error { return fmt.Errorf("record %s exists: %w", v.Record, store.ErrConflict) }
	err := q.exec(ctx, changed("owner", exists), `WITH h AS (INSERT INTO heads (record, owner, version, header_hash, acl_seq, created, updated)
			VALUES ($1, $18, 1, $3, $14, $12, $12) ON CONFLICT DO NOTHING RETURNING record),
		c AS (INSERT INTO body_chunks (body, n, data) SELECT $9, 0, $13::bytea FROM h WHERE $13::bytea IS NOT NULL),
		a AS (INSERT INTO acls (record, seq, hash, signed, created) SELECT record, 1, $15::bytea, $16::bytea, $17 FROM h WHERE $15::bytea IS NOT NULL)
		INSERT INTO versions `+versionColumns+` SELECT record, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 FROM h`,
		v.Record[:], int64(v.Version), v.HeaderHash[:], v.PrevHash[:], v.Author[:], v.Header, nonNil(v.Leaves),
		up.size, up.id, up.blob, s.opts.ChunkSize, ts(v.Created), inline, int64(h.ACLSeq), acl.hash, acl.signed, acl.created, v.Owner[:])
	if err != nil {
		return err
	}
	h.Version, h.HeaderHash, h.Updated = v.Version, v.HeaderHash, v.Created
	sh := v.Sharing
	sh.ACL = nil // inserted already
	if err := applySharing(ctx, q, &h, sh, v.Created); err != nil {
		return err
	}
	return appendChain(ctx, q, v.Chain)
}

// putVersion writes a version after the first: the compare-and-swap is
// made on the head, read and locked first.
func (s *Store) putVersion(ctx context.Context, tx pgx.Tx, v store.VersionWrite, up *upload) error {
	h, err := checkVersion(ctx, tx, v, true)
	if err != nil {
		return err
	}
	if err := s.writeVersion(ctx, now{tx}, &h, v, up); err != nil {
		return err
	}
	if err := updateHead(ctx, tx, h); err != nil {
		return err
	}
	return appendChain(ctx, now{tx}, v.Chain)
}

// versionColumns are those a version's insert names, in the order of its
// arguments $1 to $12.
const versionColumns = `(record, version, header_hash, prev_hash, author, header, leaves,
	body_size, body_id, body_blob, body_chunk, created)`

// writeVersion writes what every version after the first adds, its body's link, its row and
// its sharing change, and moves h, the head it replaces, to it.
func (s *Store) writeVersion(ctx context.Context, q stmts, h *store.Head, v store.VersionWrite, up *upload) error {
	if err := linkBody(ctx, q, up); err != nil {
		return err
	}
	insert := `INSERT INTO versions ` + versionColumns + ` VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`
	args := []any{v.Record[:], int64(v.Version), v.HeaderHash[:], v.PrevHash[:], v.Author[:], v.Header, nonNil(v.Leaves),
		up.size, up.id, up.blob, s.opts.ChunkSize, ts(v.Created)}
	if len(up.inline) > 0 {
		// An inline body is one chunk (InlineMax ≤ ChunkSize), written by
		// the same statement.
		insert = `WITH c AS (INSERT INTO body_chunks (body, n, data) VALUES ($9, 0, $13)) ` + insert
		args = append(args, up.inline)
	}
	if err := q.exec(ctx, nil, insert, args...); err != nil {
		return err
	}
	h.Version, h.HeaderHash, h.Updated = v.Version, v.HeaderHash, v.Created
	return applySharing(ctx, q, h, v.Sharing, v.Created)
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func updateHead(ctx context.Context, tx pgx.Tx, h store.Head) error {
	_, err := tx.Exec(ctx, `UPDATE heads SET version = $2, header_hash = $3, acl_seq = $4, updated = $5, deleted = $6 WHERE record = $1`,
		h.Record[:], int64(h.Version), h.HeaderHash[:], int64(h.ACLSeq), ts(h.Updated), ts(h.Deleted))
	return err
}

func (s *Store) Head(ctx context.Context, id store.RecordID) (store.Head, error) {
	return get(ctx, s, "head", func(q querier) (store.Head, error) {
		h, err := scanHead(q.QueryRow(ctx, `SELECT `+headColumns+` WHERE record = $1`, id[:]))
		if err != nil {
			return store.Head{}, fmt.Errorf("record %s: %w", id, err)
		}
		return h, nil
	})
}

// ownedHead locks and returns the head of a live record that owner owns: a
// deleted record is not found, another owner's is a conflict.
func ownedHead(ctx context.Context, tx pgx.Tx, id store.RecordID, owner store.AccountID) (store.Head, error) {
	h, err := scanHead(tx.QueryRow(ctx, `SELECT `+headColumns+` WHERE record = $1 FOR UPDATE`, id[:]))
	switch {
	case err != nil:
		return store.Head{}, fmt.Errorf("record %s: %w", id, err)
	case h.IsDeleted():
		return store.Head{}, fmt.Errorf("record %s is deleted: %w", id, store.ErrNotFound)
	case h.Owner != owner:
		return store.Head{}, fmt.Errorf("record %s has another owner: %w", id, store.ErrConflict)
	}
	return h, nil
}

func (s *Store) Version(ctx context.Context, id store.RecordID, version uint64) (store.Version, error) {
	return get(ctx, s, "version", func(q querier) (store.Version, error) {
		out := store.Version{Record: id, Version: version}
		var hash, prev, author []byte
		var created int64
		err := q.QueryRow(ctx, `SELECT header_hash, prev_hash, author, header, length(leaves), body_size, created
			FROM versions WHERE record = $1 AND version = $2`, id[:], int64(min(version, 1<<63-1))).
			Scan(&hash, &prev, &author, &out.Header, &out.LeavesSize, &out.BodySize, &created)
		if err != nil {
			return store.Version{}, fmt.Errorf("record %s version %d: %w", id, version, mapErr(err))
		}
		out.Created = fromTS(created)
		return out, errors.Join(id32(&out.HeaderHash, hash), id32(&out.PrevHash, prev), id32(&out.Author, author))
	})
}

func (s *Store) Leaves(ctx context.Context, id store.RecordID, version uint64) ([]byte, error) {
	return get(ctx, s, "leaves", func(q querier) ([]byte, error) {
		var leaves []byte
		err := q.QueryRow(ctx, `SELECT leaves FROM versions WHERE record = $1 AND version = $2`, id[:], int64(min(version, 1<<63-1))).Scan(&leaves)
		if err != nil {
			return nil, fmt.Errorf("record %s version %d: %w", id, version, mapErr(err))
		}
		return leaves, nil
	})
}

func (s *Store) OwnedRecords(ctx context.Context, owner store.AccountID, after store.RecordID, limit int) ([]store.Head, error) {
	return s.listHeads(ctx, "owned records", `SELECT `+headColumns+` WHERE owner = $1 AND record > $2 ORDER BY record LIMIT $3`, owner, after, limit)
}

func (s *Store) SharedRecords(ctx context.Context, id store.AccountID, after store.RecordID, limit int) ([]store.Head, error) {
	return s.listHeads(ctx, "shared records", `SELECT `+headColumns+` WHERE record IN
		(SELECT record FROM grants WHERE account = $1 AND revoked = 0 AND record > $2)
		AND owner <> $1 AND record > $2 ORDER BY record LIMIT $3`, id, after, limit)
}

func (s *Store) listHeads(ctx context.Context, what, sql string, acct store.AccountID, after store.RecordID, limit int) ([]store.Head, error) {
	if limit <= 0 || limit > store.MaxList {
		limit = store.MaxList
	}
	return get(ctx, s, what, func(q querier) ([]store.Head, error) {
		rows, _ := q.Query(ctx, sql, acct[:], after[:], limit)
		return pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Head, error) { return scanHead(r) })
	})
}

func (s *Store) DeleteRecord(ctx context.Context, d store.Deletion) error {
	if err := check.Deletion(d); err != nil {
		return fmt.Errorf("delete record: %w", err)
	}
	var blobs []string
	err := s.write(ctx, "delete record", func(ctx context.Context, tx pgx.Tx) error {
		h, err := ownedHead(ctx, tx, d.Record, d.Owner)
		if err != nil {
			return err
		}
		if err := appendChain(ctx, now{tx}, d.Chain); err != nil {
			return err
		}
		if blobs, err = purgeRecord(ctx, tx, d.Record); err != nil {
			return err
		}
		h.Deleted = d.Deleted
		return updateHead(ctx, tx, h)
	})
	if err != nil {
		return err
	}
	s.deleteBlobs(ctx, blobs)
	return nil
}

// purgeRecord deletes every version, ACL and grant of a record, and the
// bodies kept in the database; it returns the keys of the bodies kept in
// the blob store, for the caller to delete once this has committed.
func purgeRecord(ctx context.Context, tx pgx.Tx, id store.RecordID) ([]string, error) {
	rows, _ := tx.Query(ctx, `DELETE FROM versions WHERE record = $1 RETURNING body_id, body_blob`, id[:])
	var inDB [][]byte
	var blobs []string
	var body []byte
	var isBlob bool
	_, err := pgx.ForEachRow(rows, []any{&body, &isBlob}, func() error {
		if isBlob {
			blobs = append(blobs, blobKey(body))
		} else {
			inDB = append(inDB, body)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, sql := range []string{`DELETE FROM grants WHERE record = $1`, `DELETE FROM acls WHERE record = $1`} {
		if _, err := tx.Exec(ctx, sql, id[:]); err != nil {
			return nil, err
		}
	}
	if _, err := tx.Exec(ctx, `DELETE FROM body_chunks WHERE body = ANY($1)`, inDB); err != nil {
		return nil, err
	}
	return blobs, nil
}
