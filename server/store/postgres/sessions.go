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

// sessionScan holds the columns of sessionColumns as scanned.
type sessionScan struct {
	account, device         []byte
	created, idle, absolute int64
}

func (r *sessionScan) dest() []any {
	return []any{&r.account, &r.device, &r.created, &r.idle, &r.absolute}
}

func (r *sessionScan) session(tokenHash store.Hash) (store.Session, error) {
	x := store.Session{TokenHash: tokenHash, Created: fromTS(r.created), IdleExpiry: fromTS(r.idle), AbsoluteExpiry: fromTS(r.absolute)}
	return x, errors.Join(id32(&x.Account, r.account), id32(&x.Device, r.device))
}

func scanSession(row pgx.Row, tokenHash store.Hash) (store.Session, error) {
	var r sessionScan
	if err := row.Scan(r.dest()...); err != nil {
		return store.Session{}, mapErr(err)
	}
	return r.session(tokenHash)
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

// sessionPartsQuery reads a session with its account and its device, in
// the columns of sessionColumns, accountColumns and deviceColumns; those of
// an account or device that is not there are NULL, or 0 and ” where a
// column cannot be.
const sessionPartsQuery = `SELECT s.account, s.device, s.created, s.idle, s.absolute,
	a.id, a.handle, coalesce(a.role, ''), coalesce(a.status, ''), coalesce(a.card_seq, 0), coalesce(a.chain_seq, 0),
	a.oprf_setup, coalesce(a.created, 0), c.signed, coalesce(c.added, 0),
	d.id, d.cert, coalesce(d.added, 0), d.revocation, coalesce(d.revoked, 0), coalesce(d.last_seen, 0)
	FROM sessions s
	LEFT JOIN (accounts a JOIN cards c ON c.account = a.id AND c.seq = a.card_seq) ON a.id = s.account
	LEFT JOIN devices d ON d.account = s.account AND d.id = s.device
	WHERE s.token_hash = $1`

// SessionParts implements store.SessionReader: one statement, one
// snapshot, and each part as Session, Account and Device read it. It runs
// for every authenticated request, so one statement and not three.
func (s *Store) SessionParts(ctx context.Context, tokenHash store.Hash) (store.SessionParts, error) {
	return get(ctx, s, "session", func(q querier) (store.SessionParts, error) {
		var rs sessionScan
		var ra accountScan
		var rd deviceScan
		if err := q.QueryRow(ctx, sessionPartsQuery, tokenHash[:]).Scan(append(append(rs.dest(), ra.dest()...), rd.dest()...)...); err != nil {
			return store.SessionParts{}, err
		}
		var p store.SessionParts
		var err error
		if p.Session, err = rs.session(tokenHash); err != nil {
			return store.SessionParts{}, err
		}
		if ra.id == nil {
			p.AccountErr = fmt.Errorf("account: %w", store.ErrNotFound)
		} else if p.Account, p.AccountErr = ra.account(); p.AccountErr != nil {
			p.AccountErr = fmt.Errorf("account: %w", p.AccountErr)
		}
		if rd.id == nil {
			p.DeviceErr = fmt.Errorf("device: %w", store.ErrNotFound)
		} else if p.Device, p.DeviceErr = rd.device(); p.DeviceErr != nil {
			p.DeviceErr = fmt.Errorf("device: %w", p.DeviceErr)
		}
		return p, nil
	})
}
