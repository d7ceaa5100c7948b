package storetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/blindvault/blindvault/server/store"
)

// deletionFixture is an account with records, sharing, sessions, a chain
// and a secret, and a reader who shares with it and reads from it.
type deletionFixture struct {
	s                                 store.Store
	owner, reader                     store.NewAccount
	rec, readerRec                    store.RecordID
	keep, other                       store.Session
	bodyMark, grantMark, receivedMark []byte
	secret                            string
}

func newDeletionFixture(t *testing.T, open opener) *deletionFixture {
	t.Helper()
	f := &deletionFixture{s: open(t), bodyMark: marker(), grantMark: marker(), receivedMark: marker()}
	s := f.s
	f.owner, f.reader = newAccount(t, s, "leaving"), newAccount(t, s, "staying")
	ownerKey, readerKey := random[store.KeyID](), random[store.KeyID]()
	f.rec, f.readerRec = random[store.RecordID](), random[store.RecordID]()
	body := append(append(randBytes(70_000), f.bodyMark...), randBytes(70_000)...)
	w := version(f.rec, f.owner.ID, 1, store.Hash{}, "v", body)
	w.Sharing = store.Sharing{ACL: &store.ACL{Seq: 1, Hash: random[store.Hash](), Signed: []byte("acl"), Created: t0},
		Grants: []store.Grant{
			{Epoch: 1, Recipient: ownerKey, Account: f.owner.ID, Signed: []byte("own grant"), Created: t0},
			{Epoch: 1, Recipient: readerKey, Account: f.reader.ID, Signed: f.grantMark, Created: t0},
		}}
	put(t, s, w, body)
	w2 := version(f.rec, f.owner.ID, 2, w.HeaderHash, "v", body[:1000])
	put(t, s, w2, body[:1000])
	// A record of the reader, shared with the leaving account.
	rw := version(f.readerRec, f.reader.ID, 1, store.Hash{}, "r", []byte("reader's body"))
	rw.Sharing = store.Sharing{ACL: &store.ACL{Seq: 1, Hash: random[store.Hash](), Signed: []byte("racl"), Created: t0},
		Grants: []store.Grant{
			{Epoch: 1, Recipient: readerKey, Account: f.reader.ID, Signed: []byte("reader own"), Created: t0},
			{Epoch: 1, Recipient: ownerKey, Account: f.owner.ID, Signed: f.receivedMark, Created: t0},
		}}
	put(t, s, rw, []byte("reader's body"))
	f.keep, f.other = session(f.owner), session(f.owner)
	ok(t, "PutSession(keep)", s.PutSession(ctx, f.keep))
	ok(t, "PutSession(other)", s.PutSession(ctx, f.other))
	ok(t, "AppendChain()", s.AppendChain(ctx, store.ChainEntry{Account: f.owner.ID, Seq: 1, Entry: []byte("chain entry")}))
	f.secret = "mfa-totp/" + f.owner.ID.String()
	ok(t, "PutSecret()", s.PutSecret(ctx, f.secret, []byte("sealed factor")))
	return f
}

func (f *deletionFixture) readerSees(t *testing.T) int {
	t.Helper()
	gs, err := f.s.GrantsFor(ctx, f.rec, f.reader.ID)
	ok(t, "GrantsFor(reader)", err)
	hs, err := f.s.SharedRecords(ctx, f.reader.ID, store.RecordID{}, 0)
	ok(t, "SharedRecords(reader)", err)
	if len(gs) != len(hs) {
		t.Fatalf("reader holds %d grants in force but SharedRecords lists %d records", len(gs), len(hs))
	}
	return len(gs)
}

func testAccountDeletions(t *testing.T, open opener) {
	t.Run("Schedule_Cancel", func(t *testing.T) {
		f := newDeletionFixture(t, open)
		s, id := f.s, f.owner.ID
		d := store.AccountDeletion{Account: id, Requested: t0.Add(time.Hour), Due: t0.Add(48 * time.Hour)}
		isErr(t, "ScheduleAccountDeletion(unknown)", s.ScheduleAccountDeletion(ctx,
			store.AccountDeletion{Account: random[store.AccountID](), Requested: t0, Due: t0}, store.Hash{}), store.ErrNotFound)
		isErr(t, "ScheduleAccountDeletion(due before requested)", s.ScheduleAccountDeletion(ctx,
			store.AccountDeletion{Account: id, Requested: t0, Due: t0.Add(-time.Second)}, store.Hash{}), store.ErrInvalid)
		ok(t, "ScheduleAccountDeletion()", s.ScheduleAccountDeletion(ctx, d, f.keep.TokenHash))
		isErr(t, "ScheduleAccountDeletion(again)", s.ScheduleAccountDeletion(ctx, d, f.keep.TokenHash), store.ErrConflict)
		got, err := s.AccountDeletion(ctx, id)
		ok(t, "AccountDeletion()", err)
		if got != d {
			t.Fatalf("AccountDeletion() = %+v, want %+v", got, d)
		}
		if _, err := s.Session(ctx, f.keep.TokenHash); err != nil {
			t.Fatalf("Session(kept) = %v, want the session that asked to stay", err)
		}
		_, err = s.Session(ctx, f.other.TokenHash)
		isErr(t, "Session(other)", err, store.ErrNotFound)
		if n := f.readerSees(t); n != 0 {
			t.Fatalf("reader holds %d grants in force after the owner's deletion was scheduled, want 0", n)
		}
		if gs, _ := s.GrantsFor(ctx, f.rec, id); len(gs) != 1 {
			t.Fatalf("GrantsFor(owner) = %d grants, want its own grant kept", len(gs))
		}
		if gs, _ := s.GrantsFor(ctx, f.readerRec, id); len(gs) != 1 {
			t.Fatalf("grants to the leaving account on others' records = %d before purge, want 1", len(gs))
		}
		due, err := s.DueAccountDeletions(ctx, d.Due.Add(-time.Nanosecond))
		ok(t, "DueAccountDeletions(before)", err)
		if len(due) != 0 {
			t.Fatalf("DueAccountDeletions(before due) = %v, want none", due)
		}

		got, err = s.CancelAccountDeletion(ctx, id)
		ok(t, "CancelAccountDeletion()", err)
		if got != d {
			t.Fatalf("CancelAccountDeletion() = %+v, want %+v", got, d)
		}
		if n := f.readerSees(t); n != 1 {
			t.Fatalf("reader holds %d grants in force after cancel, want 1 again", n)
		}
		_, err = s.AccountDeletion(ctx, id)
		isErr(t, "AccountDeletion(cancelled)", err, store.ErrNotFound)
		_, err = s.CancelAccountDeletion(ctx, id)
		isErr(t, "CancelAccountDeletion(again)", err, store.ErrNotFound)
		if _, err := s.Backup(ctx, id); err != nil {
			t.Fatalf("Backup() after cancel = %v", err)
		}
		ok(t, "Check()", s.Check(ctx))
	})
	t.Run("Purge", func(t *testing.T) {
		f := newDeletionFixture(t, open)
		s, id := f.s, f.owner.ID
		d := store.AccountDeletion{Account: id, Requested: t0, Due: t0.Add(time.Hour)}
		purge := store.AccountPurge{Account: id, Purged: d.Due, Secrets: []string{f.secret}}
		_, err := s.PurgeAccount(ctx, purge)
		isErr(t, "PurgeAccount(not scheduled)", err, store.ErrNotFound)
		ok(t, "ScheduleAccountDeletion()", s.ScheduleAccountDeletion(ctx, d, store.Hash{}))
		_, err = s.PurgeAccount(ctx, store.AccountPurge{Account: id, Purged: d.Due.Add(-time.Nanosecond)})
		isErr(t, "PurgeAccount(before due)", err, store.ErrConflict)
		due, err := s.DueAccountDeletions(ctx, d.Due)
		ok(t, "DueAccountDeletions()", err)
		if len(due) != 1 || due[0] != d {
			t.Fatalf("DueAccountDeletions(due) = %+v, want [%+v]", due, d)
		}

		st, err := s.PurgeAccount(ctx, purge)
		ok(t, "PurgeAccount()", err)
		want := store.PurgeStats{Records: 1, Versions: 2, Grants: 3, Devices: 1, Sessions: 0}
		if st != want {
			t.Fatalf("PurgeAccount() = %+v, want %+v", st, want)
		}
		_, err = s.PurgeAccount(ctx, purge)
		isErr(t, "PurgeAccount(again)", err, store.ErrConflict)
		_, err = s.CancelAccountDeletion(ctx, id)
		isErr(t, "CancelAccountDeletion(purged)", err, store.ErrConflict)
		got, err := s.AccountDeletion(ctx, id)
		ok(t, "AccountDeletion(purged)", err)
		if !got.Purged.Equal(purge.Purged) || !got.IsPurged() {
			t.Fatalf("AccountDeletion(purged) = %+v, want Purged %v", got, purge.Purged)
		}
		if due, _ := s.DueAccountDeletions(ctx, d.Due.Add(time.Hour)); len(due) != 0 {
			t.Fatalf("DueAccountDeletions(after purge) = %+v, want none", due)
		}
		for what, err := range map[string]error{
			"Account":         second(s.Account(ctx, id)),
			"AccountByHandle": second(s.AccountByHandle(ctx, f.owner.Handle)),
			"Backup":          second(s.Backup(ctx, id)),
			"Devices":         second(s.Device(ctx, id, f.owner.Device.ID)),
			"Session":         second(s.Session(ctx, f.keep.TokenHash)),
			"Head":            second(s.Head(ctx, f.rec)),
			"Version":         second(s.Version(ctx, f.rec, 1)),
			"Secret":          second(s.Secret(ctx, f.secret)),
			"KeyCards":        second(s.KeyCards(ctx, id, 1)),
		} {
			isErr(t, what+"(purged)", err, store.ErrNotFound)
		}
		if es, err := s.Chain(ctx, id, 1, 0); err == nil && len(es) != 0 {
			t.Fatalf("Chain(purged) = %d entries, want none", len(es))
		}
		if gs, err := s.Grants(ctx, f.readerRec); err != nil || len(gs) != 1 || gs[0].Account != f.reader.ID {
			t.Fatalf("Grants(reader's record) = %+v, %v: want only the reader's own grant", gs, err)
		}
		if got := readBody(t, s, f.readerRec, 1, 0, 13); string(got) != "reader's body" {
			t.Fatalf("reader's own body = %q after the purge of another account", got)
		}
		// The handle is free again.
		newAccount(t, s, f.owner.Handle)
		ok(t, "Compact()", s.Compact(ctx))
		ok(t, "Check()", s.Check(ctx))
		snap := snapshot(t, s)
		for what, m := range map[string][]byte{"body": f.bodyMark, "grant": f.grantMark, "grant received": f.receivedMark,
			"backup": f.owner.Backup, "key card": f.owner.KeyCard.Signed, "device": f.owner.Device.Cert} {
			if bytes.Contains(snap, m) {
				t.Errorf("snapshot after purge and compaction holds the %s", what)
			}
		}
	})
}

func second[T any](_ T, err error) error { return err }
