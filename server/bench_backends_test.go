package server

import (
	"fmt"
	"testing"

	"github.com/blindvault/blindvault/internal/testenv"
	"github.com/blindvault/blindvault/server/store/postgres"
)

// BenchmarkCreateBackends runs 4 KiB creates from 64 clients over loopback
// HTTP, side by side in one run: bbolt; PostgreSQL (durable: fsync and
// synchronous commit on) behind one server; and behind two servers over one
// database (clients alternate). go-cpu-us/op is the CPU of the test process
// (clients and servers) per create, db-cpu-us/op PostgreSQL's own.
// limits=on sets rate limits no client reaches, so that each request pays
// for them (memory buckets on bbolt, one UPSERT per limiter on PostgreSQL);
// limits=off turns them off. Run with:
//
//	go test -run '^$' -bench CreateBackends -benchtime 3000x ./server/
func BenchmarkCreateBackends(b *testing.B) {
	pg := testenv.StartPostgres(b, nil)
	const clients = 64
	for _, backend := range []string{"bolt", "postgres/servers=1", "postgres/servers=2"} {
		for _, limits := range []string{"off", "on"} {
			b.Run(fmt.Sprintf("%s/limits=%s", backend, limits), func(b *testing.B) {
				cfg := recConfig()
				if limits == "on" {
					cfg.RateAddress = RateLimit{Rate: 1e6, Burst: 1e6}
					cfg.RateAccount = RateLimit{Rate: 1e6, Burst: 1e6}
				}
				if backend == "bolt" {
					ts := newTestServer(b, cfg)
					benchPutSmallOn(b, []*testServer{ts}, ts.Store.CommitStats, nil, clients, false)
					return
				}
				n := 1
				if backend == "postgres/servers=2" {
					n = 2
				}
				cfg.Secrets = Secrets{OPRFSeed: randomKey(), SessionPepper: randomKey(), InvitePepper: randomKey()}
				cfg.Origin = "http://blindvault.test"
				url := pg.NewDatabase(b)
				var servers []*testServer
				var first *postgres.Store
				for range n {
					ts := newPostgresTestServer(b, url, cfg)
					if first == nil {
						first = ts.Server.store.(*postgres.Store)
					}
					servers = append(servers, ts)
				}
				benchPutSmallOn(b, servers, first.CommitStats, pg.CPUTime, clients, false)
			})
		}
	}
}
