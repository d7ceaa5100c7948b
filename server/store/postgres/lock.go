package postgres

import (
	"context"
	"errors"
	"fmt"
)

// startLock is the advisory lock key of Exclusive ("bvstart!").
const startLock = 0x6276737461727421

// Exclusive runs fn while no other process runs Exclusive on the same
// database: servers starting together use it to create the server's secrets
// and the bootstrap invite once, not once each. fn may use the store.
func (s *Store) Exclusive(ctx context.Context, fn func() error) error {
	leave, err := s.enter(ctx)
	if err != nil {
		return fmt.Errorf("exclusive: %w", err)
	}
	conn, err := s.pool.Acquire(ctx)
	leave()
	if err != nil {
		return fmt.Errorf("exclusive: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(startLock)); err != nil {
		return fmt.Errorf("exclusive: %w", err)
	}
	err = fn()
	_, uerr := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(startLock))
	if uerr != nil {
		// The lock goes with the session: close it rather than give it back.
		conn.Hijack().Close(context.WithoutCancel(ctx))
	}
	return errors.Join(err, uerr)
}
