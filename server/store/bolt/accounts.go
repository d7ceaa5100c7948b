package bolt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/server/store/internal/check"
)

func (s *Store) CreateAccount(ctx context.Context, a store.NewAccount) error {
	if err := check.NewAccount(a); err != nil {
		return fmt.Errorf("create account: %w", err)
	}
	rec := encodeAccount(accountRec{
		Handle: a.Handle, Role: a.Role, Status: store.StatusActive,
		CardSeq: a.KeyCard.Seq, Created: a.Created, OPRFSetup: a.OPRFSetup,
	})
	dev := a.Device
	dev.Revocation, dev.Revoked = nil, time.Time{}
	err := s.update(ctx, size(a.KeyCard.Signed, a.Device.Cert, a.Backup, a.OPRFSetup), func(w *writeTx) error {
		if w.get(bAccounts, a.ID[:]) != nil {
			return fmt.Errorf("account %s: %w", a.ID, store.ErrExists)
		}
		if w.get(bHandles, []byte(a.Handle)) != nil {
			return fmt.Errorf("handle: %w", store.ErrExists)
		}
		if a.Invite != nil {
			v := w.get(bInvites, a.Invite[:])
			if v == nil {
				return fmt.Errorf("invite: %w", store.ErrNotFound)
			}
			inv, err := decodeInvite(v)
			if err != nil {
				return err
			}
			if inv.Role != a.Role || !a.Created.Before(inv.Expires) {
				return fmt.Errorf("invite not valid for this registration: %w", store.ErrNotFound)
			}
			if err := w.del(bInvites, a.Invite[:]); err != nil {
				return err
			}
		}
		return errors.Join(
			w.put(bAccounts, key(a.ID[:]), rec),
			w.put(bHandles, []byte(a.Handle), key(a.ID[:])),
			w.put(bCards, key(a.ID[:], u64(a.KeyCard.Seq)), encodeCard(a.KeyCard)),
			w.put(bDevices, key(a.ID[:], dev.ID[:]), encodeDevice(dev)),
			w.put(bBackups, key(a.ID[:]), a.Backup),
		)
	})
	if err != nil {
		return fmt.Errorf("create account: %w", err)
	}
	return nil
}

func (s *Store) Account(ctx context.Context, id store.AccountID) (store.Account, error) {
	return read(ctx, s, "account", func(tx *bbolt.Tx) (store.Account, error) { return readAccount(tx, id) })
}

func (s *Store) AccountByHandle(ctx context.Context, handle string) (store.Account, error) {
	var a store.Account
	err := s.view(ctx, func(tx *bbolt.Tx) (err error) {
		v := tx.Bucket(bHandles).Get([]byte(handle))
		if len(v) != len(store.AccountID{}) {
			return store.ErrNotFound
		}
		a, err = readAccount(tx, store.AccountID(v))
		return err
	})
	if err != nil {
		return store.Account{}, fmt.Errorf("account by handle: %w", err)
	}
	return a, nil
}

// readAccount assembles an account from its record, current card and chain.
func readAccount(tx *bbolt.Tx, id store.AccountID) (store.Account, error) {
	rec, err := getAccount(tx, id)
	if err != nil {
		return store.Account{}, err
	}
	v := tx.Bucket(bCards).Get(key(id[:], u64(rec.CardSeq)))
	if v == nil {
		return store.Account{}, fmt.Errorf("key card %d missing: %w", rec.CardSeq, errCorrupt)
	}
	card, err := decodeCard(v)
	if err != nil {
		return store.Account{}, err
	}
	card.Seq = rec.CardSeq
	return store.Account{
		ID: id, Handle: rec.Handle, Role: rec.Role, Status: rec.Status,
		KeyCard: card, OPRFSetup: rec.OPRFSetup, Created: rec.Created,
		ChainSeq: chainSeq(tx, id),
	}, nil
}

func getAccount(tx *bbolt.Tx, id store.AccountID) (accountRec, error) {
	v := tx.Bucket(bAccounts).Get(id[:])
	if v == nil {
		return accountRec{}, fmt.Errorf("account %s: %w", id, store.ErrNotFound)
	}
	return decodeAccount(v)
}

func (s *Store) SetAccountStatus(ctx context.Context, id store.AccountID, st store.Status) error {
	if !st.Valid() {
		return invalid("set account status: status %q", st)
	}
	err := s.update(ctx, size(), func(w *writeTx) error {
		rec, err := getAccount(w.tx, id)
		if err != nil {
			return err
		}
		rec.Status = st
		if err := w.put(bAccounts, key(id[:]), encodeAccount(rec)); err != nil {
			return err
		}
		if st == store.StatusSuspended {
			_, err = deleteSessions(w, id[:])
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("set account status: %w", err)
	}
	return nil
}

func (s *Store) UpdateKeyCard(ctx context.Context, id store.AccountID, card store.KeyCard) error {
	if err := checkValue("key card", card.Signed, true); err != nil {
		return fmt.Errorf("update key card: %w", err)
	}
	v := encodeCard(card)
	err := s.update(ctx, size(v), func(w *writeTx) error {
		rec, err := getAccount(w.tx, id)
		if err != nil {
			return err
		}
		if card.Seq != rec.CardSeq+1 {
			return fmt.Errorf("key card seq %d, current %d: %w", card.Seq, rec.CardSeq, store.ErrConflict)
		}
		rec.CardSeq = card.Seq
		return errors.Join(
			w.put(bCards, key(id[:], u64(card.Seq)), v),
			w.put(bAccounts, key(id[:]), encodeAccount(rec)),
		)
	})
	if err != nil {
		return fmt.Errorf("update key card: %w", err)
	}
	return nil
}

func (s *Store) KeyCards(ctx context.Context, id store.AccountID, from uint64) ([]store.KeyCard, error) {
	var cards []store.KeyCard
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		if _, err := getAccount(tx, id); err != nil {
			return err
		}
		c := tx.Bucket(bCards).Cursor()
		for k, v := c.Seek(key(id[:], u64(from))); k != nil && bytes.HasPrefix(k, id[:]); k, v = c.Next() {
			card, err := decodeCard(v)
			if err != nil {
				return err
			}
			card.Seq = seqOf(k)
			cards = append(cards, card)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("key cards: %w", err)
	}
	return cards, nil
}
