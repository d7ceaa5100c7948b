package server

import (
	"net/http"
	"testing"
	"time"

	"github.com/blindvault/blindvault/server/store"
)

// allowanceFixture is a server with the limits off while alice writes n
// records, then on: an account bucket of 1/s in bursts of 2, and the default
// allowance of 16 requests a record.
func allowanceFixture(t *testing.T, n int, address RateLimit) (*testServer, *recTestAccount, []*recFixture) {
	t.Helper()
	ts := newTestServer(t, recConfig())
	alice := newRecAccount(t, ts, "alice")
	recs := make([]*recFixture, n)
	for i := range recs {
		recs[i] = createRecord(t, alice, recPlain(64))
	}
	ts.SetRateLimits(address, RateLimit{Rate: 1, Burst: 2})
	return ts, alice, recs
}

// An operation on every record an account holds (here, reading each one's
// version and body, as an export does) goes through in one go, though it
// makes many times the account's burst in requests; a flood after it, which
// has spent the allowance, meets 429.
func TestRateLimit_AllowanceLetsAnOperationThroughAndStopsAFlood(t *testing.T) {
	const n = 20
	ts, alice, recs := allowanceFixture(t, n, RateLimit{Rate: -1})
	for _, f := range recs {
		alice.get(t, versionPath(f.ID, 1)).want(t, "GET version", http.StatusOK)
		alice.get(t, versionPath(f.ID, 1)+"/body").want(t, "GET body", http.StatusOK)
	}
	refused := 0
	for i := 0; i < 16*n+100 && refused == 0; i++ {
		if r := alice.get(t, "/v1/records"); r.Status == http.StatusTooManyRequests {
			refused = i + 1
		}
	}
	if refused == 0 {
		t.Fatalf("a flood of %d requests by an account of %d records was never refused, want 429", 16*n+100, n)
	}
	_ = ts
}

// The first version of a new record takes only the account's bucket: a flood
// of new records cannot spend the allowance that its records earn.
func TestRateLimit_AllowanceNotForNewRecords(t *testing.T) {
	_, alice, _ := allowanceFixture(t, 20, RateLimit{Rate: -1})
	codes := []int{}
	for range 4 {
		codes = append(codes, alice.put(t, newRecord(t, alice, recPlain(64)).V1).Status)
	}
	if codes[3] != http.StatusTooManyRequests {
		t.Fatalf("new records past the account's burst = %v, want the last refused with 429", codes)
	}
}

// A request with a session that its address's bucket refuses is charged to
// its account instead; one without a session is refused.
func TestRateLimit_AddressOverflowChargedToAccount(t *testing.T) {
	ts, alice, recs := allowanceFixture(t, 10, RateLimit{Rate: 1, Burst: 1})
	for _, f := range recs {
		alice.get(t, versionPath(f.ID, 1)).want(t, "GET version past the address's limit", http.StatusOK)
	}
	if r := get(t, ts, "/healthz", nil); r.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("anonymous request past the address's limit = %d, want 429", r.StatusCode)
	}
}

// Deleted records earn no allowance: an account's count falls when it
// deletes records (the store keeps their tombstones in its lists).
func TestRateLimit_AllowanceCountsLiveRecords(t *testing.T) {
	ts, alice, recs := allowanceFixture(t, 6, RateLimit{Rate: -1})
	ctx := t.Context()
	for _, f := range recs[:4] {
		if err := ts.Store.DeleteRecord(ctx, store.Deletion{Record: f.ID, Owner: alice.ID, Deleted: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	var h holdings
	if n, err := h.of(ctx, ts.Store, alice.ID, time.Now()); err != nil || n != 2 {
		t.Fatalf("holdings of an account with 6 records, 4 deleted = %d, %v; want 2", n, err)
	}
}

// An account counts at most maxReach groups; one listed through more than
// allowanceRefill ago gives its place to the next.
func TestRateLimit_GroupReachBounded(t *testing.T) {
	ts, alice, _ := allowanceFixture(t, 1, RateLimit{Rate: -1})
	ctx, now := t.Context(), time.Now()
	var h holdings
	for i := range maxReach + 1 {
		if err := h.reached(ctx, ts.Store, alice.ID, store.AccountID{byte(i + 1)}, now); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(h.reach[alice.ID]); n != maxReach {
		t.Fatalf("groups counted after %d listed through = %d, want %d", maxReach+1, n, maxReach)
	}
	later := now.Add(allowanceRefill)
	if err := h.reached(ctx, ts.Store, alice.ID, store.AccountID{0xff}, later); err != nil {
		t.Fatal(err)
	}
	if _, ok := h.reach[alice.ID][store.AccountID{0xff}]; !ok || len(h.reach[alice.ID]) != 1 {
		t.Fatalf("an hour later the groups counted are %d (the new one: %v), want the new one alone", len(h.reach[alice.ID]), ok)
	}
}
