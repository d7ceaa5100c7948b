package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/blindvault/blindvault/server/store"
)

func testConcurrency(t *testing.T, open opener) {
	t.Run("PutVersion_DistinctRecords", func(t *testing.T) {
		s := open(t)
		a := newAccount(t, s, "alice")
		const writers, versions = 16, 8
		recs := make([]store.RecordID, writers)
		var wg sync.WaitGroup
		for i := range recs {
			recs[i] = random[store.RecordID]()
			wg.Go(func() {
				prev := store.Hash{}
				for v := uint64(1); v <= versions; v++ {
					body := []byte(fmt.Sprintf("body %d %d", i, v))
					w := version(recs[i], a.ID, v, prev, "x", body)
					if err := s.PutVersion(ctx, w, bytes.NewReader(body)); err != nil {
						t.Errorf("PutVersion(writer %d, version %d) = %v", i, v, err)
						return
					}
					prev = w.HeaderHash
				}
			})
		}
		wg.Wait()
		for i, rec := range recs {
			h, err := s.Head(ctx, rec)
			if err != nil || h.Version != versions {
				t.Fatalf("Head(writer %d) = %+v, %v, want version %d", i, h, err, versions)
			}
			if got := readBody(t, s, rec, 3, 0, int64(len(fmt.Sprintf("body %d 3", i)))); string(got) != fmt.Sprintf("body %d 3", i) {
				t.Fatalf("body of writer %d version 3 = %q", i, got)
			}
		}
	})
	t.Run("PutVersion_SameVersion_OneWins", func(t *testing.T) {
		s := open(t)
		a := newAccount(t, s, "alice")
		rec := random[store.RecordID]()
		w1 := version(rec, a.ID, 1, store.Hash{}, "x", nil)
		put(t, s, w1, nil)
		const n = 32
		errs := make([]error, n)
		ws := make([]store.VersionWrite, n)
		var wg sync.WaitGroup
		for i := range n {
			body := []byte(fmt.Sprintf("contender %d", i))
			ws[i] = version(rec, a.ID, 2, w1.HeaderHash, fmt.Sprint(i), body)
			wg.Go(func() { errs[i] = s.PutVersion(ctx, ws[i], bytes.NewReader(body)) })
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Fatalf("PutVersion(contender %d) = nil, but contender %d already won", i, winner)
			case err == nil:
				winner = i
			case !errors.Is(err, store.ErrConflict):
				t.Fatalf("PutVersion(contender %d) = %v, want nil or ErrConflict", i, err)
			}
		}
		if winner < 0 {
			t.Fatalf("no contender won version 2")
		}
		h, _ := s.Head(ctx, rec)
		if h.Version != 2 || h.HeaderHash != ws[winner].HeaderHash {
			t.Fatalf("Head() = %+v, want contender %d's header", h, winner)
		}
		if got := readBody(t, s, rec, 2, 0, int64(len(fmt.Sprintf("contender %d", winner)))); string(got) != fmt.Sprintf("contender %d", winner) {
			t.Fatalf("version 2 body = %q, want contender %d's", got, winner)
		}
		ok(t, "Check()", s.Check(ctx))
	})
	t.Run("PutVersion_Race_OneWinnerPerVersion", func(t *testing.T) {
		s := open(t)
		a := newAccount(t, s, "alice")
		rec := random[store.RecordID]()
		const writers, target = 8, 30
		var mu sync.Mutex
		wins := map[uint64]int{}
		var wg sync.WaitGroup
		for i := range writers {
			wg.Go(func() {
				for {
					h, err := s.Head(ctx, rec)
					var prev store.Hash
					next := uint64(1)
					if err == nil {
						prev, next = h.HeaderHash, h.Version+1
					} else if !isNotFound(err) {
						t.Errorf("Head() = %v", err)
						return
					}
					if next > target {
						return
					}
					err = s.PutVersion(ctx, version(rec, a.ID, next, prev, fmt.Sprint(i), nil), bytes.NewReader(nil))
					switch {
					case err == nil:
						mu.Lock()
						wins[next]++
						mu.Unlock()
					case !errors.Is(err, store.ErrConflict):
						t.Errorf("PutVersion(%d) = %v, want nil or ErrConflict", next, err)
						return
					}
				}
			})
		}
		wg.Wait()
		for v := uint64(1); v <= target; v++ {
			if wins[v] != 1 {
				t.Fatalf("version %d won %d times, want once", v, wins[v])
			}
			cur, err := s.Version(ctx, rec, v)
			ok(t, "Version()", err)
			if v > 1 {
				prev, _ := s.Version(ctx, rec, v-1)
				if cur.PrevHash != prev.HeaderHash {
					t.Fatalf("version %d does not chain to version %d", v, v-1)
				}
			}
		}
	})
	t.Run("AppendChain_Race", func(t *testing.T) {
		s := open(t)
		a := newAccount(t, s, "alice")
		const writers, target = 8, 40
		var wg sync.WaitGroup
		for i := range writers {
			wg.Go(func() {
				for {
					acct, err := s.Account(ctx, a.ID)
					if err != nil {
						t.Errorf("Account() = %v", err)
						return
					}
					if acct.ChainSeq >= target {
						return
					}
					e := store.ChainEntry{Account: a.ID, Seq: acct.ChainSeq + 1, Entry: []byte(fmt.Sprint(i))}
					if err := s.AppendChain(ctx, e); err != nil && !errors.Is(err, store.ErrConflict) {
						t.Errorf("AppendChain() = %v", err)
						return
					}
				}
			})
		}
		wg.Wait()
		es, err := s.Chain(ctx, a.ID, 1, 0)
		if err != nil || len(es) != target {
			t.Fatalf("Chain() = %d entries, %v, want %d", len(es), err, target)
		}
		for i, e := range es {
			if e.Seq != uint64(i+1) {
				t.Fatalf("Chain()[%d].Seq = %d", i, e.Seq)
			}
		}
	})
	t.Run("PutVersion_LargeAndSmall", func(t *testing.T) {
		s := open(t)
		a := newAccount(t, s, "alice")
		type job struct {
			rec  store.RecordID
			body []byte
		}
		var jobs []job
		for i := range 34 {
			n := 4096
			if i < 2 {
				n = bigBody
			}
			jobs = append(jobs, job{random[store.RecordID](), randBytes(n)})
		}
		var wg sync.WaitGroup
		for _, j := range jobs {
			wg.Go(func() {
				if err := s.PutVersion(ctx, version(j.rec, a.ID, 1, store.Hash{}, "x", j.body), bytes.NewReader(j.body)); err != nil {
					t.Errorf("PutVersion(%d bytes) = %v", len(j.body), err)
				}
			})
		}
		wg.Wait()
		for _, j := range jobs {
			if got := readBody(t, s, j.rec, 1, 0, int64(len(j.body))); !bytes.Equal(got, j.body) {
				t.Fatalf("body of %d bytes differs", len(j.body))
			}
		}
		ok(t, "Check()", s.Check(ctx))
	})
}
