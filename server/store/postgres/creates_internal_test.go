package postgres

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/blindvault/blindvault/server/store"
)

// TestCommitter_Run_BulkCreates runs batches of creates by hand: creates
// that all succeed go in one statement, with their bodies, ACLs and grants;
// a create of a record that exists fails alone inside that statement, with
// nothing of it stored; and a batch whose statement fails (two creates of
// one record, an unknown owner, a grant to no one) runs again write by
// write, each failure its own write's, the others committed. The log
// holds the entries of the committed writes only, in batch order.
func TestCommitter_Run_BulkCreates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, owner := storeWithAccount(t)
	type created struct {
		v    store.VersionWrite
		body []byte
	}
	var logged [][]byte
	create := func(rec store.RecordID, owner, holder store.AccountID, tag string) (*request, created) {
		body := []byte(tag + " body of " + rec.String())
		header := []byte(tag + " header of " + rec.String())
		v := store.VersionWrite{
			Record: rec, Owner: owner, Author: owner, Version: 1,
			HeaderHash: sha256.Sum256(header), Header: header, Leaves: make([]byte, 32),
			BodySize: int64(len(body)), Created: time.Now(),
			Sharing: store.Sharing{
				ACL:    &store.ACL{Seq: 1, Hash: sha256.Sum256([]byte(tag + " acl")), Signed: []byte(tag + " acl"), Created: time.Now()},
				Grants: []store.Grant{{Epoch: 1, Recipient: random32(), Account: holder, Signed: []byte(tag + " grant"), Created: time.Now()}},
			},
		}
		up, err := s.receive(ctx, bytes.NewReader(body), v.BodySize)
		if err != nil {
			t.Fatalf("receive() = %v", err)
		}
		cr := bulkCreation(v, up)
		if cr == nil {
			t.Fatalf("bulkCreation(%s) = nil, want a creation", tag)
		}
		r := &request{
			plan:   func(ctx context.Context, q stmts) error { return s.createRecord(ctx, q, v, up) },
			create: cr,
			log:    &store.LogBatch{Entries: [][]byte{[]byte(tag)}},
		}
		return r, created{v, body}
	}
	run := func(name string, batch []*request, want []error) {
		t.Helper()
		for _, r := range runBatch(t, s, name, batch, want) {
			logged = append(logged, r.log.Entries...)
		}
	}
	// stored checks that c is stored as written: head, version, body, ACL
	// and grant.
	stored := func(c created) {
		t.Helper()
		h, err := s.Head(ctx, c.v.Record)
		if err != nil || h.Version != 1 || h.HeaderHash != c.v.HeaderHash || h.ACLSeq != 1 || h.Owner != c.v.Owner {
			t.Errorf("Head(%s) = %+v, %v; want version 1 of %x", c.v.Record, h, err, c.v.HeaderHash)
			return
		}
		if r, err := s.OpenBody(ctx, c.v.Record, 1, 0, c.v.BodySize); err != nil {
			t.Errorf("OpenBody(%s) = %v", c.v.Record, err)
		} else {
			got, err := io.ReadAll(r)
			r.Close()
			if err != nil || !bytes.Equal(got, c.body) {
				t.Errorf("body of %s = %q, %v; want %q", c.v.Record, got, err, c.body)
			}
		}
		if a, err := s.ACL(ctx, c.v.Record, 0); err != nil || !bytes.Equal(a.Signed, c.v.Sharing.ACL.Signed) {
			t.Errorf("ACL(%s) = %q, %v; want %q", c.v.Record, a.Signed, err, c.v.Sharing.ACL.Signed)
		}
		gs, err := s.Grants(ctx, c.v.Record)
		if err != nil || len(gs) != 1 || !bytes.Equal(gs[0].Signed, c.v.Sharing.Grants[0].Signed) {
			t.Errorf("Grants(%s) = %+v, %v; want the one written", c.v.Record, gs, err)
		}
	}
	absent := func(rec store.RecordID) {
		t.Helper()
		if _, err := s.Head(ctx, rec); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Head(%s) = %v, want ErrNotFound", rec, err)
		}
	}

	// All succeed: in bulk.
	a, b, c := store.RecordID(random32()), store.RecordID(random32()), store.RecordID(random32())
	ra, ca := create(a, owner, owner, "a")
	rb, cb := create(b, owner, owner, "b")
	run("all new", []*request{ra, rb}, []error{nil, nil})
	stored(ca)
	stored(cb)
	if got := s.c.bulk.Load(); got != 2 {
		t.Fatalf("creates stored in bulk = %d, want 2", got)
	}

	// A create of a record that exists fails alone, still in bulk.
	rc, cc := create(c, owner, owner, "c")
	ra2, _ := create(a, owner, owner, "a again")
	rd, cd := create(store.RecordID(random32()), owner, owner, "d")
	run("one exists", []*request{rc, ra2, rd}, []error{nil, store.ErrConflict, nil})
	stored(ca) // unchanged: not a's second header, body, ACL or grant
	stored(cc)
	stored(cd)
	if got := s.c.bulk.Load(); got != 4 {
		t.Fatalf("creates stored in bulk = %d, want 4", got)
	}

	// Batches the statement cannot take: each runs again write by write.
	e, f := store.RecordID(random32()), store.RecordID(random32())
	re, ce := create(e, owner, owner, "e")
	re2, _ := create(e, owner, owner, "e twice")
	rf, cf := create(f, owner, owner, "f")
	run("two creates of one record", []*request{re, re2, rf}, []error{nil, store.ErrConflict, nil})
	stored(ce)
	stored(cf)

	g, x, h := store.RecordID(random32()), store.RecordID(random32()), store.RecordID(random32())
	rg, cg := create(g, owner, owner, "g")
	rx, _ := create(x, store.AccountID(random32()), owner, "unknown owner")
	rh, ch := create(h, owner, owner, "h")
	run("an unknown owner", []*request{rg, rx, rh}, []error{nil, store.ErrNotFound, nil})
	stored(cg)
	stored(ch)
	absent(x)

	i, y, j := store.RecordID(random32()), store.RecordID(random32()), store.RecordID(random32())
	ri, ci := create(i, owner, owner, "i")
	ry, _ := create(y, owner, store.AccountID(random32()), "grant to no one")
	rj, cj := create(j, owner, owner, "j")
	run("a grant to no one", []*request{ri, ry, rj}, []error{nil, store.ErrNotFound, nil})
	stored(ci)
	stored(cj)
	absent(y)
	if got := s.c.bulk.Load(); got != 4 {
		t.Errorf("creates stored in bulk = %d, want still 4 (the last three batches ran write by write)", got)
	}

	entries, err := s.LogEntries(ctx, 0, 0)
	if err != nil {
		t.Fatalf("LogEntries() = %v", err)
	}
	if got, want := fmt.Sprintf("%q", entries), fmt.Sprintf("%q", logged); got != want {
		t.Errorf("LogEntries() = %s, want %s", got, want)
	}
}
