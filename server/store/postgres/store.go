package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/server/store/blob"
)

var _ store.Store = (*Store)(nil)

// Options tune a Store. The zero value gives the defaults.
type Options struct {
	// MaxBodySize is the largest body PutVersion accepts. Default 1 GiB.
	MaxBodySize int64
	// Blobs, if set, keeps bodies (all but the inline ones) out of the
	// database, in an S3-compatible bucket for instance; nil keeps them in
	// the database as bytea chunks.
	Blobs blob.Store
	// InlineMax is the largest body kept in the database even with Blobs
	// set, written in the version's own transaction. Default 0 with Blobs
	// (every body in the bucket), ChunkSize without.
	InlineMax int64
	// ChunkSize is the size of the bytea chunks of a body kept in the
	// database. Default 1 MiB.
	ChunkSize int
	// UploadLifetime is how long a body may take to upload before Sweep
	// treats it as abandoned. Default 24 hours.
	UploadLifetime time.Duration
	// MaxConns bounds the connection pool. Default: pool_max_conns if the
	// connection string sets it, else 8. PostgreSQL spends CPU on each
	// backend a pool keeps busy (a process each, faulting in the shared
	// buffers it touches), so a few connections per core of the database
	// serve more writes than many: docs/benchmarks.md measured 8 against
	// 32 on two cores.
	MaxConns int32
	// Committers is how many group commits of this Store may run at
	// once, each on a connection of its own. Default 2: logged writes take
	// turns at one lock, but only for the log's two statements and the
	// commit, so one batch's pipeline runs while the other commits
	// (docs/benchmarks.md: 1.25 – 1.37× one committer's rate at 64
	// writers). More may help where each round trip is long; servers
	// that share one database should share its committers, as every
	// committer's batch takes a turn at the log's lock (serve
	// --store-committers, docs/operations.md).
	Committers int
}

func (o *Options) withDefaults() Options {
	var r Options
	if o != nil {
		r = *o
	}
	if r.MaxBodySize <= 0 {
		r.MaxBodySize = 1 << 30
	}
	if r.ChunkSize <= 0 {
		r.ChunkSize = 1 << 20
	}
	if r.Blobs == nil || r.InlineMax > int64(r.ChunkSize) {
		r.InlineMax = int64(r.ChunkSize)
	}
	if r.UploadLifetime <= 0 {
		r.UploadLifetime = 24 * time.Hour
	}
	if r.Committers <= 0 {
		r.Committers = 2
	}
	return r
}

// defaultMaxConns is Options.MaxConns' default.
const defaultMaxConns = 8

// Store is the PostgreSQL implementation of store.Store. Any number of
// processes may open one database at once.
type Store struct {
	pool  *pgxpool.Pool
	opts  Options
	blobs blob.Store // where bodies outside the database go; nil if none
	c     *committer
	edge  edgeCache // the log's right edge after this Store's last append
	// logMu orders this Store's appends from the log's update to the
	// commit, as log_head's row lock orders them in the database anyway:
	// so its cached edge is the size its next append finds, unless
	// another process appended (log.go).
	logMu sync.Mutex
	// predicted counts appends made in one statement, edgeReads those
	// that read the edge's hashes from log_hashes (log.go).
	predicted atomic.Uint64
	edgeReads atomic.Uint64
	hashes    hashCache // stored hashes read so far
	closed    atomic.Bool
	// mu is held shared by every call in flight and exclusively by Close,
	// which so waits for them.
	mu sync.RWMutex
}

// Open connects to the database at url (postgres://…), creating or
// migrating its schema.
func Open(ctx context.Context, url string, opts *Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	o := opts.withDefaults()
	switch {
	case o.MaxConns > 0:
		cfg.MaxConns = o.MaxConns
	case !strings.Contains(url, "pool_max_conns"):
		cfg.MaxConns = defaultMaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("open: %w", err)
	}
	err = migrate(ctx, conn.Conn())
	conn.Release()
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("open: schema: %w", err)
	}
	s := &Store{pool: pool, opts: o, blobs: o.Blobs}
	s.c = newCommitter(s, o.Committers)
	return s, nil
}

// CommitStats reports, since Open, how many transactions the group commits
// ran (Commits), how many writes they carried (Writes) and how long they
// took (Busy, summed over the Committers). PageWrites is not counted.
func (s *Store) CommitStats() store.CommitStats {
	return store.CommitStats{
		Commits:    s.c.commits.Load(),
		Writes:     s.c.writes.Load(),
		Busy:       time.Duration(s.c.busy.Load()),
		Committers: s.opts.Committers,
	}
}

// Close waits for calls in flight and closes the connections. Open body
// readers fail afterwards.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.mu.Lock()
	s.c.close()
	s.pool.Close()
	s.mu.Unlock()
	return nil
}

// enter marks a call in flight; it fails once the store is closed.
func (s *Store) enter(ctx context.Context) (func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	if s.closed.Load() {
		s.mu.RUnlock()
		return nil, store.ErrClosed
	}
	return s.mu.RUnlock, nil
}

// querier is what both a pool and a transaction offer.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// maxAttempts bounds how often a transaction that lost a serialization
// conflict or a deadlock is run again.
const maxAttempts = 8

// write runs fn in a read-committed transaction and commits it, with the
// log entries ctx carries (store.WithLog) appended last, so that the change
// and its entries commit together. Compare-and-swap happens in fn, under
// row locks. fn runs in the next group commit (commit.go), under a context
// of its own: it must use that one, not the caller's.
func (s *Store) write(ctx context.Context, what string, fn func(ctx context.Context, tx pgx.Tx) error) error {
	return s.writeLog(ctx, what, &request{fn: fn, log: store.LogBatchFrom(ctx)})
}

// writePlanned is write for a write whose statements can be pipelined
// (stmts.go): plan queues them, with the checks of their results.
func (s *Store) writePlanned(ctx context.Context, what string, plan func(ctx context.Context, q stmts) error) error {
	return s.writeLog(ctx, what, &request{plan: plan, log: store.LogBatchFrom(ctx)})
}

// writeLog runs r, its fn or its plan, in the next group commit, with the
// log entries of r.log.
func (s *Store) writeLog(ctx context.Context, what string, r *request) error {
	leave, err := s.enter(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer leave()
	if err := s.c.do(ctx, r); err != nil {
		return fmt.Errorf("%s: %w", what, mapErr(err))
	}
	return nil
}

// unlogged runs fn in a transaction of its own, not in a group commit, with
// no log entries whatever ctx carries: for work that is not a change a
// client sees (staging a body, sweeping), or that is long.
func (s *Store) unlogged(ctx context.Context, what string, fn func(ctx context.Context, tx pgx.Tx) error) error {
	leave, err := s.enter(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer leave()
	if err := s.direct(ctx, nil, fn); err != nil {
		return fmt.Errorf("%s: %w", what, mapErr(err))
	}
	return nil
}

// direct runs fn and appends b's entries in one transaction of its own,
// again after a deadlock or serialization failure.
func (s *Store) direct(ctx context.Context, b *store.LogBatch, fn func(ctx context.Context, tx pgx.Tx) error) error {
	var err error
	for attempt := 1; ; attempt++ {
		err = s.tryWrite(ctx, b, fn)
		if err == nil || !retryable(err) || attempt == maxAttempts {
			return err
		}
	}
}

func (s *Store) tryWrite(ctx context.Context, b *store.LogBatch, fn func(ctx context.Context, tx pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := fn(ctx, tx); err != nil {
		return err
	}
	var appended *logAppend
	if b != nil && len(b.Entries) > 0 {
		s.logMu.Lock()
		defer s.logMu.Unlock()
		first, a, err := s.appendLog(ctx, tx, b.Entries)
		if err != nil {
			return err
		}
		b.First, b.Size, appended = first, first+int64(len(b.Entries)), a
	}
	return s.commit(ctx, tx, appended)
}

// commit commits tx; if it appended to the log (a), the tree's right edge
// after it and the hashes it wrote are kept once the commit is known to
// have happened.
func (s *Store) commit(ctx context.Context, tx pgx.Tx, a *logAppend) error {
	err := tx.Commit(ctx)
	if a == nil {
		return err
	}
	if err != nil {
		s.edge.set(nil) // committed or not: not known
		return err
	}
	for i, x := range a.idx {
		s.hashes.put(x, tlog.Hash(a.hashes[i]))
	}
	s.edge.set(a.edge)
	return nil
}

// read runs fn in a read-only repeatable-read transaction: one snapshot.
func (s *Store) read(ctx context.Context, what string, fn func(tx pgx.Tx) error) error {
	leave, err := s.enter(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer leave()
	err = pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
	if err != nil {
		return fmt.Errorf("%s: %w", what, mapErr(err))
	}
	return nil
}

// get runs one query through fn outside any explicit transaction.
func get[T any](ctx context.Context, s *Store, what string, fn func(q querier) (T, error)) (T, error) {
	var zero T
	leave, err := s.enter(ctx)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", what, err)
	}
	defer leave()
	v, err := fn(s.pool)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", what, mapErr(err))
	}
	return v, nil
}

// retryable reports a transaction that lost a race Postgres detected.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// mapErr turns "no rows" and a foreign-key violation into store.ErrNotFound,
// a unique violation into store.ErrExists, and a lost connection or a
// server restarting (or an unreachable blob store) into
// store.ErrUnavailable: the write did not happen, or, if the connection
// broke during COMMIT, may have; the caller retries either way and a
// compare-and-swap write then tells which. Other errors pass through.
func mapErr(err error) error {
	var pe *pgconn.PgError
	switch {
	case err == nil, errors.Is(err, store.ErrUnavailable):
		return err
	case unavailable(err):
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("%w", store.ErrNotFound)
	case errors.As(err, &pe) && pe.Code == "23505":
		return fmt.Errorf("%s: %w", pe.ConstraintName, store.ErrExists)
	case errors.As(err, &pe) && pe.Code == "23503": // a foreign key: an unknown account
		return fmt.Errorf("%s: %w", pe.ConstraintName, store.ErrNotFound)
	}
	return err
}
