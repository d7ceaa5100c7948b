package postgres

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/blindvault/blindvault/internal/testenv"
	"github.com/blindvault/blindvault/server/store"
)

// TestCommitter_Run_PipelineFailsAlone runs one batch by hand, in a known
// order: planned creates that succeed, conflict with an earlier write of
// the same batch, fail a statement (an unknown owner: the pipeline stops
// there) or fail a check after the fact (a chain entry out of sequence),
// around an interactive write. Each failed write must fail alone, with
// nothing of it visible; the others commit with their log entries, in one
// sequence.
func TestCommitter_Run_PipelineFailsAlone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, owner := storeWithAccount(t)
	create := func(rec store.RecordID, owner store.AccountID, chain ...store.ChainEntry) *request {
		body := []byte("body of " + rec.String())
		header := random32()
		v := store.VersionWrite{
			Record: rec, Owner: owner, Author: owner, Version: 1,
			HeaderHash: sha256.Sum256(header[:]), Header: header[:], Leaves: make([]byte, 32),
			BodySize: int64(len(body)), Created: time.Now(), Chain: chain,
		}
		up, err := s.receive(ctx, bytes.NewReader(body), v.BodySize)
		if err != nil {
			t.Fatalf("receive() = %v", err)
		}
		return &request{
			plan: func(ctx context.Context, q stmts) error { return s.createRecord(ctx, q, v, up) },
			log:  &store.LogBatch{Entries: [][]byte{[]byte("create " + rec.String())}},
		}
	}
	a, c, d, e := store.RecordID(random32()), store.RecordID(random32()), store.RecordID(random32()), store.RecordID(random32())
	update := &request{
		fn: func(ctx context.Context, tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE heads SET updated = updated + 1 WHERE record = $1`, a[:])
			return err
		},
		log: &store.LogBatch{Entries: [][]byte{[]byte("touch a"), []byte("touch a again")}},
	}
	batch := []*request{
		create(a, owner),
		create(a, owner),                       // a exists: conflict
		create(c, store.AccountID(random32())), // unknown owner: a failed statement
		update,
		create(d, owner, store.ChainEntry{Account: owner, Seq: 99, Entry: []byte("x")}), // a failed check
		create(e, owner),
	}
	want := []error{nil, store.ErrConflict, store.ErrNotFound, nil, store.ErrConflict, nil}
	runBatch(t, s, "batch", batch, want)
	for _, x := range []struct {
		rec  store.RecordID
		want error
	}{{a, nil}, {c, store.ErrNotFound}, {d, store.ErrNotFound}, {e, nil}} {
		if _, err := s.Head(ctx, x.rec); !errors.Is(err, x.want) {
			t.Errorf("Head(%s) = %v, want %v", x.rec, err, x.want)
		}
	}
	if got := batch[0].log.First; got != 0 {
		t.Errorf("first entry of write 0 = %d, want 0", got)
	}
	if got := batch[3].log.First; got != 1 {
		t.Errorf("first entry of write 3 = %d, want 1", got)
	}
	if got := batch[5].log.First; got != 3 {
		t.Errorf("first entry of write 5 = %d, want 3", got)
	}
	entries, err := s.LogEntries(ctx, 0, 0)
	if err != nil {
		t.Fatalf("LogEntries() = %v", err)
	}
	got := fmt.Sprintf("%q", entries)
	wantLog := fmt.Sprintf("%q", [][]byte{[]byte("create " + a.String()), []byte("touch a"), []byte("touch a again"), []byte("create " + e.String())})
	if got != wantLog {
		t.Errorf("LogEntries() = %s, want %s", got, wantLog)
	}
}

// runBatch runs batch as one group commit and checks each write's error
// against want (nil: it succeeded); it returns the writes that succeeded.
func runBatch(t *testing.T, s *Store, name string, batch []*request, want []error) []*request {
	t.Helper()
	for _, r := range batch {
		r.ctx, r.done = context.Background(), make(chan error, 1)
	}
	s.c.run(batch)
	var ok []*request
	for i, r := range batch {
		err := mapErr(<-r.done)
		if want[i] == nil && err != nil || want[i] != nil && !errors.Is(err, want[i]) {
			t.Errorf("%s: write %d = %v, want %v", name, i, err, want[i])
		}
		if err == nil {
			ok = append(ok, r)
		}
	}
	return ok
}

// storeWithAccount opens a Store on a new schema with one account.
func storeWithAccount(t *testing.T) (*Store, store.AccountID) {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, testenv.SharedPostgres(t).NewSchema(t), nil)
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	t.Cleanup(func() { s.Close() })
	owner := store.AccountID(random32())
	err = s.CreateAccount(ctx, store.NewAccount{
		ID: owner, Handle: owner.String(), Role: store.RolePatient,
		KeyCard: store.KeyCard{Seq: 1, Signed: []byte("card"), Added: time.Now()},
		Device:  store.Device{ID: random32(), Cert: []byte("cert"), Added: time.Now()},
		Backup:  []byte("backup"), OPRFSetup: []byte("oprf"), Created: time.Now(),
	})
	if err != nil {
		t.Fatalf("CreateAccount() = %v", err)
	}
	return s, owner
}

func random32() [32]byte {
	var b [32]byte
	rand.Read(b[:])
	return b
}

// TestStore_AppendLog_EdgeAcrossStores appends from two Stores on one
// database in turn, some appends in a row from one (its cached right edge
// used) and some after the other's (its edge stale), and checks the tree
// against one computed from the entries alone, and each Store's cache of the
// hashes it appended.
func TestStore_AppendLog_EdgeAcrossStores(t *testing.T) {
	t.Parallel()
	pg := testenv.SharedPostgres(t)
	ctx := context.Background()
	url := pg.NewSchema(t)
	var stores [2]*Store
	for i := range stores {
		s, err := Open(ctx, url, nil)
		if err != nil {
			t.Fatalf("Open() = %v", err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	var hashes []tlog.Hash
	mem := memHashes(&hashes)
	n := int64(0)
	for round, who := range []int{0, 0, 0, 1, 1, 0, 1, 0, 0, 1, 1, 1} {
		if round == 9 {
			// As after Import or Restore, or a migration from schema 7: the edge
			// in log_head is not known.
			if _, err := stores[0].pool.Exec(ctx, `UPDATE log_head SET edge = NULL`); err != nil {
				t.Fatal(err)
			}
		}
		var entries [][]byte
		for k := range round%5 + 1 {
			entries = append(entries, fmt.Appendf(nil, "entry %d.%d", round, k))
		}
		first, err := stores[who].AppendLog(ctx, entries...)
		if err != nil || first != n {
			t.Fatalf("AppendLog(round %d) = %d, %v, want %d", round, first, err, n)
		}
		written := int64(len(hashes))
		for _, e := range entries {
			hs, err := tlog.StoredHashes(n, e, mem)
			if err != nil {
				t.Fatal(err)
			}
			hashes = append(hashes, hs...)
			n++
		}
		// The receipts of these entries read the hashes just written from
		// the appender's cache, not the database: they must be there, and
		// right.
		// So must the tree's right edge where they were appended, with
		// which they are proven included, even if another Store wrote it.
		for _, x := range append(edgeIndexes(first), seq(written, int64(len(hashes)))...) {
			if got, ok := stores[who].hashes.get(x); !ok || got != hashes[x] {
				t.Errorf("round %d: cached hash %d = %v, %v; want %v", round, x, got, ok, hashes[x])
			}
		}
	}
	// Appends right after the same Store's own are one statement (rounds
	// 1, 2, 4, 8, 10, 11); the others are two, and take the edge from
	// log_head, except round 9's, which finds none and reads the hashes.
	if got := stores[0].predicted.Load() + stores[1].predicted.Load(); got != 6 {
		t.Errorf("appends in one statement = %d, want 6", got)
	}
	if got := stores[0].edgeReads.Load() + stores[1].edgeReads.Load(); got != 1 {
		t.Errorf("appends that read the edge's hashes = %d, want 1", got)
	}
	want, err := tlog.TreeHash(n, mem)
	if err != nil {
		t.Fatal(err)
	}
	err = stores[1].LogView(ctx, func(size int64, r tlog.HashReader) error {
		got, err := tlog.TreeHash(size, r)
		if err != nil {
			return err
		}
		if size != n || got != want {
			t.Errorf("LogView() = size %d, tree %v; want %d, %v", size, got, n, want)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("LogView() = %v", err)
	}
}

// memHashes reads stored hashes from *hashes, which the caller appends to.
func memHashes(hashes *[]tlog.Hash) tlog.HashReaderFunc {
	return func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = (*hashes)[x]
		}
		return out, nil
	}
}

// seq is from, from+1, …, to-1.
func seq(from, to int64) []int64 {
	var xs []int64
	for x := from; x < to; x++ {
		xs = append(xs, x)
	}
	return xs
}

// TestStore_Check_LogEdge: Check accepts the edge appends keep in log_head
// and refuses one that does not match the entries.
func TestStore_Check_LogEdge(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := storeWithAccount(t)
	for i := range 6 {
		if _, err := s.AppendLog(ctx, fmt.Appendf(nil, "entry %d", i)); err != nil {
			t.Fatalf("AppendLog() = %v", err)
		}
	}
	if err := s.Check(ctx); err != nil {
		t.Fatalf("Check() = %v", err)
	}
	// Size 6: two complete subtrees on the edge, 64 bytes; flip one bit.
	if _, err := s.pool.Exec(ctx, `UPDATE log_head SET edge = set_byte(edge, 40, get_byte(edge, 40) # 1)`); err != nil {
		t.Fatal(err)
	}
	if err := s.Check(ctx); err == nil || !strings.Contains(err.Error(), "right edge") {
		t.Fatalf("Check(edge altered) = %v, want the edge named", err)
	}
}
