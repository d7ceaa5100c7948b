package server

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/blindvault/blindvault/server/store"
)

// An account's rate limit grows with what it holds (issue 18). Every
// authenticated request takes a token from the account's bucket (RateAccount,
// 20/s in bursts of 60 by default); one that finds it empty may take one from
// the account's operation allowance instead: a second bucket of
// Config.RatePerRecord tokens (default 16) for every record the account owns
// or reads (deleted ones do not count), refilled over allowanceRefill, and
// one more such bucket, for this account, per group (a care team, a
// collection) it listed through lately, of RatePerRecord for every record
// shared with the group. One honest operation on all of an
// account's records (a list, an export, a share of everything with one
// clinician, a new device's first sync) costs a few requests a record and so
// goes through in one go; a client that repeats such operations, or floods,
// empties the allowance and meets 429 as before.
//
// What does not earn allowance cannot spend it: the first version of a new
// record (a write of records one after another) takes only the account's
// bucket, so that a flood of new records cannot pay for itself; and the
// records an account holds are counted by the server, never taken from the
// client.
const (
	// allowanceRefill is how long an emptied allowance takes to fill again.
	allowanceRefill = time.Hour
	// holdingsTTL is how long a count of an account's records is reused.
	holdingsTTL = time.Minute
	// maxHoldings bounds the records counted for an account (and so the
	// work of a count and the largest allowance).
	maxHoldings = 100_000
	// holdingsPage is the page a count reads.
	holdingsPage = 1000
)

// allowanceLimit is the operation allowance of an account holding n records.
func allowanceLimit(perRecord int, n int) RateLimit {
	if perRecord <= 0 || n <= 0 {
		return RateLimit{}
	}
	burst := perRecord * min(n, maxHoldings)
	return RateLimit{Rate: float64(burst) / allowanceRefill.Seconds(), Burst: burst}
}

// holdings counts, and caches for holdingsTTL, the records each account owns
// or reads directly, and remembers for allowanceRefill the records it reached
// through each group (a care team, a collection) it listed through.
type holdings struct {
	mu    sync.Mutex
	count map[store.AccountID]holdingsCount
	// reach maps an account to the groups it listed through (GET
	// /v1/shared?via=) and the records shared with each. The server cannot
	// tell a group's key record from any other record, so it counts a group
	// once a member has shown it may read the group by listing through it.
	reach map[store.AccountID]map[store.AccountID]holdingsCount
}

type holdingsCount struct {
	n  int
	at time.Time
}

// maxReach bounds the groups counted for one account: each is a bucket that
// a request past every other may try (a shared bucket is a statement).
const maxReach = 8

// of returns how many live records account owns and reads directly (up to
// maxHoldings), counted at most once per holdingsTTL.
func (h *holdings) of(ctx context.Context, st store.Store, account store.AccountID, now time.Time) (int, error) {
	h.mu.Lock()
	c, ok := h.count[account]
	h.mu.Unlock()
	if ok && now.Sub(c.at) < holdingsTTL {
		return c.n, nil
	}
	owned, err := countHeads(ctx, st.OwnedRecords, account)
	if err != nil {
		return 0, err
	}
	shared, err := countHeads(ctx, st.SharedRecords, account)
	if err != nil {
		return 0, err
	}
	n := min(owned+shared, maxHoldings)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.count = sweepCounts(h.count, now, holdingsTTL, maxBuckets)
	h.count[account] = holdingsCount{n: n, at: now}
	return n, nil
}

// groups returns the groups account listed through within allowanceRefill,
// with their records.
func (h *holdings) groups(account store.AccountID, now time.Time) map[store.AccountID]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[store.AccountID]int{}
	for group, g := range h.reach[account] {
		if now.Sub(g.at) < allowanceRefill && g.n > 0 {
			out[group] = g.n
		}
	}
	return out
}

// reached counts the records shared with group for account, which has just
// shown it may read them by listing through the group; counted again at
// most once per holdingsTTL, kept for allowanceRefill.
func (h *holdings) reached(ctx context.Context, st store.Store, account, group store.AccountID, now time.Time) error {
	h.mu.Lock()
	g, ok := h.reach[account][group]
	h.mu.Unlock()
	if ok && now.Sub(g.at) < holdingsTTL {
		return nil
	}
	n, err := countHeads(ctx, st.SharedRecords, group)
	if err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.reach == nil {
		h.reach = map[store.AccountID]map[store.AccountID]holdingsCount{}
	}
	if len(h.reach) > maxBuckets {
		for a, groups := range h.reach {
			if len(sweepCounts(groups, now, allowanceRefill, 0)) == 0 {
				delete(h.reach, a)
			}
		}
	}
	groups := sweepCounts(h.reach[account], now, allowanceRefill, 0)
	h.reach[account] = groups
	if _, known := groups[group]; known || len(groups) < maxReach {
		groups[group] = holdingsCount{n: n, at: now}
	}
	return nil
}

// countHeads counts the live records a list gives for holder, up to
// maxHoldings.
func countHeads(ctx context.Context, list func(context.Context, store.AccountID, store.RecordID, int) ([]store.Head, error), holder store.AccountID) (int, error) {
	var after store.RecordID
	n := 0
	for read := 0; read < maxHoldings; {
		page, err := list(ctx, holder, after, holdingsPage)
		if err != nil {
			return 0, err
		}
		read += len(page)
		for _, h := range page {
			if !h.IsDeleted() {
				n++
			}
		}
		if len(page) < holdingsPage {
			break
		}
		after = page[len(page)-1].Record
	}
	return n, nil
}

// sweepCounts drops counts older than ttl once m holds more than over,
// making m if nil.
func sweepCounts(m map[store.AccountID]holdingsCount, now time.Time, ttl time.Duration, over int) map[store.AccountID]holdingsCount {
	if m == nil {
		return map[store.AccountID]holdingsCount{}
	}
	if len(m) > over {
		for k, c := range m {
			if now.Sub(c.at) >= ttl {
				delete(m, k)
			}
		}
	}
	return m
}

// takeAccount takes a token for an authenticated request of acct: from the
// account's bucket, or else from its operation allowance. It returns how long
// to wait when both are empty.
func (s *Server) takeAccount(ctx context.Context, r *http.Request, acct store.Account, now time.Time) (bool, time.Duration) {
	limits := s.rateLimits()
	ok, wait := limits.account.allow(ctx, acct.ID.String(), now)
	if ok || s.cfg.RatePerRecord <= 0 || newRecordUpload(r) {
		return ok, wait
	}
	n, err := s.holdings.of(ctx, s.store, acct.ID, now)
	if err != nil {
		s.log.WarnContext(ctx, "counting an account's records for its allowance", "err", err)
		return false, wait
	}
	lim := allowanceLimit(s.cfg.RatePerRecord, n)
	if lim.Burst == 0 {
		return false, wait
	}
	ok2, wait2 := limits.allowance.allowWith(ctx, acct.ID.String(), lim, now)
	if ok2 {
		return true, 0
	}
	// Each group the account reads through has an allowance of its own for
	// this account, made full when first used: a member who meets a team's
	// records in the middle of an operation (its first list through the
	// team) has their allowance at once, not refilled over the hour a
	// single bucket grown by them would take.
	for group, n := range s.holdings.groups(acct.ID, now) {
		if ok3, _ := limits.allowance.allowWith(ctx, acct.ID.String()+"/"+group.String(), allowanceLimit(s.cfg.RatePerRecord, n), now); ok3 {
			return true, 0
		}
	}
	return false, min(wait, wait2)
}

// newRecordUpload reports whether r uploads the first version of a record
// (PUT /v1/records/{id}/versions/1), before or after the router ran.
func newRecordUpload(r *http.Request) bool {
	return r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/versions/1")
}

// chargedKey marks a request whose account already paid for it.
type chargedKey struct{}

func chargedToAccount(ctx context.Context) bool { return ctx.Value(chargedKey{}) != nil }

// chargeSession takes the token of a request its address's bucket refused
// from the account of its session, if it has a live one of an active
// account; authenticate then takes none again. Without a session, or with
// the account's allowance spent too, the request stays refused.
func (s *Server) chargeSession(r *http.Request) (*http.Request, bool) {
	token, ok := bearerToken(r)
	if !ok {
		return nil, false
	}
	ctx := r.Context()
	now := s.now()
	sess, err := s.store.Session(ctx, s.tokenHash(token))
	if err != nil || sess.Expired(now) {
		return nil, false
	}
	acct, err := s.store.Account(ctx, sess.Account)
	if err != nil || acct.Status != store.StatusActive {
		return nil, false
	}
	if ok, _ := s.takeAccount(ctx, r, acct, now); !ok {
		return nil, false
	}
	return r.WithContext(context.WithValue(ctx, chargedKey{}, true)), true
}

// rateLimits are the limits a server can replace while it runs
// (SetRateLimits): per client address, per account, and the accounts'
// operation allowances.
type rateLimits struct {
	address, account, allowance *limiters
}

func (s *Server) rateLimits() *rateLimits { return s.rates.Load() }

// newRateLimits makes the limiters of address and account limits, over the
// store's shared buckets when it has them.
func newRateLimits(address, account RateLimit, st store.Store, cfg *Config) *rateLimits {
	allowance := sharedLimiters(RateLimit{}, st, "allowance:", cfg.Logger)
	if account.Rate <= 0 {
		allowance = nil // no account limit: nothing to allow beyond it
	}
	return &rateLimits{
		address:   sharedLimiters(address, st, "addr:", cfg.Logger),
		account:   sharedLimiters(account, st, "account:", cfg.Logger),
		allowance: allowance,
	}
}

// SetRateLimits replaces the per-address and per-account limits of a running
// server (Config.RateAddress, Config.RateAccount): a reload of its
// configuration, or a benchmark that writes its fixtures with the limits off
// and measures with them on. The memory buckets start again full; shared
// buckets (store.RateLimiter) keep their state.
func (s *Server) SetRateLimits(address, account RateLimit) {
	s.rates.Store(newRateLimits(address, account, s.store, &s.cfg))
}
