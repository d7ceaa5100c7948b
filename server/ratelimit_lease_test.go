package server

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/blindvault/blindvault/server/store"
)

// fixedBucket is a shared store.RateLimiter with one bucket that never
// refills: what it gives is all there is.
type fixedBucket struct {
	mu    sync.Mutex
	left  int
	wants []int // n of each take
	gave  int   // takes that gave tokens
}

func (f *fixedBucket) TakeTokens(_ context.Context, _ string, _ float64, _, n int) (int, time.Duration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.wants = append(f.wants, n)
	got := min(n, f.left)
	f.left -= got
	if got == 0 {
		return 0, time.Second, nil
	}
	f.gave++
	return got, 0, nil
}

var _ store.RateLimiter = (*fixedBucket)(nil)

func leasedLimiters(shared store.RateLimiter, lim RateLimit) *limiters {
	l := newLimiters(lim)
	l.shared, l.prefix, l.log = shared, "addr:", slog.New(slog.DiscardHandler)
	return l
}

// A busy key is taken from the shared bucket a few tokens at a time, up to
// an eighth of the burst, and two servers leasing from one bucket let
// through no more than it holds.
func TestLimiters_TakeShared_LeasesNeverOvershoot(t *testing.T) {
	const burst = 160 // leases of up to 20
	bucket := &fixedBucket{left: burst}
	lim := RateLimit{Rate: 1, Burst: burst}
	a, b := leasedLimiters(bucket, lim), leasedLimiters(bucket, lim)
	now := time.Unix(1e9, 0)
	allowed := 0
	for i := range 4 * burst {
		l := a
		if i%3 == 0 {
			l = b
		}
		if ok, _ := l.allow(context.Background(), "10.0.0.1", now); ok {
			allowed++
		}
	}
	if allowed > burst {
		t.Fatalf("allowed through two servers = %d, want at most the bucket's %d", allowed, burst)
	}
	if allowed < burst-2*maxLeaseTokens(lim) {
		t.Errorf("allowed = %d, want at least %d (the bucket less a lease per server)", allowed, burst-2*maxLeaseTokens(lim))
	}
	if bucket.gave > burst/4 {
		t.Errorf("takes that gave tokens = %d for %d tokens, want leases to save most", bucket.gave, burst)
	}
	for _, n := range bucket.wants {
		if n > maxLeaseTokens(lim) {
			t.Fatalf("a take asked for %d tokens, want at most %d", n, maxLeaseTokens(lim))
		}
	}
}

// A key that comes back less often than a lease lives takes one token a
// request and loses none; a lease taken under another limit is not spent
// under this one.
func TestLimiters_TakeShared_QuietKeyTakesOne(t *testing.T) {
	bucket := &fixedBucket{left: 1000}
	lim := RateLimit{Rate: 1, Burst: 800}
	l := leasedLimiters(bucket, lim)
	now := time.Unix(1e9, 0)
	for i := range 10 {
		if ok, _ := l.allow(context.Background(), "10.0.0.2", now); !ok {
			t.Fatalf("request %d refused", i)
		}
		now = now.Add(leaseLife + time.Millisecond)
	}
	for i, n := range bucket.wants {
		if n != 1 {
			t.Fatalf("take %d asked for %d tokens, want 1 for a quiet key", i, n)
		}
	}
	if len(bucket.wants) != 10 || bucket.left != 990 {
		t.Fatalf("takes = %d, left %d; want 10 and 990 (none lost)", len(bucket.wants), bucket.left)
	}
	// Busy now: the lease grows, then a new limit ignores it.
	for range 8 {
		l.allow(context.Background(), "10.0.0.2", now)
	}
	if last := bucket.wants[len(bucket.wants)-1]; last < 2 {
		t.Fatalf("a busy key's last take asked for %d tokens, want more than 1", last)
	}
	takes := len(bucket.wants)
	l.allowWith(context.Background(), "10.0.0.2", RateLimit{Rate: 2, Burst: 800}, now)
	if len(bucket.wants) != takes+1 {
		t.Fatalf("a request under a new limit spent the old limit's lease")
	}
}
