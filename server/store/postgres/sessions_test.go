package postgres_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/blindvault/blindvault/internal/testenv"
	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/server/store/postgres"
)

// TestStore_SessionParts_SameAsReads checks the one-round-trip read of a
// session, its account and its device against the three reads it stands
// for.
func TestStore_SessionParts_SameAsReads(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testenv.SharedPostgres(t).NewSchema(t)
	s, err := postgres.Open(ctx, url, nil)
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	t.Cleanup(func() { s.Close() })
	db, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(ctx) })
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
	// A session naming a device, or an account, that is not there (no
	// write leaves one; the read must still tell).
	for _, c := range []struct {
		name            string
		account, device [32]byte
		accountNotThere bool
	}{
		{"unknown device", a.ID, random32(), false},
		{"unknown account", random32(), random32(), true},
	} {
		tok := random32()
		_, err := db.Exec(ctx, `INSERT INTO sessions (token_hash, account, device, created, idle, absolute) VALUES ($1, $2, $3, 1, 2, 3)`,
			tok[:], c.account[:], c.device[:])
		if err != nil {
			t.Fatal(err)
		}
		p, err := s.SessionParts(ctx, tok)
		if err != nil || p.Session.Account != c.account || p.Session.Device != c.device ||
			!errors.Is(p.DeviceErr, store.ErrNotFound) || errors.Is(p.AccountErr, store.ErrNotFound) != c.accountNotThere ||
			(!c.accountNotThere && (p.AccountErr != nil || !reflect.DeepEqual(p.Account, acct))) {
			t.Errorf("SessionParts(%s) = %+v, %v", c.name, p, err)
		}
	}
}
