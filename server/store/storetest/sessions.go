package storetest

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/blindvault/blindvault/server/store"
)

// session returns a new session of a's first device.
func session(a store.NewAccount) store.Session {
	return store.Session{
		TokenHash: random[store.Hash](), Account: a.ID, Device: a.Device.ID,
		Created: t0, IdleExpiry: t0.Add(time.Hour), AbsoluteExpiry: t0.Add(24 * time.Hour),
	}
}

func testSessions(t *testing.T, open opener) {
	t.Run("PutSession_RoundTrip", func(t *testing.T) {
		s := open(t)
		a := newAccount(t, s, "alice")
		x := session(a)
		ok(t, "PutSession()", s.PutSession(ctx, x))
		isErr(t, "PutSession(again)", s.PutSession(ctx, x), store.ErrExists)
		got, err := s.Session(ctx, x.TokenHash)
		ok(t, "Session()", err)
		if got.TokenHash != x.TokenHash || got.Account != x.Account || got.Device != x.Device || !got.Created.Equal(x.Created) ||
			!got.IdleExpiry.Equal(x.IdleExpiry) || !got.AbsoluteExpiry.Equal(x.AbsoluteExpiry) {
			t.Fatalf("Session() = %+v, want %+v", got, x)
		}
		if got.Expired(t0) || !got.Expired(t0.Add(time.Hour)) {
			t.Fatalf("Expired() is wrong around the idle expiry")
		}
		_, err = s.Session(ctx, random[store.Hash]())
		isErr(t, "Session(unknown)", err, store.ErrNotFound)
	})
	t.Run("PutSession_Unknown", func(t *testing.T) {
		s := open(t)
		a := newAccount(t, s, "alice")
		x := session(a)
		x.Device = random[store.DeviceID]()
		isErr(t, "PutSession(unknown device)", s.PutSession(ctx, x), store.ErrNotFound)
		x.Account = random[store.AccountID]()
		isErr(t, "PutSession(unknown account)", s.PutSession(ctx, x), store.ErrNotFound)
	})
	t.Run("TouchSession", func(t *testing.T) {
		s := open(t)
		a := newAccount(t, s, "alice")
		x := session(a)
		ok(t, "PutSession()", s.PutSession(ctx, x))
		ok(t, "TouchSession()", s.TouchSession(ctx, x.TokenHash, t0.Add(2*time.Hour)))
		got, _ := s.Session(ctx, x.TokenHash)
		if !got.IdleExpiry.Equal(t0.Add(2 * time.Hour)) {
			t.Fatalf("IdleExpiry = %v, want %v", got.IdleExpiry, t0.Add(2*time.Hour))
		}
		ok(t, "TouchSession(past absolute)", s.TouchSession(ctx, x.TokenHash, t0.Add(48*time.Hour)))
		got, _ = s.Session(ctx, x.TokenHash)
		if !got.IdleExpiry.Equal(x.AbsoluteExpiry) {
			t.Fatalf("IdleExpiry = %v, want capped at %v", got.IdleExpiry, x.AbsoluteExpiry)
		}
		isErr(t, "TouchSession(unknown)", s.TouchSession(ctx, random[store.Hash](), t0), store.ErrNotFound)
	})
	t.Run("DeleteSession", func(t *testing.T) {
		s := open(t)
		a := newAccount(t, s, "alice")
		x, y, z := session(a), session(a), session(a)
		for _, v := range []store.Session{x, y, z} {
			ok(t, "PutSession()", s.PutSession(ctx, v))
		}
		ok(t, "DeleteSession()", s.DeleteSession(ctx, x.TokenHash))
		isErr(t, "DeleteSession(again)", s.DeleteSession(ctx, x.TokenHash), store.ErrNotFound)
		_, err := s.Session(ctx, x.TokenHash)
		isErr(t, "Session(deleted)", err, store.ErrNotFound)
		for _, other := range []store.Session{y, z} {
			_, err = s.Session(ctx, other.TokenHash)
			ok(t, "Session(another of the device)", err)
		}
	})
}

func testInvites(t *testing.T, open opener) {
	t.Run("ConsumeInvite_Once", func(t *testing.T) {
		s := open(t)
		inv := store.Invite{CodeHash: random[store.Hash](), Role: store.RoleAdmin, Created: t0, Expires: t0.Add(time.Hour)}
		ok(t, "PutInvite()", s.PutInvite(ctx, inv))
		isErr(t, "PutInvite(again)", s.PutInvite(ctx, inv), store.ErrExists)
		isErr(t, "PutInvite(bad role)", s.PutInvite(ctx, store.Invite{CodeHash: random[store.Hash](), Role: "x"}), store.ErrInvalid)
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				got, err := s.ConsumeInvite(ctx, inv.CodeHash, t0)
				switch {
				case err == nil:
					wins.Add(1)
					if got.Role != store.RoleAdmin || !got.Expires.Equal(inv.Expires) || got.CodeHash != inv.CodeHash {
						t.Errorf("ConsumeInvite() = %+v, want %+v", got, inv)
					}
				case !isNotFound(err):
					t.Errorf("ConsumeInvite() = %v, want nil or ErrNotFound", err)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("ConsumeInvite() succeeded %d times, want once", wins.Load())
		}
	})
	t.Run("ConsumeInvite_Expired", func(t *testing.T) {
		s := open(t)
		inv := store.Invite{CodeHash: random[store.Hash](), Role: store.RoleService, Created: t0, Expires: t0.Add(time.Hour)}
		ok(t, "PutInvite()", s.PutInvite(ctx, inv))
		_, err := s.ConsumeInvite(ctx, inv.CodeHash, t0.Add(time.Hour))
		isErr(t, "ConsumeInvite(at expiry)", err, store.ErrNotFound)
		_, err = s.ConsumeInvite(ctx, random[store.Hash](), t0)
		isErr(t, "ConsumeInvite(unknown)", err, store.ErrNotFound)
	})
}
