package bolt

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/blindvault/blindvault/server/store"
)

func openInternal(t *testing.T, opts *Options) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "store.db"), opts)
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// hold blocks the committer until the returned func is called, so that the
// requests queued meanwhile form one batch.
func hold(t *testing.T, s *Store) (release func()) {
	t.Helper()
	started, stop := make(chan struct{}), make(chan struct{})
	go s.c.exclusive(context.Background(), func() error {
		close(started)
		<-stop
		return nil
	})
	<-started
	return func() { close(stop) }
}

func secret(t *testing.T, s *Store, name string) string {
	t.Helper()
	v, err := s.Secret(context.Background(), name)
	if errors.Is(err, store.ErrNotFound) {
		return ""
	}
	if err != nil {
		t.Fatalf("Secret(%q) = %v", name, err)
	}
	return string(v)
}

// One request of a batch fails after writing: it fails alone, and the others
// commit as if it had never been queued.
func TestCommitter_DirtyFailure_FailsAlone(t *testing.T) {
	s := openInternal(t, nil)
	ctx := context.Background()
	release := hold(t, s)
	boom := errors.New("boom")
	fns := map[string]func(w *writeTx) error{
		"a": func(w *writeTx) error { return w.put(bSecrets, []byte("a"), []byte("1")) },
		"dirty": func(w *writeTx) error {
			if err := w.put(bSecrets, []byte("dirty"), []byte("x")); err != nil {
				return err
			}
			return boom
		},
		"clean": func(w *writeTx) error { return store.ErrConflict },
		"b":     func(w *writeTx) error { return w.put(bSecrets, []byte("b"), []byte("2")) },
	}
	order := []string{"a", "dirty", "clean", "b"}
	reqs := map[string]*request{}
	for _, name := range order {
		reqs[name] = newRequest(ctx, 10, fns[name])
		if err := s.c.submit(reqs[name]); err != nil {
			t.Fatalf("submit(%s) = %v", name, err)
		}
	}
	before := s.CommitStats()
	release()
	want := map[string]error{"a": nil, "dirty": boom, "clean": store.ErrConflict, "b": nil}
	for _, name := range order {
		if err := reqs[name].wait(); !errors.Is(err, want[name]) || (want[name] == nil && err != nil) {
			t.Fatalf("request %s = %v, want %v", name, err, want[name])
		}
	}
	if got := secret(t, s, "a") + secret(t, s, "b") + secret(t, s, "dirty"); got != "12" {
		t.Fatalf("stored %q, want a=1 and b=2 and no trace of the failed request", got)
	}
	st := s.CommitStats()
	if st.Commits-before.Commits != 1 {
		t.Fatalf("%d commits for one batch, want 1", st.Commits-before.Commits)
	}
	if st.PageWrites <= before.PageWrites || st.Busy <= before.Busy {
		t.Fatalf("commit stats %+v after %+v: a commit that wrote must count its pages and its time", st, before)
	}
}

// A caller that gives up while its write is still queued withdraws it.
func TestCommitter_CanceledWhileQueued_NotApplied(t *testing.T) {
	s := openInternal(t, nil)
	release := hold(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.PutSecret(ctx, "late", []byte("x")) }()
	for len(s.c.queue) == 0 {
		runtime.Gosched() // until the write is queued behind the held committer
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("PutSecret(canceled) = %v, want context.Canceled", err)
	}
	release()
	if err := s.PutSecret(context.Background(), "next", []byte("y")); err != nil {
		t.Fatalf("PutSecret() = %v", err)
	}
	if v := secret(t, s, "late"); v != "" {
		t.Fatalf("withdrawn write was applied: %q", v)
	}
}

// Concurrent writers share commits.
func TestCommitter_GroupCommit(t *testing.T) {
	s := openInternal(t, nil)
	const writers, each = 32, 20
	before := s.CommitStats()
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			for j := range each {
				if err := s.PutSecret(context.Background(), fmt.Sprint(i, "/", j), []byte("v")); err != nil {
					t.Errorf("PutSecret() = %v", err)
				}
			}
		})
	}
	wg.Wait()
	st := s.CommitStats()
	commits, writes := st.Commits-before.Commits, st.Writes-before.Writes
	if writes != writers*each || commits*2 > writes {
		t.Fatalf("%d writes in %d commits, want %d writes sharing commits", writes, commits, writers*each)
	}
	t.Logf("%d writes in %d commits", writes, commits)
}

// A batch never exceeds BatchBytes, so a transaction's dirty pages stay
// bounded.
func TestCommitter_BatchBytes(t *testing.T) {
	s := openInternal(t, &Options{PieceSize: 1 << 10, StageBytes: 4 << 10, BatchBytes: 4 << 10})
	release := hold(t, s)
	var txIDs []int
	var mu sync.Mutex
	var reqs []*request
	for range 10 {
		r := newRequest(context.Background(), 3<<10, func(w *writeTx) error {
			mu.Lock()
			txIDs = append(txIDs, w.tx.ID())
			mu.Unlock()
			return w.put(bSecrets, []byte("k"), []byte("v"))
		})
		if err := s.c.submit(r); err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, r)
	}
	release()
	for _, r := range reqs {
		if err := r.wait(); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[int]int{}
	for _, id := range txIDs {
		seen[id]++
	}
	for id, n := range seen {
		if n > 1 {
			t.Fatalf("transaction %d carried %d requests of 3 KiB with a 4 KiB bound", id, n)
		}
	}
}
