package bolt

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/blindvault/blindvault/server/store"
)

// Bodies are stored as pieces (PieceSize bytes, the last one shorter) under a
// random body id. bbolt keeps a transaction's dirty pages in memory, so a
// large body is written by several small staging transactions, each of at
// most StageBytes, while the staging bucket records the upload as unfinished.
// The version's own transaction then links the staged body to the version and
// deletes the staging entry. A body that fits in one piece skips staging and
// is written by the version's transaction.

// newBodyID returns a unique id that grows with time: new pieces then land at
// the end of the bodies bucket, so the writes of one group commit share leaf
// pages instead of each dirtying a random one.
func newBodyID() bodyID {
	var id bodyID
	binary.BigEndian.PutUint64(id[:8], uint64(time.Now().UnixNano()))
	rand.Read(id[8:]) // never fails (crypto/rand)
	return id
}

// upload is a body read from the caller.
type upload struct {
	id        bodyID
	size      int64
	pieceSize uint32
	inline    []byte // the whole body, if it fits one piece; else staged
	staged    bool
}

// readBody reads body into storage. declared is the exact expected length,
// or -1; a body longer than declared is read no further than one byte past it.
func (s *Store) readBody(ctx context.Context, body io.Reader, declared int64) (*upload, error) {
	limit, over := s.opts.MaxBodySize, store.ErrTooLarge
	if declared > limit {
		return nil, fmt.Errorf("body of %d bytes, limit %d: %w", declared, limit, store.ErrTooLarge)
	}
	if declared >= 0 {
		limit, over = declared, store.ErrInvalid
	}
	up := &upload{id: newBodyID(), pieceSize: uint32(s.opts.PieceSize)}
	// Small bodies are common: start with a buffer that fits a declared
	// length instead of a whole piece. Read one byte past the limit, to tell
	// "exactly the limit" from "over it".
	hint := 64 << 10
	if declared >= 0 {
		hint = int(declared) + 1
	}
	first, eof, err := readPiece(body, int(min(int64(s.opts.PieceSize), limit+1)), hint)
	switch {
	case err != nil:
		return nil, fmt.Errorf("read body: %w", err)
	case int64(len(first)) > limit:
		return nil, fmt.Errorf("body over %d bytes: %w", limit, over)
	case eof:
		up.inline, up.size = first, int64(len(first))
	default:
		if err := s.stage(ctx, up, first, body, limit, over); err != nil {
			if up.staged {
				s.dropUpload(ctx, up.id)
			}
			return nil, err
		}
	}
	if declared >= 0 && up.size != declared {
		if up.staged {
			s.dropUpload(ctx, up.id)
		}
		return nil, invalid("body is %d bytes, header says %d", up.size, declared)
	}
	return up, nil
}

// readPiece reads up to n bytes, growing its buffer from hint. eof reports
// that the reader ended within them.
func readPiece(r io.Reader, n, hint int) (buf []byte, eof bool, err error) {
	buf = make([]byte, 0, max(min(hint, n), 1))
	for len(buf) < n {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(cap(buf), n-len(buf)))
		}
		m, err := r.Read(buf[len(buf):min(cap(buf), n)])
		buf = buf[:len(buf)+m]
		if errors.Is(err, io.EOF) {
			return buf, true, nil
		}
		if err != nil {
			return nil, false, err
		}
	}
	return buf, false, nil
}

// readFull fills buf; eof reports that the reader ended first.
func readFull(r io.Reader, buf []byte) (n int, eof bool, err error) {
	n, err = io.ReadFull(r, buf)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return n, true, nil
	}
	return n, false, err
}

// stage writes a body that did not fit one piece. Two groups of piece
// buffers alternate: one is filled from the caller while the other commits.
// One byte over limit fails with over.
func (s *Store) stage(ctx context.Context, up *upload, first []byte, body io.Reader, limit int64, over error) error {
	ps, perTx := s.opts.PieceSize, s.opts.StageBytes/s.opts.PieceSize
	var bufs, pieces [2][][]byte
	bufs[0] = append(bufs[0], first[:cap(first)])
	pieces[0] = append(pieces[0], first)
	up.size = int64(len(first))
	var pending *request
	wait := func() error {
		if pending == nil {
			return nil
		}
		err := pending.wait()
		pending = nil
		if err != nil {
			return fmt.Errorf("stage body: %w", err)
		}
		return nil
	}
	next, eof := uint32(0), false
	for g := 0; ; g ^= 1 {
		for i := len(pieces[g]); i < perTx && !eof; i++ {
			if i == len(bufs[g]) {
				bufs[g] = append(bufs[g], make([]byte, ps))
			}
			n := int(min(int64(ps), limit-up.size+1))
			m, end, err := readFull(body, bufs[g][i][:n])
			if err != nil {
				return fmt.Errorf("read body: %w", err)
			}
			if up.size += int64(m); up.size > limit {
				return fmt.Errorf("body over %d bytes: %w", limit, over)
			}
			if m > 0 {
				pieces[g] = append(pieces[g], bufs[g][i][:m])
			}
			eof = end
		}
		// The other group's buffers are reused only after its commit.
		if err := wait(); err != nil {
			return err
		}
		pieces[g^1] = pieces[g^1][:0]
		if len(pieces[g]) > 0 {
			r := newRequest(ctx, len(pieces[g])*ps, s.stageFn(up.id, next, pieces[g], next == 0))
			if err := s.c.submit(r); err != nil {
				return fmt.Errorf("stage body: %w", err)
			}
			up.staged, pending = true, r
			next += uint32(len(pieces[g]))
		}
		if eof {
			return wait()
		}
	}
}

// stageFn writes pieces [from, from+len(pieces)) of a staged body; the first
// call opens the staging entry, later ones fail if Sweep gave up on it.
func (s *Store) stageFn(id bodyID, from uint32, pieces [][]byte, open bool) func(w *writeTx) error {
	return func(w *writeTx) error {
		if open {
			rec := stagingRec{Expires: time.Now().Add(s.opts.UploadLifetime)}
			if err := w.put(bStaging, key(id[:]), encodeStaging(rec)); err != nil {
				return err
			}
		} else if err := checkStaged(w.tx, id); err != nil {
			return err
		}
		for i, p := range pieces {
			if err := w.put(bBodies, key(id[:], u32(from+uint32(i))), p); err != nil {
				return err
			}
		}
		return nil
	}
}

// checkStaged fails unless the upload is staged and not being dropped.
func checkStaged(tx *bbolt.Tx, id bodyID) error {
	v := tx.Bucket(bStaging).Get(id[:])
	if v == nil {
		return fmt.Errorf("upload abandoned: %w", store.ErrNotFound)
	}
	rec, err := decodeStaging(v)
	if err != nil {
		return err
	}
	if rec.Expires.IsZero() {
		return fmt.Errorf("upload abandoned: %w", store.ErrNotFound)
	}
	return nil
}

// dropUpload removes a staged upload after a failed write. If that fails too
// (the store is closing), Sweep or the next Open removes it.
func (s *Store) dropUpload(ctx context.Context, id bodyID) {
	ctx = context.WithoutCancel(ctx)
	for {
		var more bool
		err := s.unlogged(ctx, size(), func(w *writeTx) (err error) {
			_, more, err = dropUploads(w, dropBudget, func(k []byte, _ stagingRec) bool { return string(k) == string(id[:]) })
			return err
		})
		if err != nil || !more {
			return
		}
	}
}

// dropBudget bounds the piece keys one transaction deletes.
const dropBudget = 4096

// dropUploads deletes the staged uploads that drop selects, deleting at most
// budget pieces; more reports that work is left. An upload being dropped is
// marked first (zero expiry), so that its uploader stops and an interrupted
// drop is finished by the next one.
func dropUploads(w *writeTx, budget int, drop func(id []byte, rec stagingRec) bool) (done int, more bool, err error) {
	type entry struct {
		id   []byte
		dead bool
	}
	var sel []entry
	c := w.tx.Bucket(bStaging).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		rec, err := decodeStaging(v)
		if err != nil {
			return 0, false, err
		}
		if rec.Expires.IsZero() || drop(k, rec) {
			sel = append(sel, entry{append([]byte(nil), k...), rec.Expires.IsZero()})
		}
	}
	for _, e := range sel {
		if !e.dead {
			if err := w.put(bStaging, e.id, encodeStaging(stagingRec{})); err != nil {
				return 0, false, err
			}
		}
	}
	for _, e := range sel {
		n, err := w.delPrefix(bBodies, e.id, budget)
		if err != nil {
			return 0, false, err
		}
		if budget -= n; budget <= 0 {
			return done, true, nil
		}
		if err := w.del(bStaging, e.id); err != nil {
			return 0, false, err
		}
		done++
	}
	return done, false, nil
}

// dropAllUploads runs at open: no upload survives its process.
func dropAllUploads(db *bbolt.DB) error {
	for {
		var more bool
		err := db.Update(func(tx *bbolt.Tx) (err error) {
			_, more, err = dropUploads(&writeTx{tx: tx}, dropBudget, func([]byte, stagingRec) bool { return true })
			return err
		})
		if err != nil {
			return fmt.Errorf("drop unfinished uploads: %w", err)
		}
		if !more {
			return nil
		}
	}
}

// deleteBody deletes every piece of a linked body.
func deleteBody(w *writeTx, id bodyID) error {
	_, err := w.delPrefix(bBodies, id[:], 0)
	return err
}

// bodyReader streams a byte range of a body, one piece at a time, each in its
// own short read transaction: a slow reader never holds a transaction open
// (which would keep bbolt from reusing freed pages or remapping the file).
type bodyReader struct {
	s         *Store
	ctx       context.Context
	id        bodyID
	size      int64
	pieceSize int64
	pos, end  int64
	buf       []byte
	closed    bool
}

// piece runs fn on the stored piece holding r.pos, from that offset on.
func (r *bodyReader) piece(fn func(p []byte)) error {
	if r.closed {
		return fmt.Errorf("read body: %w", store.ErrClosed)
	}
	idx := r.pos / r.pieceSize
	want := min(r.pieceSize, r.size-idx*r.pieceSize)
	return r.s.view(r.ctx, func(tx *bbolt.Tx) error {
		v := tx.Bucket(bBodies).Get(key(r.id[:], u32(uint32(idx))))
		if v == nil {
			return fmt.Errorf("body piece %d: %w", idx, store.ErrNotFound)
		}
		if int64(len(v)) != want {
			return fmt.Errorf("body piece %d is %d bytes, want %d: %w", idx, len(v), want, errCorrupt)
		}
		off := r.pos - idx*r.pieceSize
		fn(v[off:min(want, off+r.end-r.pos)])
		return nil
	})
}

func (r *bodyReader) Read(p []byte) (int, error) {
	if r.pos >= r.end {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	var n int
	if err := r.piece(func(v []byte) { n = copy(p, v) }); err != nil {
		return 0, err
	}
	r.pos += int64(n)
	return n, nil
}

// WriteTo copies piece by piece through one buffer, so that io.Copy moves a
// piece per transaction and writes to w outside it.
func (r *bodyReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for r.pos < r.end {
		if r.buf == nil {
			r.buf = make([]byte, 0, min(r.pieceSize, r.end-r.pos))
		}
		err := r.piece(func(v []byte) { r.buf = append(r.buf[:0], v...) })
		if err != nil {
			return total, err
		}
		n, err := w.Write(r.buf)
		total += int64(n)
		r.pos += int64(n)
		if err != nil {
			return total, err
		}
		if n != len(r.buf) {
			return total, io.ErrShortWrite
		}
	}
	return total, nil
}

func (r *bodyReader) Close() error {
	r.closed = true
	r.buf = nil
	return nil
}
