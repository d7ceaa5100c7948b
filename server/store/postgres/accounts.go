package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/server/store/internal/check"
)

func (s *Store) CreateAccount(ctx context.Context, a store.NewAccount) error {
	if err := check.NewAccount(a); err != nil {
		return fmt.Errorf("create account: %w", err)
	}
	return s.write(ctx, "create account", func(ctx context.Context, tx pgx.Tx) error {
		role := a.Role
		if a.Invite != nil {
			// Locks the invite: of two registrations with one code, one
			// waits and then finds it gone.
			var invRole string
			var expires int64
			err := tx.QueryRow(ctx, `DELETE FROM invites WHERE code_hash = $1 RETURNING role, expires`, a.Invite[:]).Scan(&invRole, &expires)
			if err != nil {
				return fmt.Errorf("invite: %w", mapErr(err))
			}
			if store.Role(invRole) != role || !a.Created.Before(fromTS(expires)) {
				return fmt.Errorf("invite not valid for this registration: %w", store.ErrNotFound)
			}
		}
		tag, err := tx.Exec(ctx, `INSERT INTO accounts (id, handle, role, status, card_seq, oprf_setup, backup, created)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
			a.ID[:], []byte(a.Handle), string(role), string(store.StatusActive), int64(a.KeyCard.Seq), a.OPRFSetup, a.Backup, ts(a.Created))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("account or handle taken: %w", store.ErrExists)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO cards (account, seq, signed, added) VALUES ($1, $2, $3, $4)`,
			a.ID[:], int64(a.KeyCard.Seq), a.KeyCard.Signed, ts(a.KeyCard.Added)); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO devices (account, id, cert, added) VALUES ($1, $2, $3, $4)`,
			a.ID[:], a.Device.ID[:], a.Device.Cert, ts(a.Device.Added))
		return err
	})
}

const accountColumns = `a.id, a.handle, a.role, a.status, a.card_seq, a.chain_seq, a.oprf_setup, a.created, c.signed, c.added
	FROM accounts a JOIN cards c ON c.account = a.id AND c.seq = a.card_seq`

// accountScan holds the columns of accountColumns as scanned.
type accountScan struct {
	id, handle, oprfSetup, card       []byte
	role, status                      string
	cardSeq, chainSeq, created, added int64
}

func (r *accountScan) dest() []any {
	return []any{&r.id, &r.handle, &r.role, &r.status, &r.cardSeq, &r.chainSeq, &r.oprfSetup, &r.created, &r.card, &r.added}
}

func (r *accountScan) account() (store.Account, error) {
	a := store.Account{Handle: string(r.handle), Role: store.Role(r.role), Status: store.Status(r.status),
		ChainSeq: uint64(r.chainSeq), OPRFSetup: r.oprfSetup, Created: fromTS(r.created)}
	a.KeyCard.Seq, a.KeyCard.Signed, a.KeyCard.Added = uint64(r.cardSeq), r.card, fromTS(r.added)
	return a, id32(&a.ID, r.id)
}

func scanAccount(row pgx.Row) (store.Account, error) {
	var r accountScan
	if err := row.Scan(r.dest()...); err != nil {
		return store.Account{}, mapErr(err)
	}
	return r.account()
}

func (s *Store) Account(ctx context.Context, id store.AccountID) (store.Account, error) {
	return get(ctx, s, "account", func(q querier) (store.Account, error) {
		return scanAccount(q.QueryRow(ctx, `SELECT `+accountColumns+` WHERE a.id = $1`, id[:]))
	})
}

func (s *Store) AccountByHandle(ctx context.Context, handle string) (store.Account, error) {
	return get(ctx, s, "account by handle", func(q querier) (store.Account, error) {
		return scanAccount(q.QueryRow(ctx, `SELECT `+accountColumns+` WHERE a.handle = $1`, []byte(handle)))
	})
}

func (s *Store) SetAccountStatus(ctx context.Context, id store.AccountID, st store.Status) error {
	if !st.Valid() {
		return check.Invalid("set account status: status %q", st)
	}
	return s.write(ctx, "set account status", func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE accounts SET status = $2 WHERE id = $1`, id[:], string(st))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("account %s: %w", id, store.ErrNotFound)
		}
		if st == store.StatusSuspended {
			_, err = tx.Exec(ctx, `DELETE FROM sessions WHERE account = $1`, id[:])
		}
		return err
	})
}

func (s *Store) UpdateKeyCard(ctx context.Context, id store.AccountID, card store.KeyCard) error {
	if err := check.Value("key card", card.Signed, true); err != nil {
		return fmt.Errorf("update key card: %w", err)
	}
	return s.write(ctx, "update key card", func(ctx context.Context, tx pgx.Tx) error {
		var cur int64
		err := tx.QueryRow(ctx, `SELECT card_seq FROM accounts WHERE id = $1 FOR UPDATE`, id[:]).Scan(&cur)
		if err != nil {
			return fmt.Errorf("account %s: %w", id, mapErr(err))
		}
		if card.Seq != uint64(cur)+1 {
			return fmt.Errorf("key card seq %d, current %d: %w", card.Seq, cur, store.ErrConflict)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO cards (account, seq, signed, added) VALUES ($1, $2, $3, $4)`,
			id[:], int64(card.Seq), card.Signed, ts(card.Added)); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE accounts SET card_seq = $2 WHERE id = $1`, id[:], int64(card.Seq))
		return err
	})
}

func (s *Store) KeyCards(ctx context.Context, id store.AccountID, from uint64) ([]store.KeyCard, error) {
	var cards []store.KeyCard
	err := s.read(ctx, "key cards", func(tx pgx.Tx) error {
		if err := accountExists(ctx, tx, id); err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, `SELECT seq, signed, added FROM cards WHERE account = $1 AND seq >= $2 ORDER BY seq`, id[:], int64(min(from, 1<<63-1)))
		var err error
		cards, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.KeyCard, error) {
			var c store.KeyCard
			var seq, added int64
			err := r.Scan(&seq, &c.Signed, &added)
			c.Seq, c.Added = uint64(seq), fromTS(added)
			return c, err
		})
		return err
	})
	return cards, err
}

// accountExists fails with store.ErrNotFound for an unknown account.
func accountExists(ctx context.Context, q querier, id store.AccountID) error {
	var one int
	if err := q.QueryRow(ctx, `SELECT 1 FROM accounts WHERE id = $1`, id[:]).Scan(&one); err != nil {
		return fmt.Errorf("account %s: %w", id, mapErr(err))
	}
	return nil
}

func (s *Store) Backup(ctx context.Context, id store.AccountID) ([]byte, error) {
	return get(ctx, s, "backup", func(q querier) ([]byte, error) {
		var b []byte
		err := q.QueryRow(ctx, `SELECT backup FROM accounts WHERE id = $1`, id[:]).Scan(&b)
		return b, err
	})
}

func (s *Store) UpdateLockout(ctx context.Context, id store.AccountID, fn func(store.Lockout) (store.Lockout, error)) (store.Lockout, error) {
	var out store.Lockout
	err := s.write(ctx, "update lockout", func(ctx context.Context, tx pgx.Tx) error {
		var failures, until int64
		err := tx.QueryRow(ctx, `SELECT lockout_failures, lockout_until FROM accounts WHERE id = $1 FOR UPDATE`, id[:]).Scan(&failures, &until)
		if err != nil {
			return fmt.Errorf("account %s: %w", id, mapErr(err))
		}
		next, err := fn(store.Lockout{Failures: uint32(failures), Until: fromTS(until)})
		if err != nil {
			return err
		}
		out = next
		_, err = tx.Exec(ctx, `UPDATE accounts SET lockout_failures = $2, lockout_until = $3 WHERE id = $1`, id[:], int64(next.Failures), ts(next.Until))
		return err
	})
	if err != nil {
		return store.Lockout{}, err
	}
	return out, nil
}
