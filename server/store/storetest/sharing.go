package storetest

import (
	"testing"
	"time"

	"github.com/blindvault/blindvault/server/store"
)

func testSharing(t *testing.T, open opener) {
	s := open(t)
	owner := newAccount(t, s, "owner")
	reader := newAccount(t, s, "reader")
	other := newAccount(t, s, "other")
	ownerKey, readerKey, otherKey := random[store.KeyID](), random[store.KeyID](), random[store.KeyID]()
	rec := random[store.RecordID]()
	acl1 := store.ACL{Seq: 1, Hash: random[store.Hash](), Signed: []byte("acl 1"), Created: t0}
	w := version(rec, owner.ID, 1, store.Hash{}, "x", nil)
	w.Sharing = store.Sharing{ACL: &acl1, Grants: []store.Grant{
		{Epoch: 1, Recipient: ownerKey, Account: owner.ID, Signed: []byte("g owner"), Created: t0},
		{Epoch: 1, Recipient: readerKey, Account: reader.ID, Signed: []byte("g reader"), Created: t0},
	}}
	put(t, s, w, nil)

	sharedWith := func(acct store.AccountID) int {
		t.Helper()
		hs, err := s.SharedRecords(ctx, acct, store.RecordID{}, 0)
		ok(t, "SharedRecords()", err)
		return len(hs)
	}
	if n := sharedWith(reader.ID); n != 1 {
		t.Fatalf("SharedRecords(reader) = %d, want 1", n)
	}
	if n := sharedWith(owner.ID); n != 0 {
		t.Fatalf("SharedRecords(owner) = %d, want 0: owners do not share with themselves", n)
	}
	gs, err := s.GrantsFor(ctx, rec, reader.ID)
	ok(t, "GrantsFor()", err)
	if len(gs) != 1 || gs[0].Recipient != readerKey || gs[0].Epoch != 1 || string(gs[0].Signed) != "g reader" || !gs[0].Created.Equal(t0) {
		t.Fatalf("GrantsFor(reader) = %+v", gs)
	}
	if gs, _ := s.GrantsFor(ctx, rec, other.ID); len(gs) != 0 {
		t.Fatalf("GrantsFor(other) = %d grants, want 0", len(gs))
	}
	got, err := s.ACL(ctx, rec, 0)
	ok(t, "ACL(current)", err)
	if got.Seq != 1 || got.Hash != acl1.Hash || string(got.Signed) != "acl 1" || !got.Created.Equal(t0) {
		t.Fatalf("ACL(0) = %+v, want %+v", got, acl1)
	}

	// Share with other; then revoke reader with a new epoch.
	acl2 := store.ACL{Seq: 2, Hash: random[store.Hash](), Signed: []byte("acl 2"), Created: t0.Add(time.Minute)}
	ok(t, "UpdateSharing(share)", s.UpdateSharing(ctx, store.SharingWrite{Record: rec, Owner: owner.ID, Sharing: store.Sharing{
		ACL: &acl2, Grants: []store.Grant{{Epoch: 1, Recipient: otherKey, Account: other.ID, Signed: []byte("g other"), Created: t0}},
	}}))
	isErr(t, "UpdateSharing(acl seq 2 again)", s.UpdateSharing(ctx, store.SharingWrite{Record: rec, Owner: owner.ID,
		Sharing: store.Sharing{ACL: &acl2}}), store.ErrConflict)
	isErr(t, "UpdateSharing(not owner)", s.UpdateSharing(ctx, store.SharingWrite{Record: rec, Owner: reader.ID,
		Sharing: store.Sharing{ACL: &store.ACL{Seq: 3, Signed: []byte("x")}}}), store.ErrConflict)
	isErr(t, "UpdateSharing(grant to unknown account)", s.UpdateSharing(ctx, store.SharingWrite{Record: rec, Owner: owner.ID,
		Sharing: store.Sharing{Grants: []store.Grant{{Epoch: 1, Recipient: random[store.KeyID](), Account: random[store.AccountID](), Signed: []byte("g")}}}}), store.ErrNotFound)
	isErr(t, "UpdateSharing(unknown record)", s.UpdateSharing(ctx, store.SharingWrite{Record: random[store.RecordID](), Owner: owner.ID,
		Sharing: store.Sharing{ACL: &acl2}}), store.ErrNotFound)
	isErr(t, "UpdateSharing(nothing)", s.UpdateSharing(ctx, store.SharingWrite{Record: rec, Owner: owner.ID}), store.ErrInvalid)
	isErr(t, "UpdateSharing(revoke without time)", s.UpdateSharing(ctx, store.SharingWrite{Record: rec, Owner: owner.ID,
		Sharing: store.Sharing{Revoke: []store.KeyID{readerKey}}}), store.ErrInvalid)
	if n := sharedWith(other.ID); n != 1 {
		t.Fatalf("SharedRecords(other) = %d, want 1", n)
	}

	acl3 := store.ACL{Seq: 3, Hash: random[store.Hash](), Signed: []byte("acl 3"), Created: t0.Add(2 * time.Minute)}
	revokedAt := t0.Add(2 * time.Minute)
	ok(t, "UpdateSharing(revoke)", s.UpdateSharing(ctx, store.SharingWrite{Record: rec, Owner: owner.ID, Time: revokedAt,
		Sharing: store.Sharing{ACL: &acl3, Revoke: []store.KeyID{readerKey}, Grants: []store.Grant{
			{Epoch: 2, Recipient: ownerKey, Account: owner.ID, Signed: []byte("g owner 2"), Created: revokedAt},
			{Epoch: 2, Recipient: otherKey, Account: other.ID, Signed: []byte("g other 2"), Created: revokedAt},
		}},
		Chain: []store.ChainEntry{{Account: owner.ID, Seq: 1, Entry: []byte("acl change")}},
	}))
	if n := sharedWith(reader.ID); n != 0 {
		t.Fatalf("SharedRecords(revoked reader) = %d, want 0", n)
	}
	if gs, _ := s.GrantsFor(ctx, rec, reader.ID); len(gs) != 0 {
		t.Fatalf("GrantsFor(revoked reader) = %d grants, want 0", len(gs))
	}
	if gs, _ := s.GrantsFor(ctx, rec, other.ID); len(gs) != 2 {
		t.Fatalf("GrantsFor(other) = %d grants, want epochs 1 and 2", len(gs))
	}
	all, err := s.Grants(ctx, rec)
	ok(t, "Grants()", err)
	if len(all) != 5 {
		t.Fatalf("Grants() = %d grants, want 5", len(all))
	}
	for i, g := range all {
		if (g.Recipient == readerKey) != !g.Revoked.IsZero() || (g.Recipient == readerKey && !g.Revoked.Equal(revokedAt)) {
			t.Fatalf("Grants()[%d] = %+v: only the reader's grant is revoked, at %v", i, g, revokedAt)
		}
		if i > 0 && all[i-1].Epoch > g.Epoch {
			t.Fatalf("Grants() not ordered by epoch")
		}
	}
	h, _ := s.Head(ctx, rec)
	if h.ACLSeq != 3 {
		t.Fatalf("Head().ACLSeq = %d, want 3", h.ACLSeq)
	}
	for seq, want := range map[uint64]string{1: "acl 1", 2: "acl 2", 3: "acl 3", 0: "acl 3"} {
		a, err := s.ACL(ctx, rec, seq)
		ok(t, "ACL()", err)
		if string(a.Signed) != want {
			t.Fatalf("ACL(%d) = %q, want %q", seq, a.Signed, want)
		}
	}
	_, err = s.ACL(ctx, rec, 4)
	isErr(t, "ACL(4)", err, store.ErrNotFound)

	// Sharing again with the reader replaces the revoked grant.
	ok(t, "UpdateSharing(re-share)", s.UpdateSharing(ctx, store.SharingWrite{Record: rec, Owner: owner.ID, Sharing: store.Sharing{
		Grants: []store.Grant{{Epoch: 1, Recipient: readerKey, Account: reader.ID, Signed: []byte("g reader again"), Created: t0}},
	}}))
	if n := sharedWith(reader.ID); n != 1 {
		t.Fatalf("SharedRecords(re-shared reader) = %d, want 1", n)
	}
	ok(t, "Check()", s.Check(ctx))
}
