package postgres

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/server/store/internal/check"
)

// A body of at most Options.InlineMax bytes is written by the version's own
// transaction, as bytea chunks. A larger one is written before that
// transaction, under a random body id that an uploads row names first, in a
// transaction of its own: to the blob store if there is one (then it is an
// object, "bodies/" + hex id), else as chunks. The version's transaction
// deletes the uploads row and links the body; if it fails, the body is
// deleted at once, and if the process dies first, Sweep deletes it once its
// upload lifetime is over. Nothing a client can reach names a body before
// the version's transaction commits.

// upload is a body received from the caller.
type upload struct {
	id     []byte // 16 random bytes
	size   int64
	inline []byte // the whole body, written with the version; nil if staged
	staged bool   // written already; an uploads row names it
	blob   bool   // in the blob store, not the database
}

func newBodyID() []byte {
	id := make([]byte, 16)
	rand.Read(id) // never fails (crypto/rand)
	return id
}

// blobKey is a body's key in the blob store.
func blobKey(id []byte) string { return "bodies/" + hex.EncodeToString(id) }

// receive reads body. declared is its exact length, or -1.
func (s *Store) receive(ctx context.Context, body io.Reader, declared int64) (*upload, error) {
	limit, over := s.opts.MaxBodySize, store.ErrTooLarge
	if declared > limit {
		return nil, fmt.Errorf("body of %d bytes, limit %d: %w", declared, limit, store.ErrTooLarge)
	}
	if declared >= 0 {
		limit, over = declared, store.ErrInvalid
	}
	up := &upload{id: newBodyID()}
	// Read one byte past what may be inline, to tell whether it all is.
	first, err := readUpTo(body, min(s.opts.InlineMax, limit)+1)
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	switch {
	case int64(len(first)) > limit:
		return nil, fmt.Errorf("body over %d bytes: %w", limit, over)
	case int64(len(first)) <= s.opts.InlineMax:
		up.inline, up.size = first, int64(len(first))
	default:
		r := &limitReader{ctx: ctx, r: io.MultiReader(bytes.NewReader(first), body), left: limit, over: over}
		if err := s.stage(ctx, up, r); err != nil {
			s.discard(ctx, up)
			return nil, err
		}
	}
	if declared >= 0 && up.size != declared {
		s.discard(ctx, up)
		return nil, check.Invalid("body is %d bytes, header says %d", up.size, declared)
	}
	return up, nil
}

// readUpTo reads until r ends or n bytes have come, growing its buffer as
// they come, so that a small body costs a small buffer.
func readUpTo(r io.Reader, n int64) ([]byte, error) {
	var buf bytes.Buffer
	_, err := buf.ReadFrom(io.LimitReader(r, n))
	return buf.Bytes(), err
}

// limitReader fails with over once more than left bytes have come, and with
// the context's error once it is done.
type limitReader struct {
	ctx  context.Context
	r    io.Reader
	left int64
	over error
	n    int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if err := l.ctx.Err(); err != nil {
		return 0, err
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.left -= int64(n); l.left < 0 {
		return n, fmt.Errorf("body over the limit: %w", l.over)
	}
	if err != nil && err != io.EOF {
		err = &bodyReadError{err}
	}
	return n, err
}

// bodyReadError is a failure to read the caller's body (a client that went
// away), which says nothing of the database's or the bucket's health.
type bodyReadError struct{ err error }

func (e *bodyReadError) Error() string { return "read body: " + e.err.Error() }
func (e *bodyReadError) Unwrap() error { return e.err }

// stage records the upload, then writes the body.
func (s *Store) stage(ctx context.Context, up *upload, r *limitReader) error {
	expires := time.Now().Add(s.opts.UploadLifetime)
	err := s.unlogged(ctx, "stage body", func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO uploads (body, expires) VALUES ($1, $2)`, up.id, ts(expires))
		return err
	})
	if err != nil {
		return err
	}
	up.staged = true
	if s.blobs != nil {
		up.blob = true
		_, err = s.blobs.Put(ctx, blobKey(up.id), r)
	} else {
		err = s.unlogged(ctx, "stage body", func(ctx context.Context, tx pgx.Tx) error { return s.writeChunks(ctx, tx, up.id, r) })
	}
	if err != nil {
		return fmt.Errorf("stage body: %w", mapErr(err))
	}
	up.size = r.n
	return nil
}

// writeChunks writes r as ChunkSize chunks of body id.
func (s *Store) writeChunks(ctx context.Context, tx pgx.Tx, id []byte, r io.Reader) error {
	buf := make([]byte, s.opts.ChunkSize)
	for n := 0; ; n++ {
		m, err := io.ReadFull(r, buf)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO body_chunks (body, n, data) VALUES ($1, $2, $3)`, id, n, buf[:m]); err != nil {
			return err
		}
		if m < len(buf) {
			return nil
		}
	}
}

// linkBody, in the version's transaction, claims a staged body: its uploads
// row must still be there (Sweep may have given up on a slow upload). An
// inline body is written with the version's row instead.
func linkBody(ctx context.Context, q stmts, up *upload) error {
	if !up.staged {
		return nil
	}
	return q.exec(ctx, func(tag pgconn.CommandTag, err error) error {
		if err == nil && tag.RowsAffected() == 0 {
			err = fmt.Errorf("upload abandoned: %w", store.ErrNotFound)
		}
		return err
	}, `DELETE FROM uploads WHERE body = $1`, up.id)
}

// discard deletes a staged body whose version was not stored. If that fails
// too, Sweep deletes it later.
func (s *Store) discard(ctx context.Context, up *upload) {
	if !up.staged {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if up.blob {
		if err := s.blobs.Delete(ctx, blobKey(up.id)); err != nil {
			return
		}
	}
	s.unlogged(ctx, "discard body", func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM body_chunks WHERE body = $1`, up.id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM uploads WHERE body = $1`, up.id)
		return err
	})
}

// deleteBlobs deletes the blobs of deleted versions; what fails here is an
// orphan that Sweep deletes.
func (s *Store) deleteBlobs(ctx context.Context, keys []string) {
	if len(keys) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	s.blobs.Delete(ctx, keys...)
}

func (s *Store) OpenBody(ctx context.Context, id store.RecordID, version uint64, offset, length int64) (io.ReadCloser, error) {
	type loc struct {
		size  int64
		body  []byte
		blob  bool
		chunk int64
	}
	l, err := get(ctx, s, "open body", func(q querier) (loc, error) {
		var l loc
		err := q.QueryRow(ctx, `SELECT body_size, body_id, body_blob, body_chunk FROM versions WHERE record = $1 AND version = $2`,
			id[:], int64(min(version, 1<<63-1))).Scan(&l.size, &l.body, &l.blob, &l.chunk)
		if err != nil {
			return loc{}, fmt.Errorf("record %s version %d: %w", id, version, mapErr(err))
		}
		return l, nil
	})
	if err != nil {
		return nil, err
	}
	if offset < 0 || length < 0 || offset > l.size || length > l.size-offset {
		return nil, check.Invalid("open body: range %d+%d of %d bytes", offset, length, l.size)
	}
	if l.blob {
		if s.blobs == nil {
			return nil, fmt.Errorf("open body: the body is in a blob store and none is configured: %w", errCorrupt)
		}
		rc, err := s.blobs.Open(ctx, blobKey(l.body), offset, length)
		if err != nil {
			return nil, fmt.Errorf("open body: %w", mapErr(err))
		}
		return &blobReader{s: s, rc: rc}, nil
	}
	return &chunkReader{s: s, ctx: ctx, id: l.body, chunk: l.chunk, pos: offset, end: offset + length}, nil
}

// blobReader fails once the store is closed, as a chunk reader does.
type blobReader struct {
	s  *Store
	rc io.ReadCloser
}

func (r *blobReader) Read(p []byte) (int, error) {
	if r.s.closed.Load() {
		return 0, fmt.Errorf("read body: %w", store.ErrClosed)
	}
	return r.rc.Read(p)
}

func (r *blobReader) Close() error { return r.rc.Close() }

// chunkReader streams a range of a body kept in the database, one chunk (or
// the part of one in the range) per query.
type chunkReader struct {
	s        *Store
	ctx      context.Context
	id       []byte
	chunk    int64
	pos, end int64
	buf      []byte // what was read of the chunk at pos and not returned
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.buf) == 0 {
		if r.pos >= r.end {
			return 0, io.EOF
		}
		n := r.pos / r.chunk
		off := r.pos - n*r.chunk
		want := min(r.chunk-off, r.end-r.pos)
		b, err := get(r.ctx, r.s, "read body", func(q querier) ([]byte, error) {
			var b []byte
			err := q.QueryRow(r.ctx, `SELECT substring(data FROM $3 FOR $4) FROM body_chunks WHERE body = $1 AND n = $2`,
				r.id, n, off+1, want).Scan(&b)
			return b, mapErr(err)
		})
		if err != nil {
			return 0, err
		}
		if int64(len(b)) != want {
			return 0, fmt.Errorf("read body: chunk %d is short: %w", n, errCorrupt)
		}
		r.buf = b
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	r.pos += int64(n)
	return n, nil
}

func (r *chunkReader) Close() error {
	r.buf = nil
	return nil
}
