package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/blindvault/blindvault/internal/testenv"
	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/server/store/postgres"
)

// twoStores opens two Stores (two servers) on one new schema.
func twoStores(t *testing.T) [2]*postgres.Store {
	t.Helper()
	url := testenv.SharedPostgres(t).NewSchema(t)
	var ss [2]*postgres.Store
	for i := range ss {
		s, err := postgres.Open(context.Background(), url, nil)
		if err != nil {
			t.Fatalf("Open() = %v", err)
		}
		t.Cleanup(func() { s.Close() })
		ss[i] = s
	}
	return ss
}

// Two Stores on one database (two servers) take from one bucket per key:
// together they get one burst, then one token per interval.
func TestStore_RateLimitShared(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ss := twoStores(t)
	const rate, burst, interval = 0.5, 5, 2 * time.Second // a token every 2 s
	take := func(i int, key string) (bool, time.Duration) {
		t.Helper()
		n, wait, err := ss[i%2].TakeTokens(ctx, key, rate, burst, 1)
		if err != nil || n > 1 {
			t.Fatalf("TakeTokens(1) = %d, %v", n, err)
		}
		return n == 1, wait
	}
	for i := range burst {
		if ok, _ := take(i, "account:alice"); !ok {
			t.Fatalf("token %d of the burst refused", i)
		}
	}
	var wait time.Duration
	for i := range 2 {
		var ok bool
		if ok, wait = take(i, "account:alice"); ok || wait <= 0 || wait > interval {
			t.Fatalf("a token past the burst through store %d = %v, wait %v; want refused, wait at most %v", i, ok, wait, interval)
		}
	}
	if ok, _ := take(0, "account:bob"); !ok {
		t.Fatalf("another key's bucket is not its own")
	}
	time.Sleep(wait)
	if ok, wait := take(1, "account:alice"); !ok {
		t.Fatalf("a token refused once one is due (wait %v more)", wait)
	}
	if ok, _ := take(0, "account:alice"); ok {
		t.Fatalf("a second token in one interval was taken")
	}
	// A full bucket again holds nothing worth keeping: Sweep drops it.
	if _, err := ss[0].Sweep(ctx, time.Now().Add(time.Hour)); err != nil {
		t.Fatalf("Sweep() = %v", err)
	}
	if ok, _ := take(0, "account:alice"); !ok {
		t.Fatalf("a token refused after Sweep")
	}
	if _, _, err := ss[0].TakeTokens(ctx, "k", 0, 1, 1); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("TakeTokens(rate 0) = %v, want ErrInvalid", err)
	}
	if _, _, err := ss[0].TakeTokens(ctx, "k", 1, 1, 0); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("TakeTokens(n 0) = %v, want ErrInvalid", err)
	}
}

// Taking several tokens at once takes what the bucket holds, up to the
// number asked, from the bucket both Stores share: never more than one
// burst in all, then one token per interval.
func TestStore_TakeTokens_Several(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ss := twoStores(t)
	const rate, burst, interval = 0.5, 10, 2 * time.Second
	take := func(i, n int) (int, time.Duration) {
		t.Helper()
		got, wait, err := ss[i%2].TakeTokens(ctx, "addr:one", rate, burst, n)
		if err != nil {
			t.Fatalf("TakeTokens(%d) = %v", n, err)
		}
		return got, wait
	}
	// A new bucket is full: 4 of 10, then 4 through the other Store, then
	// the 2 left of 4 asked.
	for i, want := range []int{4, 4, 2} {
		if got, wait := take(i, 4); got != want || wait != 0 {
			t.Fatalf("take %d of 4 = %d, wait %v; want %d, no wait", i, got, wait, want)
		}
	}
	got, wait := take(1, 4)
	if got != 0 || wait <= 0 || wait > interval {
		t.Fatalf("take past the burst = %d, wait %v; want 0, wait at most %v", got, wait, interval)
	}
	time.Sleep(wait)
	if got, _ := take(0, 4); got != 1 {
		t.Fatalf("take once a token is due = %d, want 1", got)
	}
	// Asking for more than a whole burst takes the burst.
	if got, _, err := ss[0].TakeTokens(ctx, "addr:two", rate, burst, 100); err != nil || got != burst {
		t.Fatalf("take 100 of a new bucket of %d = %d, %v; want %d", burst, got, err, burst)
	}
}

// BenchmarkTakeToken measures the statement each rate-limited request costs
// (docs/benchmarks.md): one UPSERT on an unlogged table, from 1 and 64
// concurrent callers, over distinct keys (addresses) or one (an account).
func BenchmarkTakeToken(b *testing.B) {
	pg := testenv.StartPostgres(b, nil) // durable, as the write benchmarks
	s := benchOpen(b, pg.NewDatabase(b), nil)
	for _, keys := range []string{"distinct", "one"} {
		for _, callers := range []int{1, 64} {
			b.Run(fmt.Sprintf("keys=%s/callers=%d", keys, callers), func(b *testing.B) {
				var next atomic.Int64
				b.ResetTimer()
				var wg sync.WaitGroup
				for range callers {
					wg.Go(func() {
						for {
							i := next.Add(1)
							if i > int64(b.N) {
								return
							}
							key := "account:one"
							if keys == "distinct" {
								key = fmt.Sprintf("addr:%d", i)
							}
							if _, _, err := s.TakeTokens(context.Background(), key, 1e6, 1e6, 1); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				wg.Wait()
			})
		}
	}
}
