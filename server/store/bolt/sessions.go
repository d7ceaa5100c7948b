package bolt

import (
	"context"
	"errors"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/blindvault/blindvault/server/store"
)

func (s *Store) PutSession(ctx context.Context, x store.Session) error {
	if err := errors.Join(checkID("account", x.Account.IsZero()), checkID("device", x.Device.IsZero())); err != nil {
		return fmt.Errorf("put session: %w", err)
	}
	v := encodeSession(x)
	err := s.update(ctx, size(v), func(w *writeTx) error {
		// Checked here, in the same transaction, so that a session cannot
		// be created for a device or account revoked a moment before.
		acct, err := getAccount(w.tx, x.Account)
		if err != nil {
			return err
		}
		if acct.Status != store.StatusActive {
			return fmt.Errorf("account %s is %s: %w", x.Account, acct.Status, store.ErrConflict)
		}
		d, err := getDevice(w.tx, x.Account, x.Device)
		if err != nil {
			return err
		}
		if d.IsRevoked() {
			return fmt.Errorf("device %s is revoked: %w", x.Device, store.ErrConflict)
		}
		if w.get(bSessions, x.TokenHash[:]) != nil {
			return fmt.Errorf("session: %w", store.ErrExists)
		}
		d.LastSeen = x.Created
		return errors.Join(
			w.put(bSessions, key(x.TokenHash[:]), v),
			w.put(bDevSess, key(x.Account[:], x.Device[:], x.TokenHash[:]), present),
			w.put(bDevices, key(x.Account[:], x.Device[:]), encodeDevice(d)),
		)
	})
	if err != nil {
		return fmt.Errorf("put session: %w", err)
	}
	return nil
}

func (s *Store) Session(ctx context.Context, tokenHash store.Hash) (store.Session, error) {
	return read(ctx, s, "session", func(tx *bbolt.Tx) (store.Session, error) { return getSession(tx, tokenHash) })
}

func getSession(tx *bbolt.Tx, tokenHash store.Hash) (store.Session, error) {
	v := tx.Bucket(bSessions).Get(tokenHash[:])
	if v == nil {
		return store.Session{}, store.ErrNotFound
	}
	x, err := decodeSession(v)
	x.TokenHash = tokenHash
	return x, err
}

func (s *Store) TouchSession(ctx context.Context, tokenHash store.Hash, idleExpiry time.Time) error {
	err := s.update(ctx, size(), func(w *writeTx) error {
		x, err := getSession(w.tx, tokenHash)
		if err != nil {
			return err
		}
		if idleExpiry.After(x.AbsoluteExpiry) {
			idleExpiry = x.AbsoluteExpiry
		}
		x.IdleExpiry = idleExpiry
		return w.put(bSessions, key(tokenHash[:]), encodeSession(x))
	})
	if err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

func (s *Store) DeleteSession(ctx context.Context, tokenHash store.Hash) error {
	err := s.update(ctx, size(), func(w *writeTx) error {
		x, err := getSession(w.tx, tokenHash)
		if err != nil {
			return err
		}
		return deleteSession(w, x)
	})
	if err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

func deleteSession(w *writeTx, x store.Session) error {
	return errors.Join(
		w.del(bSessions, x.TokenHash[:]),
		w.del(bDevSess, key(x.Account[:], x.Device[:], x.TokenHash[:])),
	)
}

// deleteSessions deletes the sessions whose index key starts with prefix: an
// account, or an account and device.
func deleteSessions(w *writeTx, prefix []byte) (int, error) {
	keys := prefixKeys(w.tx.Bucket(bDevSess), prefix, 0)
	for _, k := range keys {
		token := k[len(k)-len(store.Hash{}):]
		if err := errors.Join(w.del(bSessions, token), w.del(bDevSess, k)); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}
