package postgres_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/blindvault/blindvault/internal/testenv"
	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/server/store/internal/storebench"
	"github.com/blindvault/blindvault/server/store/postgres"
)

// Run with: go test -run '^$' -bench . -benchtime 3000x ./server/store/postgres/
// Each benchmark starts its own durable cluster (fsync on, synchronous
// commit): a write is acknowledged once its commit is flushed, as with bbolt
// (docs/benchmarks.md puts the two side by side).

// BenchmarkPutVersionSmall writes new records with 4 KiB bodies from
// concurrent writers; logged=true appends one log entry with each write, as
// the server's writes do (bbolt's benchmark does not). stores=2 splits the writers over two Stores (two connection pools) on one
// database, as two servers would.
func BenchmarkPutVersionSmall(b *testing.B) {
	pg := testenv.StartPostgres(b, nil)
	for _, logged := range []bool{false, true} {
		for _, stores := range []int{1, 2} {
			for _, writers := range []int{1, 8, 64} {
				if stores == 2 && writers == 1 {
					continue
				}
				b.Run(fmt.Sprintf("logged=%v/stores=%d/writers=%d", logged, stores, writers), func(b *testing.B) {
					url := pg.NewDatabase(b)
					var ss []*postgres.Store
					for range stores {
						ss = append(ss, benchOpen(b, url, nil))
					}
					owner := benchAccount(b, ss[0])
					body := make([]byte, 4096)
					rand.Read(body)
					header := make([]byte, 600)
					var next atomic.Int64
					b.ResetTimer()
					l := storebench.NewLatencies(b.N)
					var wg sync.WaitGroup
					for w := range writers {
						s := ss[w%stores]
						wg.Go(func() {
							for {
								i := next.Add(1)
								if i > int64(b.N) {
									return
								}
								v := benchWrite(owner, i, header, int64(len(body)))
								ctx := context.Background()
								if logged {
									ctx = store.WithLog(ctx, &store.LogBatch{Entries: [][]byte{header[:200]}})
								}
								t := time.Now()
								if err := s.PutVersion(ctx, v, bytes.NewReader(body)); err != nil {
									b.Error(err)
									return
								}
								l.Add(time.Since(t))
							}
						})
					}
					wg.Wait()
					l.Report(b)
					var writes, commits uint64
					for _, s := range ss {
						st := s.CommitStats()
						writes, commits = writes+st.Writes, commits+st.Commits
					}
					if commits > 0 {
						b.ReportMetric(float64(writes)/float64(commits), "writes/commit")
					}
				})
			}
		}
	}
}

// BenchmarkBody writes and reads one 64 MiB body per operation, kept in the
// database (bytea chunks) or in versitygw (S3, 8 MiB parts).
func BenchmarkBody(b *testing.B) {
	const size = 64 << 20
	pg := testenv.StartPostgres(b, nil)
	for _, where := range []string{"postgres", "s3"} {
		b.Run(where, func(b *testing.B) {
			var opts *postgres.Options
			if where == "s3" {
				blobs, _ := s3Blobs(b, testenv.StartS3(b))
				opts = &postgres.Options{Blobs: blobs}
			}
			s := benchOpen(b, pg.NewDatabase(b), opts)
			storebench.Body(b, s, benchAccount(b, s), size)
		})
	}
}

func benchOpen(b *testing.B, url string, opts *postgres.Options) *postgres.Store {
	b.Helper()
	s, err := postgres.Open(context.Background(), url, opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

func benchAccount(b *testing.B, s store.Store) store.AccountID {
	b.Helper()
	return newAccount(b, s).ID
}

var benchWrite = storebench.Write

// BenchmarkRawCommit is plain PostgreSQL: one INSERT of 4 KiB, one commit
// (so one WAL flush) per operation, from one connection: the baseline the
// store's writes are measured against, as bbolt's BenchmarkRawCommit is for
// package bolt.
func BenchmarkRawCommit(b *testing.B) {
	pg := testenv.StartPostgres(b, nil)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pg.NewDatabase(b))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE TABLE raw (k bigint PRIMARY KEY, v bytea)`); err != nil {
		b.Fatal(err)
	}
	value := make([]byte, 4096)
	rand.Read(value)
	b.ResetTimer()
	l := storebench.NewLatencies(b.N)
	for i := range b.N {
		t := time.Now()
		if _, err := conn.Exec(ctx, `INSERT INTO raw VALUES ($1, $2)`, i, value); err != nil {
			b.Fatal(err)
		}
		l.Add(time.Since(t))
	}
	l.Report(b)
}

// BenchmarkPurgeAccount purges an account of 1,000 shared records of 4 KiB
// and compacts (VACUUM FULL) the database (docs/benchmarks.md, account
// deletion).
func BenchmarkPurgeAccount(b *testing.B) {
	pg := testenv.SharedPostgres(b)
	storebench.PurgeAccount(b, benchOpen(b, pg.NewDatabase(b), nil), 1000, 4096)
}
