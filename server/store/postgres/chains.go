package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/server/store/internal/check"
)

func (s *Store) AppendChain(ctx context.Context, entries ...store.ChainEntry) error {
	if err := check.Append(entries); err != nil {
		return fmt.Errorf("append chain: %w", err)
	}
	return s.writePlanned(ctx, "append chain", func(ctx context.Context, q stmts) error { return appendChain(ctx, q, entries) })
}

// appendChain appends entries, each extending its account's chain by one,
// in order. The conditional update of the account's chain_seq is the
// compare-and-swap: it locks the account row, and a concurrent append that
// got there first makes it match nothing. The same statement reads the
// chain's seq as it was, for the error (NULL: no such account).
func appendChain(ctx context.Context, q stmts, entries []store.ChainEntry) error {
	for _, e := range entries {
		err := q.row(ctx, func(row pgx.Row) error {
			var appended bool
			var cur *int64
			if err := row.Scan(&appended, &cur); err != nil {
				return err
			}
			switch {
			case appended:
				return nil
			case cur == nil:
				return fmt.Errorf("chain: account %s: %w", e.Account, store.ErrNotFound)
			}
			return fmt.Errorf("chain of %s at seq %d, entry has %d: %w", e.Account, *cur, e.Seq, store.ErrConflict)
		}, `WITH a AS (UPDATE accounts SET chain_seq = $2 WHERE id = $1 AND chain_seq = $2 - 1 RETURNING id),
			i AS (INSERT INTO chains (account, seq, entry) SELECT id, $2, $3 FROM a RETURNING 1)
			SELECT EXISTS (SELECT 1 FROM i), (SELECT chain_seq FROM accounts WHERE id = $1)`, e.Account[:], int64(e.Seq), e.Entry)
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) Chain(ctx context.Context, id store.AccountID, from uint64, limit int) ([]store.ChainEntry, error) {
	if limit <= 0 || limit > store.MaxList {
		limit = store.MaxList
	}
	var es []store.ChainEntry
	err := s.read(ctx, "chain", func(tx pgx.Tx) error {
		if err := accountExists(ctx, tx, id); err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, `SELECT seq, entry FROM chains WHERE account = $1 AND seq >= $2 ORDER BY seq LIMIT $3`,
			id[:], int64(min(from, 1<<63-1)), limit)
		var err error
		es, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.ChainEntry, error) {
			e := store.ChainEntry{Account: id}
			var seq int64
			err := r.Scan(&seq, &e.Entry)
			e.Seq = uint64(seq)
			return e, err
		})
		return err
	})
	return es, err
}
