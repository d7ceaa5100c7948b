package bolt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/blindvault/blindvault/server/store"
)

var _ store.Store = (*Store)(nil)

// Options tune a Store. The zero value gives the defaults.
type Options struct {
	// MaxBodySize is the largest body PutVersion accepts. Default 1 GiB.
	MaxBodySize int64
	// PieceSize is the size of the values a body is cut into. Default 1 MiB.
	PieceSize int
	// StageBytes is how much of a body one staging transaction writes; an
	// upload holds at most twice this in memory. Default 4 MiB.
	StageBytes int
	// BatchBytes bounds what one group commit writes, so that a
	// transaction's dirty pages stay bounded in memory. Default 16 MiB.
	BatchBytes int
	// UploadLifetime is how long a body may take to upload before Sweep
	// treats it as abandoned. Default 24 hours.
	UploadLifetime time.Duration
	// MmapSize is the initial size of bbolt's memory map. bbolt grows the
	// map by waiting for every read transaction to end, so a mapping larger
	// than the file keeps a long Snapshot from stalling writers. Default
	// 1 GiB of address space (not memory).
	MmapSize int
}

func (o *Options) withDefaults() Options {
	var r Options
	if o != nil {
		r = *o
	}
	if r.MaxBodySize <= 0 {
		r.MaxBodySize = 1 << 30
	}
	if r.PieceSize <= 0 {
		r.PieceSize = 1 << 20
	}
	if r.StageBytes < r.PieceSize {
		r.StageBytes = max(4<<20, r.PieceSize)
	}
	if r.BatchBytes < r.StageBytes {
		r.BatchBytes = max(16<<20, r.StageBytes)
	}
	if r.UploadLifetime <= 0 {
		r.UploadLifetime = 24 * time.Hour
	}
	if r.MmapSize <= 0 {
		r.MmapSize = 1 << 30
	}
	return r
}

// Store is the bbolt implementation of store.Store. One process at a time may
// open a file.
type Store struct {
	path string
	opts Options
	c    *committer

	// mu guards db: every read holds it shared; compaction and restore hold
	// it exclusively while they swap the file. The committer goroutine is the
	// only one that writes db.
	mu sync.RWMutex
	db *bbolt.DB

	restoreMu sync.Mutex // one restore at a time: they share a temporary file
}

// Open opens or creates the store file at path (mode 0600). Uploads that a
// previous process left unfinished are removed, and so are the temporary
// files of an interrupted compaction or restore.
func Open(path string, opts *Options) (*Store, error) {
	s := &Store{path: path, opts: opts.withDefaults()}
	for _, tmp := range []string{s.compactPath(), s.restorePath()} {
		if err := os.Remove(tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("open: %w", err)
		}
	}
	db, err := s.openDB(path, true)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	s.db = db
	s.c = newCommitter(s.beginWrite, s.opts.BatchBytes)
	return s, nil
}

func (s *Store) boltOptions() *bbolt.Options {
	return &bbolt.Options{
		Timeout: time.Second, // another process holds the file
		// The freelist is rebuilt on open instead of written on every
		// commit: after a large delete it would otherwise add megabytes
		// to each small commit.
		NoFreelistSync:  true,
		FreelistType:    bbolt.FreelistMapType,
		InitialMmapSize: s.opts.MmapSize,
	}
}

// openDB opens a bbolt file and checks or creates the schema. dropUploads
// removes unfinished uploads: right for a file no process is writing to, but
// not after a compaction, whose uploads are still streaming in.
func (s *Store) openDB(path string, dropUploads bool) (*bbolt.DB, error) {
	db, err := bbolt.Open(path, 0o600, s.boltOptions())
	if err != nil {
		return nil, err
	}
	if err := prepareSchema(db); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	if !dropUploads {
		return db, nil
	}
	if err := dropAllUploads(db); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return db, nil
}

func (s *Store) compactPath() string { return s.path + ".compact" }
func (s *Store) restorePath() string { return s.path + ".restore" }

// beginWrite is called only on the committer goroutine, which is also the
// only writer of s.db, so it needs no lock.
func (s *Store) beginWrite() (*bbolt.Tx, error) {
	if s.db == nil {
		return nil, store.ErrClosed
	}
	return s.db.Begin(true)
}

// view runs fn in a read transaction.
func (s *Store) view(ctx context.Context, fn func(tx *bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.db == nil {
		return store.ErrClosed
	}
	return s.db.View(fn)
}

// read runs fn in a read transaction and returns its result, an error
// wrapped with what.
func read[T any](ctx context.Context, s *Store, what string, fn func(tx *bbolt.Tx) (T, error)) (T, error) {
	var out T
	err := s.view(ctx, func(tx *bbolt.Tx) (err error) {
		out, err = fn(tx)
		return err
	})
	if err != nil {
		var zero T
		return zero, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// update runs fn, the change a write method makes, in the next group commit
// and returns once it is durable; the log entries ctx carries (WithLog)
// commit with it. size estimates the bytes fn writes. Work that is not the
// change itself (staging a body's pieces, dropping an upload) goes through
// unlogged instead.
func (s *Store) update(ctx context.Context, size int, fn func(w *writeTx) error) error {
	r := newRequest(ctx, size, fn)
	r.log = store.LogBatchFrom(ctx)
	return s.run(r)
}

// unlogged runs fn like update, with no log entries whatever ctx carries.
func (s *Store) unlogged(ctx context.Context, size int, fn func(w *writeTx) error) error {
	return s.run(newRequest(ctx, size, fn))
}

func (s *Store) run(r *request) error {
	if err := r.ctx.Err(); err != nil {
		return err
	}
	return s.c.do(r)
}

// Close waits for queued writes and closes the file. Open body readers fail
// afterwards.
func (s *Store) Close() error {
	s.c.close()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.db == nil {
		return nil
	}
	err := s.db.Close()
	s.db = nil
	if err != nil {
		return fmt.Errorf("close: %w", err)
	}
	return nil
}

// CommitStats reports, since Open, how well concurrent writes share commits
// and how busy the one goroutine that commits them is: near 100% busy, the
// disk's cost of a commit, mostly its page writes (copy on write: every node a
// change touched, and its parents, written to a new place), bounds the write
// rate.
func (s *Store) CommitStats() store.CommitStats {
	return store.CommitStats{
		Commits:    s.c.commits.Load(),
		Writes:     s.c.writes.Load(),
		PageWrites: s.c.pageWrites.Load(),
		Busy:       time.Duration(s.c.busy.Load()),
		Committers: 1,
	}
}
