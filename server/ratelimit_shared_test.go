package server

import (
	"crypto/rand"
	"net/http"
	"testing"

	"github.com/blindvault/blindvault/internal/testenv"
	"github.com/blindvault/blindvault/server/store"
)

// Two servers over one PostgreSQL database share an account's rate-limit
// budget: a client that spreads its requests over both gets no more than
// one server would give it.
func TestServer_RateLimitSharedAcrossServers(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("short: starts PostgreSQL")
	}
	const burst = 8
	db := testenv.StartPostgres(t, &testenv.PostgresOptions{NoFsync: true}).NewDatabase(t)
	cfg := Config{RateAddress: RateLimit{Rate: -1}, RateAccount: RateLimit{Rate: 0.001, Burst: burst},
		Secrets: Secrets{OPRFSeed: randomKey(), SessionPepper: randomKey(), InvitePepper: randomKey()},
		Origin:  "http://blindvault.test"}
	a := newPostgresTestServer(t, db, cfg)
	b := newPostgresTestServer(t, db, cfg)
	alice := newRecAccount(t, a, "alice")
	var missing store.RecordID
	rand.Read(missing[:])
	took := map[string]int{}
	refused := map[string]int{}
	for i := range 2 * burst {
		name, ts := "a", a
		if i%2 == 1 {
			name, ts = "b", b
		}
		switch r := alice.on(ts).get(t, versionPath(missing, 1)); r.Status {
		case http.StatusNotFound:
			took[name]++
		case http.StatusTooManyRequests:
			refused[name]++
		default:
			r.want(t, "GET through "+name, http.StatusNotFound)
		}
	}
	if took["a"]+took["b"] > burst || refused["a"] == 0 || refused["b"] == 0 {
		t.Fatalf("requests taken through a and b = %d and %d, refused %d and %d; want at most %d taken in all, and both refusing",
			took["a"], took["b"], refused["a"], refused["b"], burst)
	}
}

// Two servers over one PostgreSQL database share an account's operation
// allowance too: an operation on every record spread over both goes through,
// and a flood after it meets 429 on both.
func TestServer_RateLimitAllowanceSharedAcrossServers(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("short: starts PostgreSQL")
	}
	const n = 10
	db := testenv.StartPostgres(t, &testenv.PostgresOptions{NoFsync: true}).NewDatabase(t)
	cfg := recConfig()
	cfg.Secrets = Secrets{OPRFSeed: randomKey(), SessionPepper: randomKey(), InvitePepper: randomKey()}
	cfg.Origin = "http://blindvault.test"
	a := newPostgresTestServer(t, db, cfg)
	b := newPostgresTestServer(t, db, cfg)
	alice := newRecAccount(t, a, "alice")
	recs := make([]*recFixture, n)
	for i := range recs {
		recs[i] = createRecord(t, alice, recPlain(64))
	}
	for _, ts := range []*testServer{a, b} {
		ts.SetRateLimits(RateLimit{Rate: -1}, RateLimit{Rate: 0.001, Burst: 2})
	}
	for i, f := range recs {
		ts := []*testServer{a, b}[i%2]
		alice.on(ts).get(t, versionPath(f.ID, 1)).want(t, "GET version", http.StatusOK)
	}
	refused := map[string]int{}
	for i := 0; i < 2*16*n+20; i++ {
		name, ts := "a", a
		if i%2 == 1 {
			name, ts = "b", b
		}
		if alice.on(ts).get(t, "/v1/records").Status == http.StatusTooManyRequests {
			refused[name]++
		}
	}
	if refused["a"] == 0 || refused["b"] == 0 {
		t.Fatalf("a flood over both servers refused %d and %d times, want both refusing", refused["a"], refused["b"])
	}
}
