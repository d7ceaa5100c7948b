package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/server/store/internal/check"
)

func (s *Store) PutInvite(ctx context.Context, inv store.Invite) error {
	if !inv.Role.Valid() {
		return check.Invalid("put invite: role %q", inv.Role)
	}
	return s.write(ctx, "put invite", func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO invites (code_hash, role, created, expires) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
			inv.CodeHash[:], string(inv.Role), ts(inv.Created), ts(inv.Expires))
		if err == nil && tag.RowsAffected() == 0 {
			err = fmt.Errorf("invite: %w", store.ErrExists)
		}
		return err
	})
}

func (s *Store) ConsumeInvite(ctx context.Context, codeHash store.Hash, now time.Time) (store.Invite, error) {
	inv := store.Invite{CodeHash: codeHash}
	err := s.write(ctx, "consume invite", func(ctx context.Context, tx pgx.Tx) error {
		// The delete locks the row: of concurrent consumers, the others
		// wait and then find nothing. An expired invite is left for Sweep.
		var role string
		var created, expires int64
		err := tx.QueryRow(ctx, `DELETE FROM invites WHERE code_hash = $1 RETURNING role, created, expires`, codeHash[:]).Scan(&role, &created, &expires)
		if err != nil {
			return mapErr(err)
		}
		inv.Role, inv.Created, inv.Expires = store.Role(role), fromTS(created), fromTS(expires)
		if !now.Before(inv.Expires) {
			return fmt.Errorf("invite expired: %w", store.ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return store.Invite{}, err
	}
	return inv, nil
}
