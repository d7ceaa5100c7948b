package bolt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/blindvault/blindvault/server/store"
)

func (s *Store) AddDevice(ctx context.Context, id store.AccountID, d store.Device) error {
	if err := errors.Join(checkID("device id", d.ID.IsZero()), checkValue("device cert", d.Cert, true)); err != nil {
		return fmt.Errorf("add device: %w", err)
	}
	d.Revocation, d.Revoked = nil, time.Time{}
	v := encodeDevice(d)
	err := s.update(ctx, size(v), func(w *writeTx) error {
		if _, err := getAccount(w.tx, id); err != nil {
			return err
		}
		k := key(id[:], d.ID[:])
		if w.get(bDevices, k) != nil {
			return fmt.Errorf("device %s: %w", d.ID, store.ErrExists)
		}
		return w.put(bDevices, k, v)
	})
	if err != nil {
		return fmt.Errorf("add device: %w", err)
	}
	return nil
}

func (s *Store) Device(ctx context.Context, id store.AccountID, dev store.DeviceID) (store.Device, error) {
	return read(ctx, s, "device", func(tx *bbolt.Tx) (store.Device, error) { return getDevice(tx, id, dev) })
}

func getDevice(tx *bbolt.Tx, id store.AccountID, dev store.DeviceID) (store.Device, error) {
	v := tx.Bucket(bDevices).Get(key(id[:], dev[:]))
	if v == nil {
		return store.Device{}, fmt.Errorf("device %s: %w", dev, store.ErrNotFound)
	}
	d, err := decodeDevice(v)
	d.ID = dev
	return d, err
}

func (s *Store) Devices(ctx context.Context, id store.AccountID) ([]store.Device, error) {
	var ds []store.Device
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		if _, err := getAccount(tx, id); err != nil {
			return err
		}
		c := tx.Bucket(bDevices).Cursor()
		for k, v := c.Seek(id[:]); k != nil && bytes.HasPrefix(k, id[:]); k, v = c.Next() {
			d, err := decodeDevice(v)
			if err != nil {
				return err
			}
			d.ID = store.DeviceID(k[len(id):])
			ds = append(ds, d)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("devices: %w", err)
	}
	return ds, nil
}

func (s *Store) RevokeDevice(ctx context.Context, id store.AccountID, dev store.DeviceID, revocation []byte, at time.Time) error {
	if err := checkValue("revocation", revocation, true); err != nil {
		return fmt.Errorf("revoke device: %w", err)
	}
	err := s.update(ctx, size(revocation), func(w *writeTx) error {
		d, err := getDevice(w.tx, id, dev)
		if err != nil {
			return err
		}
		if d.IsRevoked() {
			return fmt.Errorf("device %s already revoked: %w", dev, store.ErrConflict)
		}
		d.Revocation, d.Revoked = revocation, at
		if err := w.put(bDevices, key(id[:], dev[:]), encodeDevice(d)); err != nil {
			return err
		}
		_, err = deleteSessions(w, key(id[:], dev[:]))
		return err
	})
	if err != nil {
		return fmt.Errorf("revoke device: %w", err)
	}
	return nil
}

func (s *Store) Backup(ctx context.Context, id store.AccountID) ([]byte, error) {
	var blob []byte
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		v := tx.Bucket(bBackups).Get(id[:])
		if v == nil {
			return fmt.Errorf("account %s: %w", id, store.ErrNotFound)
		}
		blob = append([]byte(nil), v...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	return blob, nil
}

func (s *Store) UpdateLockout(ctx context.Context, id store.AccountID, fn func(store.Lockout) (store.Lockout, error)) (store.Lockout, error) {
	var out store.Lockout
	err := s.update(ctx, size(), func(w *writeTx) error {
		if _, err := getAccount(w.tx, id); err != nil {
			return err
		}
		var cur store.Lockout
		if v := w.get(bLockouts, id[:]); v != nil {
			var err error
			if cur, err = decodeLockout(v); err != nil {
				return err
			}
		}
		next, err := fn(cur)
		if err != nil {
			return err
		}
		out = next
		return w.put(bLockouts, key(id[:]), encodeLockout(next))
	})
	if err != nil {
		return store.Lockout{}, fmt.Errorf("update lockout: %w", err)
	}
	return out, nil
}
