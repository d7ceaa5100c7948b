package server

import (
	"context"
	"time"
)

// Leases of shared tokens. With buckets in a shared store, every request
// paid a statement per limiter on the database (two per authenticated
// request), and a busy key (one address behind which many clients sit) was
// one row every request of every server updated. So a server takes a
// busy key's tokens a few at a time (store.RateLimiter.TakeTokens) and
// spends them itself: a lease.
//
// A lease holds tokens the shared bucket gave: what goes through never
// exceeds the bucket's limit, across any number of servers. What a lease
// costs is the other way: tokens one server holds are not another's, so a
// client whose requests alternate between servers may be refused while up
// to a lease's worth of tokens per other server sits unspent, until those
// leases expire (leaseLife) and their tokens are lost. A lease is at most
// an eighth of the burst (maxLeaseTokens), and a key starts at one token a
// take; the next take asks for twice as many if the lease was spent
// within its life, half as many if it expired unspent: a key at a rate
// below one request per leaseLife takes one token a request, as without
// leases, and loses none.
const (
	// leaseLife is how long a server may spend a lease's tokens.
	leaseLife = time.Second
	// leaseCap bounds a lease whatever the burst.
	leaseCap = 64
)

// lease is what a server holds of one shared bucket.
type lease struct {
	limit   RateLimit // the limit it was taken under
	tokens  int       // left to spend
	expires time.Time
	size    int // how many tokens the next take asks for
}

// maxLeaseTokens is the largest lease of a bucket under lim.
func maxLeaseTokens(lim RateLimit) int {
	return min(max(lim.Burst/8, 1), leaseCap)
}

// takeShared takes a token for key under lim: from the server's lease of
// the shared bucket, or else from the bucket, leasing what it gives beyond
// the one token.
func (l *limiters) takeShared(ctx context.Context, key string, lim RateLimit, now time.Time) (bool, time.Duration, error) {
	l.mu.Lock()
	ls := l.leases[key]
	if ls != nil && ls.limit != lim {
		ls = nil // taken under another limit: start again
	}
	if ls != nil && ls.tokens > 0 && now.Before(ls.expires) {
		ls.tokens--
		l.mu.Unlock()
		return true, 0, nil
	}
	want := 1
	if ls != nil {
		switch want = ls.size; {
		case ls.tokens == 0 && now.Before(ls.expires): // spent within its life: a busy key
			want = min(2*ls.size, maxLeaseTokens(lim))
		case ls.tokens > 0: // expired unspent
			want = max(ls.size/2, 1)
		}
	}
	l.mu.Unlock()
	got, wait, err := l.shared.TakeTokens(ctx, l.prefix+key, lim.Rate, lim.Burst, want)
	if err != nil || got == 0 {
		return false, wait, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweepLeases(now)
	cur := l.leases[key]
	if cur == nil || cur.limit != lim || !now.Before(cur.expires) {
		cur = &lease{limit: lim}
		l.leases[key] = cur
	}
	// Requests that took at once each add what they got beyond their own.
	cur.tokens += got - 1
	cur.expires, cur.size = now.Add(leaseLife), want
	return true, 0, nil
}

// sweepLeases drops expired leases once there are many.
func (l *limiters) sweepLeases(now time.Time) {
	if l.leases == nil {
		l.leases = map[string]*lease{}
	}
	if len(l.leases) < maxBuckets && now.Sub(l.leasesSwept) < time.Minute {
		return
	}
	for k, ls := range l.leases {
		if !now.Before(ls.expires) {
			delete(l.leases, k)
		}
	}
	l.leasesSwept = now
}
