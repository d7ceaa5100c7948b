package storetest

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/blindvault/blindvault/server/store"
)

func testMaintenance(t *testing.T, open opener) {
	t.Run("Sweep", func(t *testing.T) {
		s := open(t)
		a := newAccount(t, s, "alice")
		live, idle, old := session(a), session(a), session(a)
		idle.IdleExpiry = t0.Add(time.Minute)
		old.AbsoluteExpiry, old.IdleExpiry = t0.Add(2*time.Minute), t0.Add(2*time.Minute)
		for _, x := range []store.Session{live, idle, old} {
			ok(t, "PutSession()", s.PutSession(ctx, x))
		}
		keep := store.Invite{CodeHash: random[store.Hash](), Role: store.RoleAdmin, Created: t0, Expires: t0.Add(time.Hour)}
		drop := store.Invite{CodeHash: random[store.Hash](), Role: store.RoleAdmin, Created: t0, Expires: t0.Add(time.Minute)}
		ok(t, "PutInvite()", s.PutInvite(ctx, keep))
		ok(t, "PutInvite()", s.PutInvite(ctx, drop))
		st, err := s.Sweep(ctx, t0.Add(5*time.Minute))
		ok(t, "Sweep()", err)
		if st.Sessions != 2 || st.Invites != 1 || st.Uploads != 0 {
			t.Fatalf("Sweep() = %+v, want 2 sessions and 1 invite", st)
		}
		if _, err := s.Session(ctx, live.TokenHash); err != nil {
			t.Fatalf("Session(live) = %v after Sweep", err)
		}
		for _, x := range []store.Session{idle, old} {
			_, err := s.Session(ctx, x.TokenHash)
			isErr(t, "Session(expired)", err, store.ErrNotFound)
		}
		_, err = s.ConsumeInvite(ctx, keep.CodeHash, t0)
		ok(t, "ConsumeInvite(kept)", err)
		st, err = s.Sweep(ctx, t0.Add(5*time.Minute))
		if err != nil || st != (store.SweepStats{}) {
			t.Fatalf("Sweep(again) = %+v, %v, want nothing", st, err)
		}
		ok(t, "Check()", s.Check(ctx))
	})
	t.Run("Snapshot_RoundTrip", func(t *testing.T) {
		s := open(t)
		ids := populate(t, s)
		want := dump(t, s, ids)
		snap := snapshot(t, s)
		ok(t, "Check()", s.Check(ctx))

		s2 := open(t)
		newAccount(t, s2, "overwritten")
		ok(t, "Restore()", s2.Restore(ctx, bytes.NewReader(snap)))
		if got := dump(t, s2, ids); got != want {
			t.Fatalf("restored store differs:\n%s", diffLines(got, want))
		}
		if _, err := s2.AccountByHandle(ctx, "overwritten"); !isNotFound(err) {
			t.Fatalf("AccountByHandle(pre-restore account) = %v, want ErrNotFound", err)
		}
		ok(t, "Check(restored)", s2.Check(ctx))
		// The restored store takes writes.
		newAccount(t, s2, "after restore")
	})
	t.Run("Restore_Garbage", func(t *testing.T) {
		s := open(t)
		ids := populate(t, s)
		want := dump(t, s, ids)
		for _, bad := range [][]byte{nil, []byte("not a snapshot"), randBytes(1 << 16), snapshot(t, s)[:8192]} {
			if err := s.Restore(ctx, bytes.NewReader(bad)); err == nil {
				t.Fatalf("Restore(%d bytes of garbage) = nil, want an error", len(bad))
			}
		}
		if got := dump(t, s, ids); got != want {
			t.Fatalf("store changed after failed restores:\n%s", diffLines(got, want))
		}
	})
	t.Run("DeleteRecord_Compact_Purges", func(t *testing.T) {
		s := open(t)
		a := newAccount(t, s, "alice")
		b := newAccount(t, s, "bob")
		mark := marker()
		body := bytes.Repeat(mark, bigBody/len(mark))
		rec := random[store.RecordID]()
		w := version(rec, a.ID, 1, store.Hash{}, "x", body)
		w.Header = append(append([]byte{}, w.Header...), mark...)
		w.HeaderHash = hashOf(w.Header)
		w.Leaves = bytes.Repeat(mark, 10)[:32*(len(mark)*10/32)]
		w.Sharing = store.Sharing{
			ACL:    &store.ACL{Seq: 1, Hash: random[store.Hash](), Signed: mark, Created: t0},
			Grants: []store.Grant{{Epoch: 1, Recipient: random[store.KeyID](), Account: b.ID, Signed: mark, Created: t0}},
		}
		put(t, s, w, body)
		w2 := version(rec, a.ID, 2, w.HeaderHash, "x", body[:4096])
		put(t, s, w2, body[:4096])
		keep := random[store.RecordID]()
		keepBody := randBytes(bigBody)
		put(t, s, version(keep, a.ID, 1, store.Hash{}, "x", keepBody), keepBody)
		if bytes.Count(snapshot(t, s), mark) == 0 {
			t.Logf("the backend does not store the marker in plain; the purge check below proves less")
		}
		ok(t, "DeleteRecord()", s.DeleteRecord(ctx, store.Deletion{Record: rec, Owner: a.ID, Deleted: t0}))
		ok(t, "Compact()", s.Compact(ctx))
		if n := bytes.Count(snapshot(t, s), mark); n != 0 {
			t.Fatalf("snapshot after delete and compact holds the marker %d times, want 0", n)
		}
		if got := readBody(t, s, keep, 1, 0, int64(len(keepBody))); !bytes.Equal(got, keepBody) {
			t.Fatalf("kept body differs after Compact")
		}
		ok(t, "Check()", s.Check(ctx))
		// Writes work after the swap.
		put(t, s, version(random[store.RecordID](), a.ID, 1, store.Hash{}, "x", []byte("after")), []byte("after"))
	})
	t.Run("Close", func(t *testing.T) {
		s := open(t)
		a := newAccount(t, s, "alice")
		rec := random[store.RecordID]()
		body := randBytes(bigBody)
		put(t, s, version(rec, a.ID, 1, store.Hash{}, "x", body), body)
		r, err := s.OpenBody(ctx, rec, 1, 0, int64(len(body)))
		ok(t, "OpenBody()", err)
		ok(t, "Close()", s.Close())
		ok(t, "Close(again)", s.Close())
		_, err = s.Account(ctx, a.ID)
		isErr(t, "Account(closed)", err, store.ErrClosed)
		isErr(t, "PutSecret(closed)", s.PutSecret(ctx, "x", []byte("y")), store.ErrClosed)
		isErr(t, "PutVersion(closed)", s.PutVersion(ctx, version(random[store.RecordID](), a.ID, 1, store.Hash{}, "x", nil), bytes.NewReader(nil)), store.ErrClosed)
		if _, err := r.Read(make([]byte, 10)); err == nil {
			t.Fatalf("Read(body of closed store) = nil, want an error")
		}
		r.Close()
	})
}

// ids names everything populate wrote, for dump.
type ids struct {
	accounts []store.AccountID
	handles  []string
	sessions []store.Hash
	records  []store.RecordID
	secrets  []string
}

// populate writes one of everything.
func populate(t *testing.T, s store.Store) ids {
	t.Helper()
	var out ids
	a, b := newAccount(t, s, "alice"), newAccount(t, s, "bob")
	out.accounts = []store.AccountID{a.ID, b.ID}
	out.handles = []string{"alice", "bob"}
	ok(t, "UpdateKeyCard()", s.UpdateKeyCard(ctx, a.ID, store.KeyCard{Seq: 2, Signed: []byte("card 2"), Added: t0}))
	d := store.Device{ID: random[store.DeviceID](), Cert: []byte("cert"), Added: t0}
	ok(t, "AddDevice()", s.AddDevice(ctx, a.ID, d))
	ok(t, "RevokeDevice()", s.RevokeDevice(ctx, a.ID, d.ID, []byte("rev"), t0))
	x := session(a)
	ok(t, "PutSession()", s.PutSession(ctx, x))
	out.sessions = []store.Hash{x.TokenHash}
	_, err := s.UpdateLockout(ctx, a.ID, func(l store.Lockout) (store.Lockout, error) {
		return store.Lockout{Failures: 3, Until: t0}, nil
	})
	ok(t, "UpdateLockout()", err)
	ok(t, "PutSecret()", s.PutSecret(ctx, "seed", []byte("sealed")))
	out.secrets = []string{"seed"}
	for i := range 3 {
		rec := random[store.RecordID]()
		out.records = append(out.records, rec)
		body := randBytes([]int{0, 5000, bigBody}[i])
		w := version(rec, a.ID, 1, store.Hash{}, "x", body)
		w.Sharing = store.Sharing{
			ACL:    &store.ACL{Seq: 1, Hash: random[store.Hash](), Signed: []byte("acl"), Created: t0},
			Grants: []store.Grant{{Epoch: 1, Recipient: random[store.KeyID](), Account: b.ID, Signed: []byte("g"), Created: t0}},
		}
		w.Chain = []store.ChainEntry{{Account: a.ID, Seq: uint64(i + 1), Entry: []byte(fmt.Sprint("entry ", i))}}
		put(t, s, w, body)
		w2 := version(rec, a.ID, 2, w.HeaderHash, "x", body)
		put(t, s, w2, body)
	}
	ok(t, "DeleteRecord()", s.DeleteRecord(ctx, store.Deletion{Record: out.records[0], Owner: a.ID, Deleted: t0}))
	return out
}

// dump renders everything readable about ids as text.
func dump(t *testing.T, s store.Store, ids ids) string {
	t.Helper()
	var b strings.Builder
	p := func(what string, v any, err error) { fmt.Fprintf(&b, "%s: %+v err=%v\n", what, v, err) }
	for _, id := range ids.accounts {
		acct, err := s.Account(ctx, id)
		p("account", acct, err)
		cards, err := s.KeyCards(ctx, id, 0)
		p("cards", cards, err)
		ds, err := s.Devices(ctx, id)
		p("devices", ds, err)
		bk, err := s.Backup(ctx, id)
		p("backup", bk, err)
		l, err := s.UpdateLockout(ctx, id, func(l store.Lockout) (store.Lockout, error) { return l, nil })
		p("lockout", l, err)
		es, err := s.Chain(ctx, id, 0, 0)
		p("chain", es, err)
		owned, err := s.OwnedRecords(ctx, id, store.RecordID{}, 0)
		p("owned", owned, err)
		shared, err := s.SharedRecords(ctx, id, store.RecordID{}, 0)
		p("shared", shared, err)
	}
	for _, h := range ids.handles {
		acct, err := s.AccountByHandle(ctx, h)
		p("by handle", acct.ID, err)
	}
	for _, h := range ids.sessions {
		x, err := s.Session(ctx, h)
		p("session", x, err)
	}
	for _, name := range ids.secrets {
		v, err := s.Secret(ctx, name)
		p("secret", v, err)
	}
	for _, rec := range ids.records {
		h, err := s.Head(ctx, rec)
		p("head", h, err)
		for v := uint64(1); v <= h.Version; v++ {
			ver, err := s.Version(ctx, rec, v)
			p("version", ver, err)
			leaves, err := s.Leaves(ctx, rec, v)
			p("leaves", leaves, err)
			if err == nil {
				p("body", hashOf(readBody(t, s, rec, v, 0, ver.BodySize)), nil)
			}
		}
		for seq := uint64(0); seq <= h.ACLSeq; seq++ {
			a, err := s.ACL(ctx, rec, seq)
			p("acl", a, err)
		}
		gs, err := s.Grants(ctx, rec)
		p("grants", gs, err)
	}
	return b.String()
}

// diffLines shows the first differing line of two dumps.
func diffLines(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range min(len(g), len(w)) {
		if g[i] != w[i] {
			return fmt.Sprintf("got  %s\nwant %s", g[i], w[i])
		}
	}
	return fmt.Sprintf("got %d lines, want %d", len(g), len(w))
}

// Fill writes one of everything to s and returns a function that renders all
// of it as text, so that a backend can check that an operation of its own (a
// migration, a repair) keeps a store's contents exactly.
func Fill(t *testing.T, s store.Store) (dumpAll func(store.Store) string) {
	t.Helper()
	ids := populate(t, s)
	return func(s store.Store) string { return dump(t, s, ids) }
}
