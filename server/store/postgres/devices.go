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

func (s *Store) AddDevice(ctx context.Context, id store.AccountID, d store.Device) error {
	if err := errors.Join(check.ID("device id", d.ID.IsZero()), check.Value("device cert", d.Cert, true)); err != nil {
		return fmt.Errorf("add device: %w", err)
	}
	return s.write(ctx, "add device", func(ctx context.Context, tx pgx.Tx) error {
		if err := accountExists(ctx, tx, id); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO devices (account, id, cert, added) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
			id[:], d.ID[:], d.Cert, ts(d.Added))
		if err == nil && tag.RowsAffected() == 0 {
			err = fmt.Errorf("device %s: %w", d.ID, store.ErrExists)
		}
		return err
	})
}

const deviceColumns = `id, cert, added, revocation, revoked, last_seen FROM devices`

// deviceScan holds the columns of deviceColumns as scanned.
type deviceScan struct {
	id, cert, revocation     []byte
	added, revoked, lastSeen int64
}

func (r *deviceScan) dest() []any {
	return []any{&r.id, &r.cert, &r.added, &r.revocation, &r.revoked, &r.lastSeen}
}

func (r *deviceScan) device() (store.Device, error) {
	d := store.Device{Cert: r.cert, Revocation: r.revocation,
		Added: fromTS(r.added), Revoked: fromTS(r.revoked), LastSeen: fromTS(r.lastSeen)}
	return d, id32(&d.ID, r.id)
}

func scanDevice(row pgx.Row) (store.Device, error) {
	var r deviceScan
	if err := row.Scan(r.dest()...); err != nil {
		return store.Device{}, mapErr(err)
	}
	return r.device()
}

func (s *Store) Device(ctx context.Context, id store.AccountID, dev store.DeviceID) (store.Device, error) {
	return get(ctx, s, "device", func(q querier) (store.Device, error) {
		return scanDevice(q.QueryRow(ctx, `SELECT `+deviceColumns+` WHERE account = $1 AND id = $2`, id[:], dev[:]))
	})
}

func (s *Store) Devices(ctx context.Context, id store.AccountID) ([]store.Device, error) {
	var ds []store.Device
	err := s.read(ctx, "devices", func(tx pgx.Tx) error {
		if err := accountExists(ctx, tx, id); err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, `SELECT `+deviceColumns+` WHERE account = $1 ORDER BY id`, id[:])
		var err error
		ds, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Device, error) { return scanDevice(r) })
		return err
	})
	return ds, err
}

func (s *Store) RevokeDevice(ctx context.Context, id store.AccountID, dev store.DeviceID, revocation []byte, at time.Time) error {
	if err := check.Value("revocation", revocation, true); err != nil {
		return fmt.Errorf("revoke device: %w", err)
	}
	return s.write(ctx, "revoke device", func(ctx context.Context, tx pgx.Tx) error {
		d, err := scanDevice(tx.QueryRow(ctx, `SELECT `+deviceColumns+` WHERE account = $1 AND id = $2 FOR UPDATE`, id[:], dev[:]))
		if err != nil {
			return fmt.Errorf("device %s: %w", dev, err)
		}
		if d.IsRevoked() {
			return fmt.Errorf("device %s already revoked: %w", dev, store.ErrConflict)
		}
		if _, err := tx.Exec(ctx, `UPDATE devices SET revocation = $3, revoked = $4 WHERE account = $1 AND id = $2`,
			id[:], dev[:], revocation, ts(at)); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM sessions WHERE account = $1 AND device = $2`, id[:], dev[:])
		return err
	})
}
