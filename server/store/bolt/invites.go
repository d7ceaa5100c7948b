package bolt

import (
	"context"
	"fmt"
	"time"

	"github.com/blindvault/blindvault/server/store"
)

func (s *Store) PutInvite(ctx context.Context, inv store.Invite) error {
	if !inv.Role.Valid() {
		return invalid("put invite: role %q", inv.Role)
	}
	v := encodeInvite(inv)
	err := s.update(ctx, size(v), func(w *writeTx) error {
		if w.get(bInvites, inv.CodeHash[:]) != nil {
			return fmt.Errorf("invite: %w", store.ErrExists)
		}
		return w.put(bInvites, key(inv.CodeHash[:]), v)
	})
	if err != nil {
		return fmt.Errorf("put invite: %w", err)
	}
	return nil
}

func (s *Store) ConsumeInvite(ctx context.Context, codeHash store.Hash, now time.Time) (store.Invite, error) {
	var inv store.Invite
	err := s.update(ctx, size(), func(w *writeTx) error {
		v := w.get(bInvites, codeHash[:])
		if v == nil {
			return store.ErrNotFound
		}
		var err error
		if inv, err = decodeInvite(v); err != nil {
			return err
		}
		inv.CodeHash = codeHash
		if !now.Before(inv.Expires) {
			return fmt.Errorf("invite expired: %w", store.ErrNotFound)
		}
		return w.del(bInvites, codeHash[:])
	})
	if err != nil {
		return store.Invite{}, fmt.Errorf("consume invite: %w", err)
	}
	return inv, nil
}
