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
