package postgres

import (
	"context"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/blindvault/blindvault/server/store"
)

// The log's entries are rows keyed by index and its tree's stored hashes
// rows keyed by tlog storage index. One row, log_head, holds the size and
// the tree's right edge at that size (logEdge.bytes): a write locks it (its
// UPDATE) as its last step before COMMIT, so that the writes of every
// process append to one sequence and one tree, in commit order, and a write
// and its entries commit together or not at all.

// appendLog appends entries and their tree hashes in tx and returns the
// index of the first. Its update of log_head takes the row's lock, held
// until tx ends: appends of all processes are one sequence. What the
// Store keeps of the append (the tree's right edge at the new size, the
// hashes written) comes back for the caller to hand to s.commit. The
// caller holds s.logMu from before appendLog until after s.commit.
//
// If the Store knows the tree's right edge at some size (its own last
// append), it predicts that the log still has that size: the entries'
// hashes are computed at it before the first statement is sent, and that
// statement inserts them if the size was right. Either way the statement
// moves the size on and returns the old size and the edge at it; if the
// prediction was wrong (another process appended) or not made, a second
// statement inserts the rows computed from that edge. So an append is one
// round trip while one process appends, and two while processes take
// turns, never a read of the hashes (unless the edge in log_head is unset:
// after Import or Restore, or the migration to schema 8).
func (s *Store) appendLog(ctx context.Context, tx pgx.Tx, entries [][]byte) (int64, *logAppend, error) {
	predicted, known, ok := s.edge.current()
	a := &logAppend{}
	var sent [][]byte // the entries, when predicted
	if ok {
		var err error
		if a, err = s.logRows(ctx, tx, predicted, known, entries); err != nil {
			return 0, nil, err
		}
		sent = entries
	} else {
		predicted = -1
	}
	var first int64
	var edge []byte
	err := tx.QueryRow(ctx, `WITH u AS (
			UPDATE log_head SET size = size + $1, edge = CASE WHEN size = $2 THEN $7 ELSE edge END
			RETURNING size - $1 AS first, edge),
		e AS (INSERT INTO log_entries (idx, entry) SELECT * FROM unnest($3::bigint[], $4::bytea[]) WHERE (SELECT first FROM u) = $2),
		h AS (INSERT INTO log_hashes (idx, hash) SELECT * FROM unnest($5::bigint[], $6::bytea[]) WHERE (SELECT first FROM u) = $2)
		SELECT first, edge FROM u`,
		len(entries), predicted, a.entryIdx, sent, a.idx, a.hashes, a.edge.bytes()).Scan(&first, &edge)
	if err != nil {
		return 0, nil, fmt.Errorf("log append: %w", err)
	}
	if first == predicted {
		s.predicted.Add(1)
		return first, a, nil
	}
	known = parseEdge(first, edge)
	if known == nil {
		s.edgeReads.Add(1)
		known = map[int64]tlog.Hash{}
	}
	// The edge is of a committed tree, and it is what the receipts of
	// these entries prove inclusion with (beside the hashes appended):
	// kept, they read no hash of another process's appends.
	for x, h := range known {
		s.hashes.put(x, h)
	}
	if a, err = s.logRows(ctx, tx, first, known, entries); err != nil {
		return 0, nil, err
	}
	_, err = tx.Exec(ctx, `WITH e AS (INSERT INTO log_entries (idx, entry) SELECT * FROM unnest($1::bigint[], $2::bytea[])),
		h AS (INSERT INTO log_hashes (idx, hash) SELECT * FROM unnest($3::bigint[], $4::bytea[]))
		UPDATE log_head SET edge = $5`, a.entryIdx, entries, a.idx, a.hashes, a.edge.bytes())
	if err != nil {
		return 0, nil, fmt.Errorf("log append: %w", err)
	}
	return first, a, nil
}

// logRows computes the rows of entries appended at first: their indexes
// and their stored hashes, with those of known (which it adds to) and
// others read through q and the Store's cache.
func (s *Store) logRows(ctx context.Context, q querier, first int64, known map[int64]tlog.Hash, entries [][]byte) (*logAppend, error) {
	hr := &txHashes{ctx: ctx, q: q, known: known, cache: &s.hashes}
	// The right edge at first is all that appending reads: what known
	// lacks of it, read at once (from the cache, or in one query), so
	// that the edge after is known too.
	var missing []int64
	for _, x := range edgeIndexes(first) {
		if _, ok := known[x]; !ok {
			missing = append(missing, x)
		}
	}
	if len(missing) > 0 {
		if _, err := hr.ReadHashes(missing); err != nil {
			return nil, err
		}
	}
	a := &logAppend{}
	for i, e := range entries {
		n := first + int64(i)
		hs, err := tlog.StoredHashes(n, e, hr)
		if err != nil {
			return nil, err
		}
		base := tlog.StoredHashIndex(0, n)
		for j, h := range hs {
			hr.known[base+int64(j)] = h
			a.idx = append(a.idx, base+int64(j))
			a.hashes = append(a.hashes, h[:])
		}
		a.entryIdx = append(a.entryIdx, n)
	}
	a.edge = newLogEdge(first+int64(len(entries)), hr.known, &s.hashes)
	return a, nil
}

// logAppend is what an append leaves for its transaction's commit to keep:
// the tree's right edge after it (nil if not all known), and the stored
// hashes it wrote (hashes[i] at idx[i]), which the receipts of its entries
// then read from the Store's cache, not the database.
type logAppend struct {
	edge     *logEdge
	idx      []int64
	hashes   [][]byte
	entryIdx []int64 // the entries' indexes
}

// A logEdge is the stored hashes of the complete subtrees on the right edge
// of the tree of a size: all that appending at that size reads
// (tlog.StoredHashes). The Store keeps the edge of its last committed
// append, so that its next append, if no other process appended in
// between, reads no hash from the database. Stored hashes never change once
// committed, so an edge is never stale: it is for one size or none.
type logEdge struct {
	size   int64
	hashes map[int64]tlog.Hash
}

// newLogEdge takes the edge of the tree of size n from known, or else
// from cache; nil if a hash of it is missing.
func newLogEdge(n int64, known map[int64]tlog.Hash, cache *hashCache) *logEdge {
	e := &logEdge{size: n, hashes: map[int64]tlog.Hash{}}
	for _, x := range edgeIndexes(n) {
		h, ok := known[x]
		if !ok {
			if h, ok = cache.get(x); !ok {
				return nil
			}
		}
		e.hashes[x] = h
	}
	return e
}

// bytes is the edge as log_head keeps it: its hashes in the order of
// edgeIndexes, concatenated; nil (NULL: not known) for a nil edge.
func (e *logEdge) bytes() []byte {
	if e == nil {
		return nil
	}
	xs := edgeIndexes(e.size)
	b := make([]byte, 0, len(xs)*tlog.HashSize)
	for _, x := range xs {
		h := e.hashes[x]
		b = append(b, h[:]...)
	}
	return b
}

// parseEdge reads the edge of the tree of size n from log_head's bytes;
// nil if they are not the right length (NULL: not known).
func parseEdge(n int64, b []byte) map[int64]tlog.Hash {
	xs := edgeIndexes(n)
	if len(b) != len(xs)*tlog.HashSize {
		return nil
	}
	known := make(map[int64]tlog.Hash, len(xs))
	for i, x := range xs {
		known[x] = tlog.Hash(b[i*tlog.HashSize : (i+1)*tlog.HashSize])
	}
	return known
}

// edgeIndexes are the stored-hash indexes of the complete subtrees on the
// right edge of the tree of size n.
func edgeIndexes(n int64) []int64 {
	var xs []int64
	for l := 0; n>>l > 0; l++ {
		if (n>>l)&1 == 1 {
			xs = append(xs, tlog.StoredHashIndex(l, n>>l-1))
		}
	}
	return xs
}

// edgeCache holds the edge of a Store's last committed append.
type edgeCache struct {
	mu   sync.Mutex
	edge *logEdge
}

// set keeps e, the edge of an append that committed (nil forgets).
func (c *edgeCache) set(e *logEdge) {
	c.mu.Lock()
	c.edge = e
	c.mu.Unlock()
}

// current returns the size of the cached edge and a copy of its hashes;
// false if none is cached.
func (c *edgeCache) current() (int64, map[int64]tlog.Hash, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.edge == nil {
		return 0, nil, false
	}
	known := make(map[int64]tlog.Hash, len(c.edge.hashes))
	for x, h := range c.edge.hashes {
		known[x] = h
	}
	return c.edge.size, known, true
}

// txHashes reads stored hashes; known holds those already known: the ones
// this append computed and has not written yet, those it read and those of
// the cached edge. It may be nil. cache, if set, holds committed hashes.
type txHashes struct {
	ctx   context.Context
	q     querier
	known map[int64]tlog.Hash
	cache *hashCache
}

// hashCache keeps stored hashes read from the database. A stored hash is
// written once, by the transaction that appends its entry, and never
// changes, so a hash read once may be used ever after (Restore and Import,
// which replace the log, empty the cache; restoring a database under a
// running server is not supported). It is bounded: once full, it starts
// again.
type hashCache struct {
	mu sync.Mutex
	m  map[int64]tlog.Hash
}

// maxCachedHashes bounds a hashCache: 32 bytes each, ~2 MiB in all.
const maxCachedHashes = 1 << 16

func (c *hashCache) get(x int64) (tlog.Hash, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.m[x]
	return h, ok
}

func (c *hashCache) put(x int64, h tlog.Hash) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedHashes {
		c.m = map[int64]tlog.Hash{}
	}
	c.m[x] = h
}

// forgetLog empties what the Store cached of the log, which Restore and
// Import replace.
func (s *Store) forgetLog() {
	s.hashes.reset()
	s.edge.set(nil)
}

func (c *hashCache) reset() {
	c.mu.Lock()
	c.m = nil
	c.mu.Unlock()
}

func (h *txHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var ask []int64
	have := make([]bool, len(indexes))
	for i, x := range indexes {
		if v, ok := h.known[x]; ok {
			out[i], have[i] = v, true
		} else if v, ok := h.cached(x); ok {
			out[i], have[i] = v, true
			if h.known != nil {
				h.known[x] = v // the edge after an append is taken from known
			}
		} else {
			ask = append(ask, x)
		}
	}
	if len(ask) == 0 {
		return out, nil
	}
	rows, _ := h.q.Query(h.ctx, `SELECT idx, hash FROM log_hashes WHERE idx = ANY($1)`, ask)
	got := map[int64][]byte{}
	var x int64
	var v []byte
	_, err := pgx.ForEachRow(rows, []any{&x, &v}, func() error {
		got[x] = v
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("log hashes: %w", err)
	}
	for i, x := range indexes {
		if have[i] {
			continue
		}
		v, ok := got[x]
		if !ok || len(v) != tlog.HashSize {
			return nil, fmt.Errorf("log hash %d missing: %w", x, errCorrupt)
		}
		out[i] = tlog.Hash(v)
		if h.known != nil {
			h.known[x] = out[i]
		}
		if h.cache != nil {
			h.cache.put(x, out[i])
		}
	}
	return out, nil
}

func (h *txHashes) cached(x int64) (tlog.Hash, bool) {
	if h.cache == nil {
		return tlog.Hash{}, false
	}
	return h.cache.get(x)
}

// AppendLog implements store.Log.
func (s *Store) AppendLog(ctx context.Context, entries ...[]byte) (int64, error) {
	b := &store.LogBatch{Entries: entries}
	err := s.writeLog(ctx, "append log", &request{plan: func(context.Context, stmts) error { return nil }, log: b})
	return b.First, err
}

// LogEntries implements store.Log.
func (s *Store) LogEntries(ctx context.Context, from int64, n int) ([][]byte, error) {
	if from < 0 {
		return nil, fmt.Errorf("log index %d: %w", from, store.ErrInvalid)
	}
	if n <= 0 || n > store.MaxList {
		n = store.MaxList
	}
	return get(ctx, s, "log entries", func(q querier) ([][]byte, error) {
		rows, _ := q.Query(ctx, `SELECT entry FROM log_entries WHERE idx >= $1 ORDER BY idx LIMIT $2`, from, n)
		return pgx.CollectRows(rows, pgx.RowTo[[]byte])
	})
}

// LogView implements store.Log. It needs no snapshot: the size is read
// once, and every hash of the tree of that size was committed with or
// before it and never changes, so it is read outside any transaction, from
// the cache where it was read before.
func (s *Store) LogView(ctx context.Context, fn func(size int64, hashes tlog.HashReader) error) error {
	leave, err := s.enter(ctx)
	if err != nil {
		return fmt.Errorf("log view: %w", err)
	}
	defer leave()
	var size int64
	if err := s.pool.QueryRow(ctx, `SELECT size FROM log_head`).Scan(&size); err != nil {
		return fmt.Errorf("log view: %w", mapErr(err))
	}
	// fn's own errors come back as they are: the server answers with them.
	return fn(size, &txHashes{ctx: ctx, q: s.pool, cache: &s.hashes})
}

// LogViewAt implements store.Log: LogView without reading the size. A
// size past the log's end fails when fn reads a hash the log lacks.
func (s *Store) LogViewAt(ctx context.Context, size int64, fn func(size int64, hashes tlog.HashReader) error) error {
	if size < 0 {
		return fmt.Errorf("log view at %d: %w", size, store.ErrInvalid)
	}
	leave, err := s.enter(ctx)
	if err != nil {
		return fmt.Errorf("log view: %w", err)
	}
	defer leave()
	return fn(size, &txHashes{ctx: ctx, q: s.pool, cache: &s.hashes})
}
