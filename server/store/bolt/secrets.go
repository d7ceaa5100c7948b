package bolt

import (
	"context"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/server/store/internal/check"
)

func checkSecretName(name string) error { return check.SecretName(name) }

func (s *Store) Secret(ctx context.Context, name string) ([]byte, error) {
	if err := checkSecretName(name); err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	var v []byte
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		raw := tx.Bucket(bSecrets).Get([]byte(name))
		if raw == nil {
			return store.ErrNotFound
		}
		v = append([]byte(nil), raw...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("secret %q: %w", name, err)
	}
	return v, nil
}

func (s *Store) PutSecret(ctx context.Context, name string, value []byte) error {
	if err := checkSecretName(name); err != nil {
		return fmt.Errorf("put secret: %w", err)
	}
	if err := checkValue("secret", value, true); err != nil {
		return fmt.Errorf("put secret: %w", err)
	}
	err := s.update(ctx, size(value), func(w *writeTx) error {
		return w.put(bSecrets, []byte(name), value)
	})
	if err != nil {
		return fmt.Errorf("put secret %q: %w", name, err)
	}
	return nil
}
