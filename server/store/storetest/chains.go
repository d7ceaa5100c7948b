package storetest

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/blindvault/blindvault/server/store"
)

func testChains(t *testing.T, open opener) {
	s := open(t)
	a := newAccount(t, s, "alice")
	b := newAccount(t, s, "bob")
	entry := func(acct store.AccountID, seq uint64) store.ChainEntry {
		return store.ChainEntry{Account: acct, Seq: seq, Entry: []byte(fmt.Sprintf("entry %s %d", acct, seq))}
	}
	ok(t, "AppendChain(1)", s.AppendChain(ctx, entry(a.ID, 1)))
	ok(t, "AppendChain(2, 3, b1)", s.AppendChain(ctx, entry(a.ID, 2), entry(a.ID, 3), entry(b.ID, 1)))
	isErr(t, "AppendChain(3 again)", s.AppendChain(ctx, entry(a.ID, 3)), store.ErrConflict)
	isErr(t, "AppendChain(5)", s.AppendChain(ctx, entry(a.ID, 5)), store.ErrConflict)
	isErr(t, "AppendChain(4, 6)", s.AppendChain(ctx, entry(a.ID, 4), entry(a.ID, 6)), store.ErrConflict)
	isErr(t, "AppendChain(b2, a6)", s.AppendChain(ctx, entry(b.ID, 2), entry(a.ID, 6)), store.ErrConflict)
	isErr(t, "AppendChain(unknown account)", s.AppendChain(ctx, entry(random[store.AccountID](), 1)), store.ErrNotFound)
	isErr(t, "AppendChain(none)", s.AppendChain(ctx), store.ErrInvalid)
	isErr(t, "AppendChain(empty entry)", s.AppendChain(ctx, store.ChainEntry{Account: a.ID, Seq: 4}), store.ErrInvalid)

	es, err := s.Chain(ctx, a.ID, 1, 0)
	ok(t, "Chain()", err)
	if len(es) != 3 {
		t.Fatalf("Chain(a, 1) = %d entries, want 3 (failed appends must add nothing)", len(es))
	}
	for i, e := range es {
		if want := entry(a.ID, uint64(i+1)); e.Seq != want.Seq || e.Account != a.ID || !bytes.Equal(e.Entry, want.Entry) {
			t.Fatalf("Chain(a)[%d] = %+v, want %+v", i, e, want)
		}
	}
	es, _ = s.Chain(ctx, a.ID, 2, 1)
	if len(es) != 1 || es[0].Seq != 2 {
		t.Fatalf("Chain(a, from 2, limit 1) = %+v, want seq 2", es)
	}
	es, _ = s.Chain(ctx, a.ID, 4, 0)
	if len(es) != 0 {
		t.Fatalf("Chain(a, from 4) = %d entries, want 0", len(es))
	}
	es, _ = s.Chain(ctx, b.ID, 0, 0)
	if len(es) != 1 {
		t.Fatalf("Chain(b) = %d entries, want 1", len(es))
	}
	acct, _ := s.Account(ctx, a.ID)
	if acct.ChainSeq != 3 {
		t.Fatalf("Account().ChainSeq = %d, want 3", acct.ChainSeq)
	}
	_, err = s.Chain(ctx, random[store.AccountID](), 1, 0)
	isErr(t, "Chain(unknown)", err, store.ErrNotFound)
}

func testSecrets(t *testing.T, open opener) {
	s := open(t)
	_, err := s.Secret(ctx, "oprf-seed")
	isErr(t, "Secret(missing)", err, store.ErrNotFound)
	ok(t, "PutSecret()", s.PutSecret(ctx, "oprf-seed", []byte("sealed 1")))
	ok(t, "PutSecret(replace)", s.PutSecret(ctx, "oprf-seed", []byte("sealed 2")))
	v, err := s.Secret(ctx, "oprf-seed")
	if err != nil || string(v) != "sealed 2" {
		t.Fatalf("Secret() = %q, %v, want %q", v, err, "sealed 2")
	}
	isErr(t, "PutSecret(no name)", s.PutSecret(ctx, "", []byte("x")), store.ErrInvalid)
	isErr(t, "PutSecret(long name)", s.PutSecret(ctx, string(make([]byte, store.MaxSecretName+1)), []byte("x")), store.ErrInvalid)
	isErr(t, "PutSecret(empty)", s.PutSecret(ctx, "x", nil), store.ErrInvalid)
}
