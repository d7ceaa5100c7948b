package storetest

import (
	"bytes"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/blindvault/blindvault/server/store"
)

func testAccounts(t *testing.T, open opener) {
	t.Run("CreateAccount_RoundTrip", func(t *testing.T) {
		s := open(t)
		a := newAccount(t, s, "alice")
		for _, get := range []func() (store.Account, error){
			func() (store.Account, error) { return s.Account(ctx, a.ID) },
			func() (store.Account, error) { return s.AccountByHandle(ctx, "alice") },
		} {
			got, err := get()
			ok(t, "Account()", err)
			if got.ID != a.ID || got.Handle != a.Handle || got.Role != a.Role || got.Status != store.StatusActive ||
				got.KeyCard.Seq != 1 || !bytes.Equal(got.KeyCard.Signed, a.KeyCard.Signed) || !got.KeyCard.Added.Equal(t0) ||
				!bytes.Equal(got.OPRFSetup, a.OPRFSetup) || !got.Created.Equal(t0) || got.ChainSeq != 0 {
				t.Fatalf("Account() = %+v, want %+v", got, a)
			}
		}
		b, err := s.Backup(ctx, a.ID)
		ok(t, "Backup()", err)
		if !bytes.Equal(b, a.Backup) {
			t.Fatalf("Backup() = %x, want %x", b, a.Backup)
		}
		d, err := s.Device(ctx, a.ID, a.Device.ID)
		ok(t, "Device()", err)
		if !bytes.Equal(d.Cert, a.Device.Cert) || !d.Revoked.IsZero() {
			t.Fatalf("Device() = %+v, want %+v", d, a.Device)
		}
	})
	t.Run("CreateAccount_Exists", func(t *testing.T) {
		s := open(t)
		a := newAccount(t, s, "alice")
		b := a
		b.Handle = "other"
		isErr(t, "CreateAccount(same id)", s.CreateAccount(ctx, b), store.ErrExists)
		c := a
		c.ID = random[store.AccountID]()
		isErr(t, "CreateAccount(same handle)", s.CreateAccount(ctx, c), store.ErrExists)
		_, err := s.AccountByHandle(ctx, "other")
		isErr(t, "AccountByHandle(failed)", err, store.ErrNotFound)
	})
	t.Run("CreateAccount_Invalid", func(t *testing.T) {
		s := open(t)
		base := store.NewAccount{
			ID: random[store.AccountID](), Handle: "h", Role: store.RolePatient,
			KeyCard: store.KeyCard{Seq: 1, Signed: []byte{1}}, Device: store.Device{ID: random[store.DeviceID](), Cert: []byte{1}},
			Backup: []byte{1}, OPRFSetup: []byte{1}, Created: t0,
		}
		for name, mod := range map[string]func(a *store.NewAccount){
			"zero id":    func(a *store.NewAccount) { a.ID = store.AccountID{} },
			"no handle":  func(a *store.NewAccount) { a.Handle = "" },
			"bad role":   func(a *store.NewAccount) { a.Role = "root" },
			"card seq 0": func(a *store.NewAccount) { a.KeyCard.Seq = 0 },
			"no card":    func(a *store.NewAccount) { a.KeyCard.Signed = nil },
			"no device":  func(a *store.NewAccount) { a.Device.ID = store.DeviceID{} },
			"no backup":  func(a *store.NewAccount) { a.Backup = nil },
		} {
			a := base
			mod(&a)
			isErr(t, "CreateAccount("+name+")", s.CreateAccount(ctx, a), store.ErrInvalid)
		}
	})
	t.Run("Account_NotFound", func(t *testing.T) {
		s := open(t)
		_, err := s.Account(ctx, random[store.AccountID]())
		isErr(t, "Account(unknown)", err, store.ErrNotFound)
		_, err = s.AccountByHandle(ctx, "nobody")
		isErr(t, "AccountByHandle(unknown)", err, store.ErrNotFound)
		_, err = s.Backup(ctx, random[store.AccountID]())
		isErr(t, "Backup(unknown)", err, store.ErrNotFound)
		isErr(t, "SetAccountStatus(unknown)", s.SetAccountStatus(ctx, random[store.AccountID](), store.StatusSuspended), store.ErrNotFound)
	})
	t.Run("CreateAccount_Invite", func(t *testing.T) {
		s := open(t)
		code := random[store.Hash]()
		ok(t, "PutInvite()", s.PutInvite(ctx, store.Invite{CodeHash: code, Role: store.RoleClinician, Created: t0, Expires: t0.Add(time.Hour)}))
		a := store.NewAccount{
			ID: random[store.AccountID](), Handle: "dr", Role: store.RolePatient,
			KeyCard: store.KeyCard{Seq: 1, Signed: []byte{1}}, Device: store.Device{ID: random[store.DeviceID](), Cert: []byte{1}},
			Backup: []byte{1}, OPRFSetup: []byte{1}, Created: t0, Invite: &code,
		}
		isErr(t, "CreateAccount(invite for another role)", s.CreateAccount(ctx, a), store.ErrNotFound)
		a.Role = store.RoleClinician
		a.Created = t0.Add(2 * time.Hour)
		isErr(t, "CreateAccount(expired invite)", s.CreateAccount(ctx, a), store.ErrNotFound)
		a.Created = t0
		other := newAccount(t, s, "taken")
		a.Handle = other.Handle
		isErr(t, "CreateAccount(taken handle)", s.CreateAccount(ctx, a), store.ErrExists)
		a.Handle = "dr"
		ok(t, "CreateAccount(invite)", s.CreateAccount(ctx, a))
		got, err := s.Account(ctx, a.ID)
		ok(t, "Account()", err)
		if got.Role != store.RoleClinician {
			t.Fatalf("Account().Role = %s, want clinician", got.Role)
		}
		a.ID, a.Handle = random[store.AccountID](), "dr2"
		isErr(t, "CreateAccount(used invite)", s.CreateAccount(ctx, a), store.ErrNotFound)
	})
	t.Run("SetAccountStatus", func(t *testing.T) {
		s := open(t)
		a := newAccount(t, s, "alice")
		sess := session(a)
		ok(t, "PutSession()", s.PutSession(ctx, sess))
		ok(t, "SetAccountStatus(suspended)", s.SetAccountStatus(ctx, a.ID, store.StatusSuspended))
		got, err := s.Account(ctx, a.ID)
		ok(t, "Account()", err)
		if got.Status != store.StatusSuspended {
			t.Fatalf("Account().Status = %s, want suspended", got.Status)
		}
		_, err = s.Session(ctx, sess.TokenHash)
		isErr(t, "Session(after suspend)", err, store.ErrNotFound)
		isErr(t, "PutSession(suspended)", s.PutSession(ctx, session(a)), store.ErrConflict)
		isErr(t, "SetAccountStatus(bogus)", s.SetAccountStatus(ctx, a.ID, "gone"), store.ErrInvalid)
		ok(t, "SetAccountStatus(active)", s.SetAccountStatus(ctx, a.ID, store.StatusActive))
		ok(t, "PutSession(reactivated)", s.PutSession(ctx, session(a)))
	})
	t.Run("UpdateKeyCard", func(t *testing.T) {
		s := open(t)
		a := newAccount(t, s, "alice")
		c2 := store.KeyCard{Seq: 2, Signed: []byte("card two"), Added: t0.Add(time.Hour)}
		ok(t, "UpdateKeyCard(2)", s.UpdateKeyCard(ctx, a.ID, c2))
		isErr(t, "UpdateKeyCard(2 again)", s.UpdateKeyCard(ctx, a.ID, c2), store.ErrConflict)
		isErr(t, "UpdateKeyCard(4)", s.UpdateKeyCard(ctx, a.ID, store.KeyCard{Seq: 4, Signed: []byte("x")}), store.ErrConflict)
		isErr(t, "UpdateKeyCard(unknown)", s.UpdateKeyCard(ctx, random[store.AccountID](), c2), store.ErrNotFound)
		got, err := s.Account(ctx, a.ID)
		ok(t, "Account()", err)
		if got.KeyCard.Seq != 2 || string(got.KeyCard.Signed) != "card two" {
			t.Fatalf("Account().KeyCard = %+v, want seq 2", got.KeyCard)
		}
		cards, err := s.KeyCards(ctx, a.ID, 1)
		ok(t, "KeyCards()", err)
		if len(cards) != 2 || cards[0].Seq != 1 || !bytes.Equal(cards[0].Signed, a.KeyCard.Signed) || cards[1].Seq != 2 {
			t.Fatalf("KeyCards(1) = %+v, want seqs 1 and 2", cards)
		}
		cards, err = s.KeyCards(ctx, a.ID, 2)
		ok(t, "KeyCards(2)", err)
		if len(cards) != 1 || !cards[0].Added.Equal(c2.Added) {
			t.Fatalf("KeyCards(2) = %+v, want seq 2", cards)
		}
	})
	t.Run("UpdateLockout", func(t *testing.T) {
		s := open(t)
		a := newAccount(t, s, "alice")
		const n = 20
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				_, err := s.UpdateLockout(ctx, a.ID, func(l store.Lockout) (store.Lockout, error) {
					l.Failures++
					l.Until = t0.Add(time.Duration(l.Failures) * time.Minute)
					return l, nil
				})
				if err != nil {
					t.Errorf("UpdateLockout() = %v", err)
				}
			})
		}
		wg.Wait()
		stop := errors.New("locked")
		l, err := s.UpdateLockout(ctx, a.ID, func(l store.Lockout) (store.Lockout, error) {
			if l.Failures != n || !l.Until.Equal(t0.Add(n*time.Minute)) {
				t.Errorf("lockout = %+v, want %d failures", l, n)
			}
			return store.Lockout{}, stop
		})
		isErr(t, "UpdateLockout(fn fails)", err, stop)
		l, err = s.UpdateLockout(ctx, a.ID, func(l store.Lockout) (store.Lockout, error) { return l, nil })
		ok(t, "UpdateLockout()", err)
		if l.Failures != n {
			t.Fatalf("UpdateLockout() = %+v after a failed fn, want %d failures", l, n)
		}
		_, err = s.UpdateLockout(ctx, random[store.AccountID](), func(l store.Lockout) (store.Lockout, error) { return l, nil })
		isErr(t, "UpdateLockout(unknown)", err, store.ErrNotFound)
	})
}

func testDevices(t *testing.T, open opener) {
	s := open(t)
	a := newAccount(t, s, "alice")
	d2 := store.Device{ID: random[store.DeviceID](), Cert: []byte("cert 2"), Added: t0.Add(time.Minute)}
	ok(t, "AddDevice()", s.AddDevice(ctx, a.ID, d2))
	isErr(t, "AddDevice(again)", s.AddDevice(ctx, a.ID, d2), store.ErrExists)
	isErr(t, "AddDevice(unknown account)", s.AddDevice(ctx, random[store.AccountID](), d2), store.ErrNotFound)
	isErr(t, "AddDevice(zero id)", s.AddDevice(ctx, a.ID, store.Device{Cert: []byte{1}}), store.ErrInvalid)
	ds, err := s.Devices(ctx, a.ID)
	ok(t, "Devices()", err)
	if len(ds) != 2 {
		t.Fatalf("Devices() = %d devices, want 2", len(ds))
	}
	sess1, sess2 := session(a), session(a)
	sess2.Device = d2.ID
	if d, _ := s.Device(ctx, a.ID, d2.ID); !d.LastSeen.IsZero() {
		t.Fatalf("Device().LastSeen before any session = %v, want zero", d.LastSeen)
	}
	ok(t, "PutSession(device 1)", s.PutSession(ctx, sess1))
	ok(t, "PutSession(device 2)", s.PutSession(ctx, sess2))
	if d, _ := s.Device(ctx, a.ID, d2.ID); !d.LastSeen.Equal(sess2.Created) || string(d.Cert) != "cert 2" {
		t.Fatalf("Device() after PutSession = %+v, want LastSeen %v", d, sess2.Created)
	}
	ok(t, "RevokeDevice()", s.RevokeDevice(ctx, a.ID, d2.ID, []byte("revocation"), t0.Add(time.Hour)))
	got, err := s.Device(ctx, a.ID, d2.ID)
	ok(t, "Device()", err)
	if string(got.Revocation) != "revocation" || !got.Revoked.Equal(t0.Add(time.Hour)) || string(got.Cert) != "cert 2" {
		t.Fatalf("Device() = %+v, want revoked", got)
	}
	_, err = s.Session(ctx, sess2.TokenHash)
	isErr(t, "Session(revoked device)", err, store.ErrNotFound)
	_, err = s.Session(ctx, sess1.TokenHash)
	ok(t, "Session(other device)", err)
	isErr(t, "RevokeDevice(again)", s.RevokeDevice(ctx, a.ID, d2.ID, []byte("r"), t0), store.ErrConflict)
	isErr(t, "RevokeDevice(unknown)", s.RevokeDevice(ctx, a.ID, random[store.DeviceID](), []byte("r"), t0), store.ErrNotFound)
	isErr(t, "PutSession(revoked device)", s.PutSession(ctx, sess2), store.ErrConflict)
	_, err = s.Device(ctx, a.ID, random[store.DeviceID]())
	isErr(t, "Device(unknown)", err, store.ErrNotFound)
}
