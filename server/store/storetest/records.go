package storetest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/blindvault/blindvault/server/store"
)

func testRecords(t *testing.T, open opener) {
	t.Run("PutVersion_Chain", func(t *testing.T) {
		s := open(t)
		a := newAccount(t, s, "alice")
		rec := random[store.RecordID]()
		b1, b2 := randBytes(5000), randBytes(7000)
		w1 := version(rec, a.ID, 1, store.Hash{}, "x", b1)
		put(t, s, w1, b1)
		w2 := version(rec, a.ID, 2, w1.HeaderHash, "x", b2)
		put(t, s, w2, b2)
		h, err := s.Head(ctx, rec)
		ok(t, "Head()", err)
		if h.Record != rec || h.Owner != a.ID || h.Version != 2 || h.HeaderHash != w2.HeaderHash ||
			!h.Created.Equal(w1.Created) || !h.Updated.Equal(w2.Created) || h.IsDeleted() || h.ACLSeq != 0 {
			t.Fatalf("Head() = %+v", h)
		}
		for _, w := range []store.VersionWrite{w1, w2} {
			v, err := s.Version(ctx, rec, w.Version)
			ok(t, "Version()", err)
			if v.Record != rec || v.Version != w.Version || v.HeaderHash != w.HeaderHash || v.PrevHash != w.PrevHash ||
				v.Author != a.ID || !bytes.Equal(v.Header, w.Header) || v.BodySize != w.BodySize ||
				v.LeavesSize != int64(len(w.Leaves)) || !v.Created.Equal(w.Created) {
				t.Fatalf("Version(%d) = %+v", w.Version, v)
			}
			leaves, err := s.Leaves(ctx, rec, w.Version)
			ok(t, "Leaves()", err)
			if !bytes.Equal(leaves, w.Leaves) {
				t.Fatalf("Leaves(%d) differ", w.Version)
			}
		}
		if got := readBody(t, s, rec, 1, 0, int64(len(b1))); !bytes.Equal(got, b1) {
			t.Fatalf("body of version 1 differs")
		}
		if got := readBody(t, s, rec, 2, 0, int64(len(b2))); !bytes.Equal(got, b2) {
			t.Fatalf("body of version 2 differs")
		}
		_, err = s.Version(ctx, rec, 3)
		isErr(t, "Version(3)", err, store.ErrNotFound)
		_, err = s.Head(ctx, random[store.RecordID]())
		isErr(t, "Head(unknown)", err, store.ErrNotFound)
	})
	t.Run("PutVersion_Conflict", func(t *testing.T) {
		s := open(t)
		a := newAccount(t, s, "alice")
		b := newAccount(t, s, "bob")
		rec := random[store.RecordID]()
		body := []byte("body")
		w1 := version(rec, a.ID, 1, store.Hash{}, "x", body)
		isErr(t, "PutVersion(2 of nothing)", s.PutVersion(ctx, version(rec, a.ID, 2, random[store.Hash](), "x", body), bytes.NewReader(body)), store.ErrConflict)
		put(t, s, w1, body)
		w2 := version(rec, a.ID, 2, w1.HeaderHash, "x", body)
		put(t, s, w2, body)
		for name, w := range map[string]store.VersionWrite{
			"version 1 again":    version(rec, a.ID, 1, store.Hash{}, "y", body),
			"stale prev":         version(rec, a.ID, 3, w1.HeaderHash, "y", body),
			"random prev":        version(rec, a.ID, 3, random[store.Hash](), "y", body),
			"same version again": version(rec, a.ID, 2, w1.HeaderHash, "y", body),
			"another owner":      version(rec, b.ID, 3, w2.HeaderHash, "y", body),
		} {
			isErr(t, "PutVersion("+name+")", s.PutVersion(ctx, w, bytes.NewReader(body)), store.ErrConflict)
		}
		isErr(t, "PutVersion(version 4 on head 2)", s.PutVersion(ctx, version(rec, a.ID, 4, w2.HeaderHash, "y", body), bytes.NewReader(body)), store.ErrInvalid)
		h, _ := s.Head(ctx, rec)
		if h.Version != 2 || h.HeaderHash != w2.HeaderHash {
			t.Fatalf("Head() = %+v after failed writes, want version 2", h)
		}
	})
	t.Run("PutVersion_Invalid", func(t *testing.T) {
		s := open(t)
		a := newAccount(t, s, "alice")
		rec := random[store.RecordID]()
		body := []byte("body")
		for name, mod := range map[string]func(w *store.VersionWrite){
			"zero record":        func(w *store.VersionWrite) { w.Record = store.RecordID{} },
			"zero owner":         func(w *store.VersionWrite) { w.Owner = store.AccountID{} },
			"zero author":        func(w *store.VersionWrite) { w.Author = store.AccountID{} },
			"version 0":          func(w *store.VersionWrite) { w.Version = 0 },
			"version 1 w/ prev":  func(w *store.VersionWrite) { w.PrevHash = random[store.Hash]() },
			"no header":          func(w *store.VersionWrite) { w.Header = nil },
			"zero header hash":   func(w *store.VersionWrite) { w.HeaderHash = store.Hash{} },
			"odd leaves":         func(w *store.VersionWrite) { w.Leaves = w.Leaves[:31] },
			"body size mismatch": func(w *store.VersionWrite) { w.BodySize = 3 },
			"zero chain seq":     func(w *store.VersionWrite) { w.Chain = []store.ChainEntry{{Account: a.ID, Entry: []byte{1}}} },
		} {
			w := version(rec, a.ID, 1, store.Hash{}, "x", body)
			mod(&w)
			isErr(t, "PutVersion("+name+")", s.PutVersion(ctx, w, bytes.NewReader(body)), store.ErrInvalid)
		}
		w := version(rec, a.ID, 1, store.Hash{}, "x", body)
		w.BodySize = 1 << 40
		isErr(t, "PutVersion(1 TiB declared)", s.PutVersion(ctx, w, bytes.NewReader(body)), store.ErrTooLarge)
		w = version(rec, random[store.AccountID](), 1, store.Hash{}, "x", body)
		isErr(t, "PutVersion(unknown owner)", s.PutVersion(ctx, w, bytes.NewReader(body)), store.ErrNotFound)
		_, err := s.Head(ctx, rec)
		isErr(t, "Head(after invalid writes)", err, store.ErrNotFound)
	})
	t.Run("PutVersion_UnknownSize", func(t *testing.T) {
		s := open(t)
		a := newAccount(t, s, "alice")
		rec := random[store.RecordID]()
		body := randBytes(3000)
		w := version(rec, a.ID, 1, store.Hash{}, "x", body)
		w.BodySize = -1
		put(t, s, w, body)
		v, err := s.Version(ctx, rec, 1)
		ok(t, "Version()", err)
		if v.BodySize != 3000 {
			t.Fatalf("BodySize = %d, want 3000", v.BodySize)
		}
	})
	t.Run("PutVersion_CanceledContext", func(t *testing.T) {
		s := open(t)
		a := newAccount(t, s, "alice")
		rec := random[store.RecordID]()
		c, cancel := context.WithCancel(ctx)
		cancel()
		isErr(t, "PutVersion(canceled)", s.PutVersion(c, version(rec, a.ID, 1, store.Hash{}, "x", nil), bytes.NewReader(nil)), context.Canceled)
		_, err := s.Head(ctx, rec)
		isErr(t, "Head()", err, store.ErrNotFound)
	})
	t.Run("PutVersion_EmptyBodies", func(t *testing.T) {
		// An update may empty a body or fill an empty one (PostgreSQL
		// writes such updates in one statement, the chunk only if any).
		s := open(t)
		a := newAccount(t, s, "alice")
		rec := random[store.RecordID]()
		w1 := version(rec, a.ID, 1, store.Hash{}, "x", []byte("first"))
		put(t, s, w1, []byte("first"))
		w2 := version(rec, a.ID, 2, w1.HeaderHash, "x", nil)
		put(t, s, w2, nil)
		w3 := version(rec, a.ID, 3, w2.HeaderHash, "x", []byte("third"))
		put(t, s, w3, []byte("third"))
		if got := readBody(t, s, rec, 2, 0, 0); len(got) != 0 {
			t.Fatalf("body of version 2 = %q, want none", got)
		}
		if got := readBody(t, s, rec, 3, 0, 5); string(got) != "third" {
			t.Fatalf("body of version 3 = %q, want third", got)
		}
		ok(t, "Check()", s.Check(ctx))
	})
	t.Run("PutVersion_Chain_Atomic", func(t *testing.T) {
		s := open(t)
		a := newAccount(t, s, "alice")
		rec := random[store.RecordID]()
		w := version(rec, a.ID, 1, store.Hash{}, "x", nil)
		w.Chain = []store.ChainEntry{{Account: a.ID, Seq: 2, Entry: []byte("e")}}
		isErr(t, "PutVersion(chain gap)", s.PutVersion(ctx, w, bytes.NewReader(nil)), store.ErrConflict)
		if _, err := s.Head(ctx, rec); !isNotFound(err) {
			t.Fatalf("Head() = %v after a failed chain append, want ErrNotFound", err)
		}
		w.Chain[0].Seq = 1
		put(t, s, w, nil)
		w2 := version(rec, a.ID, 2, random[store.Hash](), "x", nil)
		w2.Chain = []store.ChainEntry{{Account: a.ID, Seq: 2, Entry: []byte("e2")}}
		isErr(t, "PutVersion(stale)", s.PutVersion(ctx, w2, bytes.NewReader(nil)), store.ErrConflict)
		es, err := s.Chain(ctx, a.ID, 1, 0)
		ok(t, "Chain()", err)
		if len(es) != 1 || string(es[0].Entry) != "e" {
			t.Fatalf("Chain() = %+v, want only the first entry", es)
		}
	})
	t.Run("OwnedRecords", func(t *testing.T) {
		s := open(t)
		a := newAccount(t, s, "alice")
		b := newAccount(t, s, "bob")
		want := map[store.RecordID]bool{}
		for range 5 {
			rec := random[store.RecordID]()
			want[rec] = true
			put(t, s, version(rec, a.ID, 1, store.Hash{}, "x", nil), nil)
		}
		put(t, s, version(random[store.RecordID](), b.ID, 1, store.Hash{}, "x", nil), nil)
		var got []store.Head
		var after store.RecordID
		for {
			page, err := s.OwnedRecords(ctx, a.ID, after, 2)
			ok(t, "OwnedRecords()", err)
			if len(page) > 2 {
				t.Fatalf("OwnedRecords(limit 2) = %d heads", len(page))
			}
			if len(page) == 0 {
				break
			}
			got = append(got, page...)
			after = page[len(page)-1].Record
		}
		if len(got) != 5 {
			t.Fatalf("OwnedRecords() = %d heads over all pages, want 5", len(got))
		}
		for i, h := range got {
			if !want[h.Record] || h.Owner != a.ID || (i > 0 && bytes.Compare(got[i-1].Record[:], h.Record[:]) >= 0) {
				t.Fatalf("OwnedRecords() returned %s out of order or not owned", h.Record)
			}
		}
		none, err := s.OwnedRecords(ctx, random[store.AccountID](), store.RecordID{}, 0)
		if err != nil || len(none) != 0 {
			t.Fatalf("OwnedRecords(nobody) = %v, %v, want empty", none, err)
		}
	})
	t.Run("DeleteRecord", func(t *testing.T) {
		s := open(t)
		a := newAccount(t, s, "alice")
		b := newAccount(t, s, "bob")
		rec := random[store.RecordID]()
		w1 := version(rec, a.ID, 1, store.Hash{}, "x", []byte("one"))
		w1.Sharing = store.Sharing{
			ACL:    &store.ACL{Seq: 1, Hash: random[store.Hash](), Signed: []byte("acl"), Created: t0},
			Grants: []store.Grant{{Epoch: 1, Recipient: random[store.KeyID](), Account: b.ID, Signed: []byte("g"), Created: t0}},
		}
		put(t, s, w1, []byte("one"))
		w2 := version(rec, a.ID, 2, w1.HeaderHash, "x", []byte("two"))
		put(t, s, w2, []byte("two"))
		del := store.Deletion{Record: rec, Owner: b.ID, Deleted: t0.Add(time.Hour)}
		isErr(t, "DeleteRecord(not owner)", s.DeleteRecord(ctx, del), store.ErrConflict)
		del.Owner = a.ID
		del.Chain = []store.ChainEntry{{Account: a.ID, Seq: 5, Entry: []byte("tombstone")}}
		isErr(t, "DeleteRecord(chain gap)", s.DeleteRecord(ctx, del), store.ErrConflict)
		if got := readBody(t, s, rec, 2, 0, 3); string(got) != "two" {
			t.Fatalf("body after a failed delete = %q, want %q", got, "two")
		}
		del.Chain[0].Seq = 1
		ok(t, "DeleteRecord()", s.DeleteRecord(ctx, del))
		h, err := s.Head(ctx, rec)
		ok(t, "Head(deleted)", err)
		if !h.IsDeleted() || !h.Deleted.Equal(del.Deleted) || h.Version != 2 || h.HeaderHash != w2.HeaderHash {
			t.Fatalf("Head(deleted) = %+v, want a tombstone at version 2", h)
		}
		for v := uint64(1); v <= 2; v++ {
			_, err = s.Version(ctx, rec, v)
			isErr(t, "Version(deleted)", err, store.ErrNotFound)
			_, err = s.Leaves(ctx, rec, v)
			isErr(t, "Leaves(deleted)", err, store.ErrNotFound)
			_, err = s.OpenBody(ctx, rec, v, 0, 0)
			isErr(t, "OpenBody(deleted)", err, store.ErrNotFound)
		}
		gs, err := s.GrantsFor(ctx, rec, b.ID)
		if err == nil && len(gs) != 0 {
			t.Fatalf("GrantsFor(deleted) = %d grants, want none", len(gs))
		}
		_, err = s.ACL(ctx, rec, 1)
		isErr(t, "ACL(deleted)", err, store.ErrNotFound)
		shared, err := s.SharedRecords(ctx, b.ID, store.RecordID{}, 0)
		if err != nil || len(shared) != 0 {
			t.Fatalf("SharedRecords(after delete) = %v, %v, want empty", shared, err)
		}
		owned, err := s.OwnedRecords(ctx, a.ID, store.RecordID{}, 0)
		if err != nil || len(owned) != 1 || !owned[0].IsDeleted() {
			t.Fatalf("OwnedRecords(after delete) = %v, %v, want the tombstone", owned, err)
		}
		es, _ := s.Chain(ctx, a.ID, 1, 0)
		if len(es) != 1 || string(es[0].Entry) != "tombstone" {
			t.Fatalf("Chain() = %+v, want the tombstone entry", es)
		}
		isErr(t, "DeleteRecord(again)", s.DeleteRecord(ctx, store.Deletion{Record: rec, Owner: a.ID, Deleted: t0}), store.ErrNotFound)
		isErr(t, "PutVersion(deleted)", s.PutVersion(ctx, version(rec, a.ID, 3, w2.HeaderHash, "x", nil), bytes.NewReader(nil)), store.ErrConflict)
		isErr(t, "PutVersion(1 on deleted)", s.PutVersion(ctx, version(rec, a.ID, 1, store.Hash{}, "x", nil), bytes.NewReader(nil)), store.ErrConflict)
		isErr(t, "UpdateSharing(deleted)", s.UpdateSharing(ctx, store.SharingWrite{Record: rec, Owner: a.ID,
			Sharing: store.Sharing{ACL: &store.ACL{Seq: 2, Signed: []byte("a")}}}), store.ErrNotFound)
		isErr(t, "DeleteRecord(unknown)", s.DeleteRecord(ctx, store.Deletion{Record: random[store.RecordID](), Owner: a.ID, Deleted: t0}), store.ErrNotFound)
		isErr(t, "DeleteRecord(no time)", s.DeleteRecord(ctx, store.Deletion{Record: rec, Owner: a.ID}), store.ErrInvalid)
	})
}
