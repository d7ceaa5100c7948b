package server

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/blindvault/blindvault/internal/testenv"
	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/server/store/blob/s3blob"
	"github.com/blindvault/blindvault/server/store/postgres"
)

// BenchmarkCreateBackends runs 4 KiB creates from 64 clients over loopback
// HTTP, side by side in one run: bbolt; PostgreSQL (durable: fsync and
// synchronous commit on) behind one server; and behind two servers over one
// database (clients alternate), with the default pool and committers each
// and sharing one server's (benchBackends). go-cpu-us/op is the CPU of the test process
// (clients and servers) per create, db-cpu-us/op PostgreSQL's own.
// limits=on sets rate limits no client reaches, so that each request pays
// for them (memory buckets on bbolt, one UPSERT per limiter on PostgreSQL);
// limits=off turns them off. wal-bytes/op is the WAL PostgreSQL wrote per
// create (pg_stat_wal). With BLINDVAULT_BENCH_PGSTATS=1, the cluster loads
// pg_stat_statements: stmts/op counts the statements PostgreSQL ran per
// create, and a file in $TMPDIR lists the costliest (which itself costs some CPU:
// leave it off to compare rates). BLINDVAULT_BENCH_PGCONNS=N sets every
// server's pool to N connections (postgres.Options.MaxConns),
// BLINDVAULT_BENCH_PGCOMMITTERS=N its committers. Run with:
//
//	go test -run '^$' -bench CreateBackends -benchtime 6000x ./server/
func BenchmarkCreateBackends(b *testing.B) {
	env := newBenchEnv(b)
	for _, v := range benchBackends {
		for _, limits := range []string{"off", "on"} {
			b.Run(fmt.Sprintf("%s/limits=%s", v.name, limits), func(b *testing.B) {
				cfg := recConfig()
				if limits == "on" {
					cfg.RateAddress = RateLimit{Rate: 1e6, Burst: 1e6}
					cfg.RateAccount = RateLimit{Rate: 1e6, Burst: 1e6}
				}
				servers, stats, db := env.deploy(b, v, cfg)
				benchPutSmallOn(b, servers, stats, db, benchClients, false)
			})
		}
	}
}

// BenchmarkUpdateBackends is BenchmarkCreateBackends' updates: each
// operation is version 2 of a record created before the clock starts, so
// it reads and replaces the record's head (limits off). Run with:
//
//	go test -run '^$' -bench UpdateBackends -benchtime 6000x ./server/
func BenchmarkUpdateBackends(b *testing.B) {
	env := newBenchEnv(b)
	for _, v := range benchBackends {
		b.Run(v.name, func(b *testing.B) {
			servers, stats, db := env.deploy(b, v, recConfig())
			benchPutSmallOn(b, servers, stats, db, benchClients, true)
		})
	}
}

// BenchmarkBodyBackends uploads, then downloads, one 64 MiB body an
// operation over loopback HTTP: on bbolt, and on PostgreSQL with bodies in
// S3 (versitygw) behind one server and behind two that share one server's
// committers. With two, each body is uploaded through one server and
// downloaded through the other. Run with:
//
//	go test -run '^$' -bench BodyBackends -benchtime 5x ./server/
func BenchmarkBodyBackends(b *testing.B) {
	env := newBenchEnv(b)
	env.s3 = testenv.StartS3(b)
	for _, v := range []benchBackend{
		{name: "bolt"},
		{name: "postgres+s3/servers=1", servers: 1, s3: true},
		{name: "postgres+s3/servers=2,shared", servers: 2, conns: 4, committers: 1, s3: true},
	} {
		b.Run(v.name, func(b *testing.B) {
			servers, _, _ := env.deploy(b, v, recConfig())
			owner := newRecAccount(b, servers[0], "alice")
			bb := newBenchBody(b, owner)
			on := func(i int) { bb.owner = owner.on(servers[i%len(servers)]) }
			c := benchClient()
			b.Run("upload", func(b *testing.B) {
				b.SetBytes(int64(len(bb.body)))
				for i := range b.N {
					b.StopTimer()
					on(i)
					id, frame := bb.frameFor(b)
					b.StartTimer()
					bb.upload(b, c, id, frame)
				}
			})
			b.Run("download", func(b *testing.B) {
				ids := make([]store.RecordID, len(servers))
				for i := range ids {
					on(i)
					id, frame := bb.frameFor(b)
					bb.upload(b, c, id, frame)
					ids[i] = id
				}
				b.SetBytes(int64(len(bb.body)))
				b.ResetTimer()
				for i := range b.N {
					on(i + 1)
					benchGetBody(b, c, bb.owner, ids[i%len(ids)], int64(len(bb.body)))
				}
			})
		})
	}
}

const benchClients = 64

// benchEnv is what the deployments of a backend benchmark share: one
// PostgreSQL cluster (with pg_stat_statements if BLINDVAULT_BENCH_PGSTATS
// is set) and, for deployments with bodies in S3, one S3 server.
type benchEnv struct {
	pg         *testenv.Postgres
	s3         *testenv.S3
	statements bool
}

func newBenchEnv(b *testing.B) *benchEnv {
	statements := os.Getenv("BLINDVAULT_BENCH_PGSTATS") != ""
	return &benchEnv{pg: testenv.StartPostgres(b, &testenv.PostgresOptions{Statements: statements}), statements: statements}
}

// deploy starts v's servers with cfg, over a new bbolt file or a new
// database (and bucket), and returns them, its commit figures (of the
// first server's store) and what charges PostgreSQL's work to the
// benchmark (nil for bbolt).
func (e *benchEnv) deploy(b *testing.B, v benchBackend, cfg Config) ([]*testServer, func() store.CommitStats, *benchDB) {
	if v.servers == 0 {
		ts := newTestServer(b, cfg)
		return []*testServer{ts}, ts.Store.CommitStats, nil
	}
	cfg.Secrets = Secrets{OPRFSeed: randomKey(), SessionPepper: randomKey(), InvitePepper: randomKey()}
	cfg.Origin = "http://blindvault.test"
	opts := &postgres.Options{MaxConns: v.conns, Committers: v.committers}
	if n, err := strconv.Atoi(os.Getenv("BLINDVAULT_BENCH_PGCONNS")); err == nil {
		opts.MaxConns = int32(n)
	}
	if n, err := strconv.Atoi(os.Getenv("BLINDVAULT_BENCH_PGCOMMITTERS")); err == nil {
		opts.Committers = n
	}
	if v.s3 {
		c, err := s3blob.ParseURL(e.s3.URL(e.s3.NewBucket(b)))
		if err != nil {
			b.Fatal(err)
		}
		if opts.Blobs, err = s3blob.New(c); err != nil {
			b.Fatal(err)
		}
	}
	url := e.pg.NewDatabase(b)
	var servers []*testServer
	for range v.servers {
		st, err := postgres.Open(b.Context(), url, opts)
		if err != nil {
			b.Fatal(err)
		}
		servers = append(servers, serveTest(b, cfg, st))
	}
	return servers, servers[0].Server.store.(*postgres.Store).CommitStats, &benchDB{pg: e.pg, statements: e.statements}
}

// benchBackends are BenchmarkCreateBackends' deployments: bbolt (no
// servers over PostgreSQL), and PostgreSQL behind how many servers, each
// with what pool and committers (0: the defaults, 8 and 2). "shared" gives
// two servers half the defaults each, the same connections and committers
// on the database as one server (the sizing rule of docs/operations.md).
var benchBackends = []benchBackend{
	{name: "bolt"},
	{name: "postgres/servers=1", servers: 1},
	{name: "postgres/servers=2", servers: 2},
	{name: "postgres/servers=2,shared", servers: 2, conns: 4, committers: 1},
}

type benchBackend struct {
	name       string
	servers    int
	conns      int32
	committers int
	s3         bool // bodies over InlineMax go to S3
}

// benchDB charges PostgreSQL's work during a benchmark's timed part to its
// operations; a nil one (bbolt) charges nothing.
type benchDB struct {
	pg         *testenv.Postgres
	statements bool // pg_stat_statements is loaded
	cpu        time.Duration
	wal        int64
	byProcess  map[string]time.Duration
}

func (d *benchDB) begin(b *testing.B) {
	if d == nil {
		return
	}
	ctx := context.Background()
	if d.statements {
		if _, err := d.pg.Query(ctx, `CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT pg_stat_statements_reset()`); err != nil {
			b.Fatal(err)
		}
	}
	d.wal = d.walBytes(b)
	d.cpu = d.pg.CPUTime()
	if d.statements {
		d.byProcess = d.pg.CPUByProcess()
	}
}

func (d *benchDB) end(b *testing.B) {
	if d == nil {
		return
	}
	cpu := d.pg.CPUTime() - d.cpu
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "db-cpu-us/op")
	b.ReportMetric(float64(d.walBytes(b)-d.wal)/float64(b.N), "wal-bytes/op")
	if !d.statements {
		return
	}
	ctx := context.Background()
	out, err := d.pg.Query(ctx, `SELECT sum(calls) FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat%'`)
	if err != nil {
		b.Fatal(err)
	}
	calls, _ := strconv.ParseFloat(strings.TrimSpace(lastLine(out)), 64)
	b.ReportMetric(calls/float64(b.N), "stmts/op")
	out, err = d.pg.Query(ctx, fmt.Sprintf(`SELECT round(calls::numeric / %d, 2) AS per_op,
		round((total_exec_time * 1000 / %d)::numeric) AS exec_us_per_op, round((total_plan_time * 1000 / %d)::numeric) AS plan_us_per_op,
		plans, calls, round(wal_bytes::numeric / %d) AS wal_per_op, round(wal_fpi::numeric / %d, 2) AS fpi_per_op,
		left(regexp_replace(query, '\s+', ' ', 'g'), 90) AS query
		FROM pg_stat_statements WHERE query NOT LIKE '%%pg_stat%%' ORDER BY total_exec_time + total_plan_time DESC LIMIT 30`, b.N, b.N, b.N, b.N, b.N))
	if err != nil {
		b.Fatal(err)
	}
	for kind, cpu := range d.pg.CPUByProcess() {
		out += fmt.Sprintf("cpu of %s: %d us per create\n", kind, (cpu-d.byProcess[kind]).Microseconds()/int64(b.N))
	}
	// The log keeps ten lines of a benchmark's output: the table goes to a file.
	f := filepath.Join(os.TempDir(), "blindvault-pgstats-"+strings.ReplaceAll(b.Name(), "/", "_")+".txt")
	if err := os.WriteFile(f, []byte(out), 0o644); err != nil {
		b.Fatal(err)
	}
	b.Logf("statements during the timed part, per create: %s", f)
}

// walBytes is the WAL the cluster has written since it started.
func (d *benchDB) walBytes(b *testing.B) int64 {
	out, err := d.pg.Query(context.Background(), `SELECT wal_bytes FROM pg_stat_wal`)
	if err != nil {
		b.Fatal(err)
	}
	n, _ := strconv.ParseInt(strings.TrimSpace(lastLine(out)), 10, 64)
	return n
}

// lastLine is psql's value line: the last non-empty line but the row count.
func lastLine(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) >= 2 {
		return lines[len(lines)-2]
	}
	return ""
}
