package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/blindvault/blindvault/server/store/internal/check"
)

func (s *Store) Secret(ctx context.Context, name string) ([]byte, error) {
	if err := check.SecretName(name); err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	return get(ctx, s, fmt.Sprintf("secret %q", name), func(q querier) ([]byte, error) {
		var v []byte
		err := q.QueryRow(ctx, `SELECT value FROM secrets WHERE name = $1`, []byte(name)).Scan(&v)
		return v, err
	})
}

func (s *Store) PutSecret(ctx context.Context, name string, value []byte) error {
	if err := check.SecretName(name); err != nil {
		return fmt.Errorf("put secret: %w", err)
	}
	if err := check.Value("secret", value, true); err != nil {
		return fmt.Errorf("put secret: %w", err)
	}
	return s.write(ctx, fmt.Sprintf("put secret %q", name), func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value`, []byte(name), value)
		return err
	})
}
