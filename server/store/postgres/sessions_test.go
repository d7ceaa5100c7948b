package postgres_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/blindvault/blindvault/internal/testenv"
	"github.com/blindvault/blindvault/server/store"
)

// TestStore_SessionParts_SameAsReads checks the one-round-trip read of a
// session, its account and its device against the three reads it stands
// for.
func TestStore_SessionParts_SameAsReads(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openDB(t, testenv.SharedPostgres(t), nil)
	t.Cleanup(func() { s.Close() })
	a := newAccount(t, s)
	now := time.Now()
	x := store.Session{TokenHash: random32(), Account: a.ID, Device: a.Device.ID, Created: now,
		IdleExpiry: now.Add(time.Hour), AbsoluteExpiry: now.Add(2 * time.Hour)}
	if err := s.PutSession(ctx, x); err != nil {
		t.Fatalf("PutSession() = %v", err)
	}
	p, err := s.SessionParts(ctx, x.TokenHash)
	if err != nil {
		t.Fatalf("SessionParts() = %v", err)
	}
	sess, err := s.Session(ctx, x.TokenHash)
	if err != nil {
		t.Fatalf("Session() = %v", err)
	}
	acct, aerr := s.Account(ctx, a.ID)
	dev, derr := s.Device(ctx, a.ID, a.Device.ID)
	if !reflect.DeepEqual(p.Session, sess) || !reflect.DeepEqual(p.Account, acct) || !reflect.DeepEqual(p.Device, dev) ||
		p.AccountErr != nil || p.DeviceErr != nil || aerr != nil || derr != nil {
		t.Errorf("SessionParts() = %+v, want %+v, %+v (%v), %+v (%v)", p, sess, acct, aerr, dev, derr)
	}
	if _, err := s.SessionParts(ctx, random32()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SessionParts(unknown token) = %v, want ErrNotFound", err)
	}
}
