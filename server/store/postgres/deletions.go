package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/server/store/internal/check"
)

// Account deletions (store.AccountDeletions). A deletion is a row of
// account_deletions, kept after the purge as the account's tombstone.

// ownedRecords selects the records the account $1 owns, tombstones included.
const ownedRecords = `(SELECT record FROM heads WHERE owner = $1)`

func (s *Store) ScheduleAccountDeletion(ctx context.Context, d store.AccountDeletion, keep store.Hash) error {
	if err := check.AccountDeletion(d); err != nil {
		return fmt.Errorf("schedule account deletion: %w", err)
	}
	return s.write(ctx, "schedule account deletion", func(ctx context.Context, tx pgx.Tx) error {
		if err := lockAccount(ctx, tx, d.Account); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO account_deletions (account, requested, due) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
			d.Account[:], ts(d.Requested), ts(d.Due))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("deletion of account %s already recorded: %w", d.Account, store.ErrConflict)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE account = $1 AND token_hash <> $2`, d.Account[:], keep[:]); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE grants SET revoked = $2 WHERE revoked = 0 AND account <> $1
			AND record IN (SELECT record FROM heads WHERE owner = $1 AND deleted = 0)`, d.Account[:], ts(d.Requested))
		return err
	})
}

// lockAccount locks the account's row for the transaction: ErrNotFound if
// there is none.
func lockAccount(ctx context.Context, tx pgx.Tx, id store.AccountID) error {
	var one int
	if err := tx.QueryRow(ctx, `SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE`, id[:]).Scan(&one); err != nil {
		return fmt.Errorf("account %s: %w", id, mapErr(err))
	}
	return nil
}

func scanDeletion(id store.AccountID, row pgx.Row) (store.AccountDeletion, error) {
	d := store.AccountDeletion{Account: id}
	var req, due, purged int64
	if err := row.Scan(&req, &due, &purged); err != nil {
		return store.AccountDeletion{}, fmt.Errorf("deletion of account %s: %w", id, mapErr(err))
	}
	d.Requested, d.Due, d.Purged = fromTS(req), fromTS(due), fromTS(purged)
	return d, nil
}

func (s *Store) CancelAccountDeletion(ctx context.Context, id store.AccountID) (store.AccountDeletion, error) {
	var d store.AccountDeletion
	err := s.write(ctx, "cancel account deletion", func(ctx context.Context, tx pgx.Tx) (err error) {
		d, err = scanDeletion(id, tx.QueryRow(ctx, `SELECT requested, due, purged FROM account_deletions WHERE account = $1 FOR UPDATE`, id[:]))
		if err != nil {
			return err
		}
		if d.IsPurged() {
			return fmt.Errorf("account %s was purged: %w", id, store.ErrConflict)
		}
		if _, err := tx.Exec(ctx, `UPDATE grants SET revoked = 0 WHERE revoked = $2 AND record IN `+ownedRecords, id[:], ts(d.Requested)); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM account_deletions WHERE account = $1`, id[:])
		return err
	})
	if err != nil {
		return store.AccountDeletion{}, err
	}
	return d, nil
}

func (s *Store) AccountDeletion(ctx context.Context, id store.AccountID) (store.AccountDeletion, error) {
	return get(ctx, s, "account deletion", func(q querier) (store.AccountDeletion, error) {
		return scanDeletion(id, q.QueryRow(ctx, `SELECT requested, due, purged FROM account_deletions WHERE account = $1`, id[:]))
	})
}

func (s *Store) DueAccountDeletions(ctx context.Context, now time.Time) ([]store.AccountDeletion, error) {
	return get(ctx, s, "due account deletions", func(q querier) ([]store.AccountDeletion, error) {
		rows, _ := q.Query(ctx, `SELECT account, requested, due FROM account_deletions WHERE purged = 0 AND due <= $1 ORDER BY due LIMIT $2`,
			ts(now), store.MaxList)
		return pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.AccountDeletion, error) {
			var d store.AccountDeletion
			var id []byte
			var req, due int64
			if err := r.Scan(&id, &req, &due); err != nil {
				return d, err
			}
			d.Requested, d.Due = fromTS(req), fromTS(due)
			return d, id32(&d.Account, id)
		})
	})
}

// PurgeAccount runs in a transaction of its own, not in a group commit: it
// may delete thousands of rows. Blobs are deleted once it has committed; one
// that fails to go is an orphan that Sweep deletes.
func (s *Store) PurgeAccount(ctx context.Context, p store.AccountPurge) (store.PurgeStats, error) {
	var st store.PurgeStats
	if err := check.AccountPurge(p); err != nil {
		return st, fmt.Errorf("purge account: %w", err)
	}
	leave, err := s.enter(ctx)
	if err != nil {
		return st, fmt.Errorf("purge account: %w", err)
	}
	defer leave()
	var blobs []string
	err = s.direct(ctx, store.LogBatchFrom(ctx), func(ctx context.Context, tx pgx.Tx) (err error) {
		st, blobs = store.PurgeStats{}, nil
		d, err := scanDeletion(p.Account, tx.QueryRow(ctx, `SELECT requested, due, purged FROM account_deletions WHERE account = $1 FOR UPDATE`, p.Account[:]))
		if err != nil {
			return err
		}
		if err := check.Purgeable(d, p); err != nil {
			return err
		}
		if err := lockAccount(ctx, tx, p.Account); err != nil {
			return err
		}
		blobs, err = purgeAccount(ctx, tx, p, &st)
		return err
	})
	if err != nil {
		return store.PurgeStats{}, fmt.Errorf("purge account: %w", mapErr(err))
	}
	s.deleteBlobs(ctx, blobs)
	return st, nil
}

// purgeAccount deletes everything of the account but its deletion, which it
// marks purged, and returns the keys of the blobs to delete after commit.
func purgeAccount(ctx context.Context, tx pgx.Tx, p store.AccountPurge, st *store.PurgeStats) ([]string, error) {
	id := p.Account[:]
	rows, _ := tx.Query(ctx, `DELETE FROM versions WHERE record IN `+ownedRecords+` RETURNING body_id, body_blob`, id)
	var inDB [][]byte
	var blobs []string
	var body []byte
	var isBlob bool
	_, err := pgx.ForEachRow(rows, []any{&body, &isBlob}, func() error {
		st.Versions++
		if isBlob {
			blobs = append(blobs, blobKey(body))
		} else {
			inDB = append(inDB, append([]byte(nil), body...))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// In this order: the subquery ownedRecords reads heads, and the foreign
	// keys want children before the account.
	steps := []struct {
		n    *int
		sql  string
		args []any
	}{
		{nil, `DELETE FROM body_chunks WHERE body = ANY($1)`, []any{inDB}},
		{&st.Grants, `DELETE FROM grants WHERE account = $1 OR record IN ` + ownedRecords, []any{id}},
		{nil, `DELETE FROM acls WHERE record IN ` + ownedRecords, []any{id}},
		{&st.Records, `DELETE FROM heads WHERE owner = $1`, []any{id}},
		{&st.Sessions, `DELETE FROM sessions WHERE account = $1`, []any{id}},
		{&st.Devices, `DELETE FROM devices WHERE account = $1`, []any{id}},
		{nil, `DELETE FROM cards WHERE account = $1`, []any{id}},
		{nil, `DELETE FROM chains WHERE account = $1`, []any{id}},
		{nil, `DELETE FROM secrets WHERE name = ANY($1)`, []any{secretNames(p.Secrets)}},
		{nil, `DELETE FROM accounts WHERE id = $1`, []any{id}},
		{nil, `UPDATE account_deletions SET purged = $2 WHERE account = $1`, []any{id, ts(p.Purged)}},
	}
	for _, step := range steps {
		tag, err := tx.Exec(ctx, step.sql, step.args...)
		if err != nil {
			return nil, err
		}
		if step.n != nil {
			*step.n = int(tag.RowsAffected())
		}
	}
	return blobs, nil
}

func secretNames(names []string) [][]byte {
	out := make([][]byte, len(names))
	for i, n := range names {
		out[i] = []byte(n)
	}
	return out
}
