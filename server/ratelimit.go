package server

import (
	"context"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/server/store"
)

// RateLimit is a token bucket: Rate requests per second, bursts of Burst.
type RateLimit struct {
	Rate  float64
	Burst int
}

// limiters keeps one token bucket per key (an address or an account), dropping
// buckets idle long enough to be full again so memory stays bounded. With a
// shared store (store.RateLimiter), the buckets are the store's, under
// prefix+key, and hold across servers; the memory buckets then only stand in
// while the store fails.
type limiters struct {
	mu      sync.Mutex
	limit   RateLimit
	buckets map[string]*bucket
	swept   time.Time

	shared store.RateLimiter // nil: memory only
	prefix string            // of the shared buckets' keys: "addr:", "account:"
	log    *slog.Logger
	// leases are the tokens of shared buckets this server holds
	// (ratelimit_lease.go), under mu.
	leases      map[string]*lease
	leasesSwept time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// maxBuckets bounds memory under a flood of distinct keys; past it, stale
// buckets are swept at once.
const maxBuckets = 100_000

func newLimiters(l RateLimit) *limiters {
	return &limiters{limit: l, buckets: map[string]*bucket{}}
}

// sharedLimiters is newLimiters over the buckets of shared, when it is one.
func sharedLimiters(l RateLimit, st store.Store, prefix string, log *slog.Logger) *limiters {
	lim := newLimiters(l)
	lim.shared, _ = st.(store.RateLimiter)
	lim.prefix, lim.log = prefix, log
	return lim
}

// allow takes one token for key, or returns how long to wait for one. The
// shared buckets keep the store's time, the memory ones now. If the shared
// buckets cannot be reached, the memory ones decide: the request
// is limited per process until they are back.
func (l *limiters) allow(ctx context.Context, key string, now time.Time) (bool, time.Duration) {
	if l == nil || l.limit.Rate <= 0 {
		return true, 0
	}
	if l.shared != nil {
		ok, wait, err := l.takeShared(ctx, key, l.limit, now)
		if err == nil {
			return ok, wait
		}
		l.log.WarnContext(ctx, "shared rate limit failed; limiting in memory", "err", err)
	}
	return l.allowLocal(key, now)
}

// allowWith is allow under lim rather than the limiters' own limit: the
// limit of an account's allowance, which follows what the account holds.
func (l *limiters) allowWith(ctx context.Context, key string, lim RateLimit, now time.Time) (bool, time.Duration) {
	if l == nil || lim.Rate <= 0 || lim.Burst < 1 {
		return false, 0
	}
	if l.shared != nil {
		ok, wait, err := l.takeShared(ctx, key, lim, now)
		if err == nil {
			return ok, wait
		}
		l.log.WarnContext(ctx, "shared rate limit failed; limiting in memory", "err", err)
	}
	return l.allowLocalWith(key, lim, now)
}

// allowLocal is allow on the memory buckets.
func (l *limiters) allowLocal(key string, now time.Time) (bool, time.Duration) {
	return l.allowLocalWith(key, l.limit, now)
}

// allowLocalWith is allowLocal under lim; a bucket made under another limit
// takes lim from now on.
func (l *limiters) allowLocalWith(key string, lim RateLimit, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	idle := time.Duration(float64(lim.Burst)/lim.Rate*float64(time.Second)) + time.Minute
	if len(l.buckets) > maxBuckets || now.Sub(l.swept) > idle {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > idle {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(rate.Limit(lim.Rate), lim.Burst)}
		l.buckets[key] = b
	}
	if b.lim.Limit() != rate.Limit(lim.Rate) || b.lim.Burst() != lim.Burst {
		b.lim.SetLimitAt(now, rate.Limit(lim.Rate))
		b.lim.SetBurstAt(now, lim.Burst)
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// tooMany answers 429 with Retry-After in whole seconds.
func tooMany(w http.ResponseWriter, wait time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	writeJSON(w, http.StatusTooManyRequests, api.Error{Error: api.ErrorDetail{
		Code: "rate_limited", Message: "too many requests; retry later"}})
}

// clientKey is the key a request's address is rate-limited and counted by:
// the client address (clientAddr), with IPv6 addresses cut to their /64,
// since one IPv6 subscriber usually holds a whole /64 and could otherwise
// take a fresh bucket for every request.
func clientKey(r *http.Request, trusted []netip.Prefix) string {
	return addrKey(clientAddr(r, trusted))
}

// addrKey maps an address to its rate-limit key: an IPv4 address (or an
// IPv4-mapped IPv6 one) as itself, any other IPv6 address as its /64 prefix.
// Anything that does not parse is its own key.
func addrKey(host string) string {
	a, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	return netip.PrefixFrom(a.WithZone(""), 64).Masked().String()
}

// clientAddr is the address a request is rate-limited by. X-Forwarded-For is
// believed only from a configured trusted proxy, and then only its rightmost
// entry that is not itself a trusted proxy: a client cannot forge its way to a
// fresh bucket.
func clientAddr(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil || !isTrusted(addr, trusted) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return host // a malformed hop: fall back to the proxy itself
		}
		if !isTrusted(a, trusted) {
			return a.String()
		}
	}
	return host
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}
