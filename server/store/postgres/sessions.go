package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/server/store/internal/check"
)

func (s *Store) PutSession(ctx context.Context, x store.Session) error {
	if err := errors.Join(check.ID("account", x.Account.IsZero()), check.ID("device", x.Device.IsZero())); err != nil {
		return fmt.Errorf("put session: %w", err)
	}
	return s.write(ctx, "put session", func(ctx context.Context, tx pgx.Tx) error {
		// FOR SHARE holds the account and device rows until commit: a
		// suspension or revocation (which lock them for update and delete
		// the sessions) is ordered wholly before or after this session.
		var status string
		err := tx.QueryRow(ctx, `SELECT status FROM accounts WHERE id = $1 FOR SHARE`, x.Account[:]).Scan(&status)
		if err != nil {
			return fmt.Errorf("account %s: %w", x.Account, mapErr(err))
		}
		if status != string(store.StatusActive) {
			return fmt.Errorf("account %s is %s: %w", x.Account, status, store.ErrConflict)
		}
		d, err := scanDevice(tx.QueryRow(ctx, `SELECT `+deviceColumns+` WHERE account = $1 AND id = $2 FOR SHARE`, x.Account[:], x.Device[:]))
		if err != nil {
			return fmt.Errorf("device %s: %w", x.Device, err)
		}
		if d.IsRevoked() {
			return fmt.Errorf("device %s is revoked: %w", x.Device, store.ErrConflict)
		}
		tag, err := tx.Exec(ctx, `INSERT INTO sessions (token_hash, account, device, created, idle, absolute)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
			x.TokenHash[:], x.Account[:], x.Device[:], ts(x.Created), ts(x.IdleExpiry), ts(x.AbsoluteExpiry))
		if err == nil && tag.RowsAffected() == 0 {
			err = fmt.Errorf("session: %w", store.ErrExists)
		}
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE devices SET last_seen = $3 WHERE account = $1 AND id = $2`,
			x.Account[:], x.Device[:], ts(x.Created))
		return err
	})
}

const sessionColumns = `account, device, created, idle, absolute FROM sessions`

func scanSession(row pgx.Row, tokenHash store.Hash) (store.Session, error) {
	x := store.Session{TokenHash: tokenHash}
	var acct, dev []byte
	var created, idle, absolute int64
	if err := row.Scan(&acct, &dev, &created, &idle, &absolute); err != nil {
		return store.Session{}, mapErr(err)
	}
	x.Created, x.IdleExpiry, x.AbsoluteExpiry = fromTS(created), fromTS(idle), fromTS(absolute)
	return x, errors.Join(id32(&x.Account, acct), id32(&x.Device, dev))
}

func (s *Store) Session(ctx context.Context, tokenHash store.Hash) (store.Session, error) {
	return get(ctx, s, "session", func(q querier) (store.Session, error) {
		return scanSession(q.QueryRow(ctx, `SELECT `+sessionColumns+` WHERE token_hash = $1`, tokenHash[:]), tokenHash)
	})
}

func (s *Store) TouchSession(ctx context.Context, tokenHash store.Hash, idleExpiry time.Time) error {
	return s.write(ctx, "touch session", func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE sessions SET idle = least($2, absolute) WHERE token_hash = $1`, tokenHash[:], ts(idleExpiry))
		if err == nil && tag.RowsAffected() == 0 {
			err = store.ErrNotFound
		}
		return err
	})
}

func (s *Store) DeleteSession(ctx context.Context, tokenHash store.Hash) error {
	return s.write(ctx, "delete session", func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash[:])
		if err == nil && tag.RowsAffected() == 0 {
			err = store.ErrNotFound
		}
		return err
	})
}

var _ store.SessionReader = (*Store)(nil)

// SessionParts implements store.SessionReader: the three reads go in one
// pipeline, the account's and the device's naming the session's by
// subquery, each read as Session, Account and Device read it.
func (s *Store) SessionParts(ctx context.Context, tokenHash store.Hash) (store.SessionParts, error) {
	var p store.SessionParts
	var b pgx.Batch
	sess := `(SELECT account FROM sessions WHERE token_hash = $1)`
	b.Queue(`SELECT `+sessionColumns+` WHERE token_hash = $1`, tokenHash[:]).QueryRow(func(row pgx.Row) (err error) {
		p.Session, err = scanSession(row, tokenHash)
		return err
	})
	b.Queue(`SELECT `+accountColumns+` WHERE a.id = `+sess, tokenHash[:]).QueryRow(func(row pgx.Row) error {
		p.Account, p.AccountErr = scanAccount(row)
		return nil
	})
	b.Queue(`SELECT `+deviceColumns+` WHERE (account, id) = (SELECT account, device FROM sessions WHERE token_hash = $1)`,
		tokenHash[:]).QueryRow(func(row pgx.Row) error {
		p.Device, p.DeviceErr = scanDevice(row)
		return nil
	})
	leave, err := s.enter(ctx)
	if err != nil {
		return store.SessionParts{}, fmt.Errorf("session: %w", err)
	}
	defer leave()
	if err := s.pool.SendBatch(ctx, &b).Close(); err != nil {
		return store.SessionParts{}, fmt.Errorf("session: %w", mapErr(err))
	}
	if p.AccountErr != nil {
		p.AccountErr = fmt.Errorf("account: %w", p.AccountErr)
	}
	if p.DeviceErr != nil {
		p.DeviceErr = fmt.Errorf("device: %w", p.DeviceErr)
	}
	return p, nil
}
