package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/blindvault/blindvault/server/store"
)

// The log's entries are rows keyed by index and its tree's stored hashes
// rows keyed by tlog storage index. One row, log_head, holds the size: a
// write locks it (FOR UPDATE) as its last step before COMMIT, so that the
// writes of every process append to one sequence and one tree, in commit
// order, and a write and its entries commit together or not at all.

// appendLog appends entries and their tree hashes in tx and returns the
// index of the first. It holds log_head's lock until tx ends.
func appendLog(ctx context.Context, tx pgx.Tx, entries [][]byte) (int64, error) {
	var first int64
	if err := tx.QueryRow(ctx, `SELECT size FROM log_head FOR UPDATE`).Scan(&first); err != nil {
		return 0, fmt.Errorf("log head: %w", err)
	}
	hr := &txHashes{ctx: ctx, q: tx, fresh: map[int64]tlog.Hash{}}
	var idx, hidx []int64
	var data, hashes [][]byte
	for i, e := range entries {
		n := first + int64(i)
		hs, err := tlog.StoredHashes(n, e, hr)
		if err != nil {
			return 0, err
		}
		base := tlog.StoredHashIndex(0, n)
		for j, h := range hs {
			hr.fresh[base+int64(j)] = h
			hidx = append(hidx, base+int64(j))
			hashes = append(hashes, h[:])
		}
		idx, data = append(idx, n), append(data, e)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO log_entries (idx, entry) SELECT * FROM unnest($1::bigint[], $2::bytea[])`, idx, data); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO log_hashes (idx, hash) SELECT * FROM unnest($1::bigint[], $2::bytea[])`, hidx, hashes); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `UPDATE log_head SET size = $1`, first+int64(len(entries))); err != nil {
		return 0, err
	}
	return first, nil
}

// txHashes reads stored hashes in a transaction; fresh holds the ones this
// append computed and has not written yet.
type txHashes struct {
	ctx   context.Context
	q     querier
	fresh map[int64]tlog.Hash
}

func (h *txHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var ask []int64
	for i, x := range indexes {
		if v, ok := h.fresh[x]; ok {
			out[i] = v
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
		if _, ok := h.fresh[x]; ok {
			continue
		}
		v, ok := got[x]
		if !ok || len(v) != tlog.HashSize {
			return nil, fmt.Errorf("log hash %d missing: %w", x, errCorrupt)
		}
		out[i] = tlog.Hash(v)
	}
	return out, nil
}

// AppendLog implements store.Log.
func (s *Store) AppendLog(ctx context.Context, entries ...[]byte) (int64, error) {
	b := &store.LogBatch{Entries: entries}
	err := s.writeLog(ctx, "append log", b, func(pgx.Tx) error { return nil })
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

// LogView implements store.Log: the size and the hashes come from one
// repeatable-read snapshot.
func (s *Store) LogView(ctx context.Context, fn func(size int64, hashes tlog.HashReader) error) error {
	leave, err := s.enter(ctx)
	if err != nil {
		return fmt.Errorf("log view: %w", err)
	}
	defer leave()
	// fn's own errors come back as they are: the server answers with them.
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var size int64
		if err := tx.QueryRow(ctx, `SELECT size FROM log_head`).Scan(&size); err != nil {
			return fmt.Errorf("log view: %w", err)
		}
		return fn(size, &txHashes{ctx: ctx, q: tx})
	})
}
