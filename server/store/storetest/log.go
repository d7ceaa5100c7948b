package storetest

import (
	"bytes"
	"fmt"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/blindvault/blindvault/server/store"
)

// testLog checks the transparency log: appends on their own and riding on
// writes (all or nothing), reads, and a tree whose hashes prove every entry.
func testLog(t *testing.T, open opener) {
	s := open(t)
	a := newAccount(t, s, "alice")
	entry := func(i int) []byte { return []byte(fmt.Sprintf("log entry %d", i)) }

	first, err := s.AppendLog(ctx, entry(0), entry(1))
	ok(t, "AppendLog(0, 1)", err)
	if first != 0 {
		t.Fatalf("AppendLog first = %d, want 0", first)
	}
	b := &store.LogBatch{Entries: [][]byte{entry(2)}}
	ok(t, "AppendChain with a log batch",
		s.AppendChain(store.WithLog(ctx, b), store.ChainEntry{Account: a.ID, Seq: 1, Entry: []byte("e1")}))
	if b.First != 2 || b.Size != 3 {
		t.Fatalf("LogBatch First, Size = %d, %d, want 2, 3", b.First, b.Size)
	}
	// The receipt's tree: the size the batch committed into, read without
	// asking the log its size.
	ok(t, "LogViewAt(3)", s.LogViewAt(ctx, b.Size, func(size int64, hr tlog.HashReader) error {
		root, err := tlog.TreeHash(size, hr)
		if err != nil {
			return err
		}
		p, err := tlog.ProveRecord(size, 2, hr)
		if err != nil {
			return err
		}
		return tlog.CheckRecord(p, size, root, 2, tlog.RecordHash(entry(2)))
	}))
	if err := s.LogViewAt(ctx, 9, func(size int64, hr tlog.HashReader) error {
		_, err := tlog.TreeHash(size, hr)
		return err
	}); err == nil {
		t.Fatal("LogViewAt past the log's end succeeded")
	}
	// A write that fails appends nothing to the log either.
	failed := &store.LogBatch{Entries: [][]byte{[]byte("never")}}
	isErr(t, "AppendChain(stale seq) with a log batch",
		s.AppendChain(store.WithLog(ctx, failed), store.ChainEntry{Account: a.ID, Seq: 1, Entry: []byte("again")}), store.ErrConflict)
	first, err = s.AppendLog(ctx, entry(3))
	ok(t, "AppendLog(3)", err)
	if first != 3 {
		t.Fatalf("AppendLog first = %d, want 3 (the failed write must not have logged)", first)
	}

	es, err := s.LogEntries(ctx, 1, 2)
	ok(t, "LogEntries(1, 2)", err)
	if len(es) != 2 || !bytes.Equal(es[0], entry(1)) || !bytes.Equal(es[1], entry(2)) {
		t.Fatalf("LogEntries(1, 2) = %q", es)
	}
	if es, _ := s.LogEntries(ctx, 4, 10); len(es) != 0 {
		t.Fatalf("LogEntries past the end = %d entries", len(es))
	}
	ok(t, "LogView", s.LogView(ctx, func(size int64, hr tlog.HashReader) error {
		if size != 4 {
			t.Fatalf("log size %d, want 4", size)
		}
		root, err := tlog.TreeHash(size, hr)
		if err != nil {
			return err
		}
		for i := range size {
			p, err := tlog.ProveRecord(size, i, hr)
			if err != nil {
				return err
			}
			if err := tlog.CheckRecord(p, size, root, i, tlog.RecordHash(entry(int(i)))); err != nil {
				t.Fatalf("entry %d does not prove: %v", i, err)
			}
		}
		return nil
	}))

	// A version whose body streams in over several transactions logs its
	// entries once, with the change that links the body, not with each piece.
	body := randBytes(bigBody)
	b = &store.LogBatch{Entries: [][]byte{entry(4)}}
	ok(t, "PutVersion(large body) with a log batch",
		s.PutVersion(store.WithLog(ctx, b), version(random[store.RecordID](), a.ID, 1, store.Hash{}, "logged", body), bytes.NewReader(body)))
	if b.First != 4 {
		t.Fatalf("LogBatch.First = %d, want 4", b.First)
	}
	ok(t, "LogView", s.LogView(ctx, func(size int64, _ tlog.HashReader) error {
		if size != 5 {
			t.Fatalf("log size %d after a large logged version, want 5: one entry, not one per piece", size)
		}
		return nil
	}))
}
