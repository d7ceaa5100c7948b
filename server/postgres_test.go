package server

import (
	"net/http"
	"testing"
	"time"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/internal/testenv"
	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/server/store/postgres"
)

// newPostgresTestServer is newTestServer over a PostgreSQL store at url
// (its Store field, a bbolt store, stays nil).
func newPostgresTestServer(t testing.TB, url string, cfg Config) *testServer {
	t.Helper()
	st, err := postgres.Open(t.Context(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return serveTest(t, cfg, st)
}

// While PostgreSQL is down, clients get 503 with Retry-After, a retryable
// answer, for reads and writes; once it is back, every write acknowledged
// before is there and a write answered 503 is not.
func TestServer_PostgresDownIs503(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("short: starts PostgreSQL")
	}
	pg := testenv.StartPostgres(t, nil) // its own cluster: the test stops it
	ts := newPostgresTestServer(t, pg.NewDatabase(t), recConfig())
	alice := newRecAccount(t, ts, "alice")
	var acked []*recFixture
	for i := range 5 {
		acked = append(acked, createRecord(t, alice, recPlain(1000+i)))
	}

	pg.Stop(t)
	for _, r := range []struct {
		what string
		resp recResponse
	}{
		{"GET an acknowledged version", alice.get(t, versionPath(acked[0].ID, 1))},
		{"PUT a new record", alice.put(t, newRecord(t, alice, recPlain(500)).V1)},
	} {
		r.resp.want(t, r.what+" with PostgreSQL down", http.StatusServiceUnavailable)
		if got := r.resp.Header.Get("Retry-After"); got == "" {
			t.Fatalf("%s with PostgreSQL down: no Retry-After", r.what)
		}
		var e api.Error
		r.resp.decode(t, &e)
		if e.Error.Code != "unavailable" {
			t.Fatalf("%s with PostgreSQL down: code %q, want unavailable", r.what, e.Error.Code)
		}
	}
	lost := newRecord(t, alice, recPlain(600))
	alice.put(t, lost.V1).want(t, "PUT with PostgreSQL down", http.StatusServiceUnavailable)
	pg.Start(t)

	deadline := time.Now().Add(30 * time.Second)
	for {
		r := alice.get(t, versionPath(acked[0].ID, 1))
		if r.Status == http.StatusOK {
			break
		}
		if r.Status != http.StatusServiceUnavailable || time.Now().After(deadline) {
			t.Fatalf("GET after PostgreSQL is back = %d %s", r.Status, r.Body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, f := range acked {
		var view api.Record
		alice.get(t, versionPath(f.ID, 1)).want(t, "GET an acknowledged write after the outage", http.StatusOK).decode(t, &view)
		if view.HeaderHash != store.Hash(f.V1.Header.Hash()).String() {
			t.Fatalf("record %s after the outage: header %s, want the acknowledged one", f.ID, view.HeaderHash)
		}
	}
	alice.get(t, versionPath(lost.ID, 1)).want(t, "GET the write answered 503", http.StatusNotFound)
	createRecord(t, alice, recPlain(700))
}
