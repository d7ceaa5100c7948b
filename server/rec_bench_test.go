package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/server/store"
)

// Benchmarks of the record API over loopback HTTP against a real bbolt file,
// every write fsynced. Run with:
//
//	go test -run '^$' -bench PutSmallRecord -benchtime 3000x ./server/
//	go test -run '^$' -bench Body -benchtime 20x ./server/
//
// (-benchtime Nx fixes how many records are sealed before the clock starts.)

// benchClient is an HTTP client that keeps a connection per concurrent client,
// as real clients do; the default keeps two.
func benchClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
}

// benchPut sends a frame as a and checks for 201.
func benchPut(c *http.Client, a *recTestAccount, id store.RecordID, v uint64, frame io.Reader, n int64) error {
	req, err := http.NewRequest(http.MethodPut, a.ts.URL+versionPath(id, v), frame)
	if err != nil {
		return err
	}
	req.ContentLength = n
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("PUT = %d %s, want 201", resp.StatusCode, msg)
	}
	return nil
}

// recLatencies reports throughput and latency percentiles of concurrent
// operations.
type recLatencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *recLatencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

func (l *recLatencies) report(b *testing.B, elapsed time.Duration) {
	if len(l.d) == 0 {
		return
	}
	slices.Sort(l.d)
	pct := func(p float64) float64 {
		return float64(l.d[min(len(l.d)-1, int(p*float64(len(l.d))))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(len(l.d))/elapsed.Seconds(), "ops/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// BenchmarkPutSmallRecord writes records of 4 KiB from 1, 8 and 64
// concurrent clients, each on its own connection, the records spread over as
// many accounts. "create" is version 1 with its ACL and the owner's grant
// (three signatures to verify), "update" a version 2 (one).
func BenchmarkPutSmallRecord(b *testing.B) {
	for _, op := range []string{"create", "update"} {
		for _, clients := range []int{1, 8, 64} {
			b.Run(fmt.Sprintf("%s/clients=%d", op, clients), func(b *testing.B) {
				benchPutSmall(b, clients, op == "update", false)
			})
		}
	}
}

// BenchmarkLogCost runs the small writes with the transparency log on and
// off, side by side, to measure what logging costs.
func BenchmarkLogCost(b *testing.B) {
	for _, op := range []string{"create", "update"} {
		for _, clients := range []int{1, 64} {
			for _, log := range []string{"on", "off"} {
				b.Run(fmt.Sprintf("%s/clients=%d/log=%s", op, clients, log), func(b *testing.B) {
					benchPutSmall(b, clients, op == "update", log == "off")
				})
			}
		}
	}
}

// BenchmarkAlertCost runs the small writes of 64 clients with operator alerts
// (a webhook on loopback) off and on, side by side: what evaluating the
// rules over every logged entry costs the write load.
func BenchmarkAlertCost(b *testing.B) {
	hook := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer hook.Close()
	for _, op := range []string{"create", "update"} {
		for _, alerts := range []string{"off", "on"} {
			b.Run(fmt.Sprintf("%s/clients=64/alerts=%s", op, alerts), func(b *testing.B) {
				cfg := recConfig()
				if alerts == "on" {
					cfg.AlertWebhook = &WebhookConfig{URL: hook.URL, Secret: []byte("a webhook secret of 32 bytes...")}
				}
				ts := newTestServer(b, cfg)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				go ts.DeliverAlerts(ctx)
				benchPutSmallOn(b, []*testServer{ts}, ts.Store.CommitStats, nil, 64, op == "update")
			})
		}
	}
}

func benchPutSmall(b *testing.B, clients int, update, noLog bool) {
	ts := newTestServer(b, recConfig())
	ts.noLog = noLog
	benchPutSmallOn(b, []*testServer{ts}, ts.Store.CommitStats, nil, clients, update)
}

// benchPutSmallOn is benchPutSmall through servers that are one server to
// clients (one store, or one database): client i sends to server i mod
// len(servers). stats are the commit statistics of the (first) store.
// dbCPU, if not nil, tells the CPU time of the database's own processes,
// reported per op as db-cpu-us/op.
// benchWarm bounds the warm creates of benchPutSmallOn.
const benchWarm = 2000

func benchPutSmallOn(b *testing.B, servers []*testServer, stats func() store.CommitStats, db *benchDB, clients int, update bool) {
	accounts := make([]*recTestAccount, clients)
	for i := range accounts {
		accounts[i] = newRecAccount(b, servers[0], fmt.Sprintf("client%d", i)).on(servers[i%len(servers)])
	}
	c := benchClient()
	// Seal (and for updates, create) every record before the clock starts.
	plain := recPlain(4096)
	// warm creates run before the clock starts, through every client, so
	// that the timed part sees the steady state of a server that has run a
	// while: connections open and their statements planned, PostgreSQL's
	// backends past their first touch of its shared buffers.
	warm := min(b.N, benchWarm)
	n := b.N + warm
	frames := make([][]byte, n)
	ids := make([]store.RecordID, n)
	version := uint64(1)
	if update {
		version = 2
	}
	parallel(n, 4, func(i int) {
		a := accounts[i%clients]
		f := newRecord(b, a, plain)
		ids[i], frames[i] = f.ID, f.V1.frame()
		if update {
			if err := benchPut(c, a, f.ID, 1, bytes.NewReader(frames[i]), int64(len(frames[i]))); err != nil {
				b.Error(err)
			}
			frames[i] = f.next(b, f.V1.Header, a, plain).frame()
		}
	})
	parallel(warm, clients, func(i int) {
		i += b.N
		if err := benchPut(c, accounts[i%clients], ids[i], version, bytes.NewReader(frames[i]), int64(len(frames[i]))); err != nil {
			b.Error(err)
		}
	})
	var lat recLatencies
	before := stats()
	stopProfile := profileTimed(b)
	cpuBefore := cpuTime()
	db.begin(b)
	b.ResetTimer()
	start := time.Now()
	parallel(b.N, clients, func(i int) {
		t := time.Now()
		if err := benchPut(c, accounts[i%clients], ids[i], version, bytes.NewReader(frames[i]), int64(len(frames[i]))); err != nil {
			b.Error(err)
			return
		}
		lat.add(time.Since(t))
	})
	elapsed := time.Since(start)
	b.StopTimer()
	cpu := cpuTime() - cpuBefore
	db.end(b)
	stopProfile()
	lat.report(b, elapsed)
	reportCommits(b, before, stats(), elapsed)
	// Of the two cores, how much client and server used together: well
	// below 2 while the committer is near 100% busy means commits, not CPU,
	// bound the rate. PostgreSQL's own processes are not counted.
	b.ReportMetric(cpu.Seconds()/elapsed.Seconds(), "cpu-cores")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "go-cpu-us/op")
}

// profileTimed writes a CPU profile of the timed part alone to the file named
// by BLINDVAULT_BENCH_CPUPROFILE, if set: -cpuprofile would be dominated by
// the sealing done before the clock starts.
func profileTimed(b *testing.B) (stop func()) {
	path := os.Getenv("BLINDVAULT_BENCH_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// reportCommits reports how the writes of the timed part shared commits, how
// many pages each wrote, and what share of the time the committer was busy.
func reportCommits(b *testing.B, before, after store.CommitStats, elapsed time.Duration) {
	commits, writes := after.Commits-before.Commits, after.Writes-before.Writes
	if commits == 0 || writes == 0 {
		return
	}
	b.ReportMetric(float64(writes)/float64(commits), "writes/commit")
	b.ReportMetric(float64(after.PageWrites-before.PageWrites)/float64(writes), "pages/write")
	b.ReportMetric(100*(after.Busy-before.Busy).Seconds()/elapsed.Seconds(), "commit-busy-%")
}

// cpuTime is the CPU time, user and system, the process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// parallel runs fn(0..n-1) on the given number of goroutines.
func parallel(n, goroutines int, fn func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				fn(i)
			}
		})
	}
	wg.Wait()
}

// benchBody is a sealed 64 MiB body that benchmarks attach to fresh records:
// the server checks a body against the header's salt, commitment and leaf
// root, not against the record id it was sealed for (it cannot), so one
// sealing serves every upload.
type benchBody struct {
	owner  *recTestAccount
	header *format.Header
	body   []byte
	leaves []byte
}

const benchBodySize = 64 << 20

func newBenchBody(b *testing.B, owner *recTestAccount) *benchBody {
	plain := make([]byte, benchBodySize)
	rand.Read(plain)
	f := newRecord(b, owner, nil)
	v := sealVersion(b, f.ID, owner.ID, 1, [32]byte{}, f.ACL, f.EpochKey, owner, owner.Identity, plain, "big")
	return &benchBody{owner: owner, header: v.Header, body: v.Body, leaves: v.Leaves}
}

// frameFor returns the frame (everything before the body) of a new record
// holding the body.
func (bb *benchBody) frameFor(b *testing.B) (store.RecordID, []byte) {
	f := newRecord(b, bb.owner, nil)
	h := *bb.header
	h.RecordID, h.ACLHash = f.ID, f.ACL.Hash()
	if err := h.Sign(bb.owner.Identity); err != nil {
		b.Fatal(err)
	}
	return f.ID, encodeFrame(h.Marshal(), f.V1.ACL, f.V1.Grants, nil, bb.leaves, nil)
}

// upload stores the body as a new record and returns its id.
func (bb *benchBody) upload(b *testing.B, c *http.Client, id store.RecordID, frame []byte) {
	r := io.MultiReader(bytes.NewReader(frame), bytes.NewReader(bb.body))
	if err := benchPut(c, bb.owner, id, 1, r, int64(len(frame)+len(bb.body))); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkBodyUpload stores a 64 MiB body per operation. Each record is
// deleted again off the clock, so that the file reuses its pages instead of
// growing by 64 MiB an operation.
func BenchmarkBodyUpload(b *testing.B) {
	ts := newTestServer(b, recConfig())
	bb := newBenchBody(b, newRecAccount(b, ts, "alice"))
	c := benchClient()
	b.SetBytes(int64(len(bb.body)))
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		id, frame := bb.frameFor(b)
		b.StartTimer()
		bb.upload(b, c, id, frame)
		b.StopTimer()
		if err := ts.Store.DeleteRecord(context.Background(), store.Deletion{Record: id, Owner: bb.owner.ID, Deleted: time.Now()}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// BenchmarkBodyDownload reads a 64 MiB body per operation.
func BenchmarkBodyDownload(b *testing.B) {
	ts := newTestServer(b, recConfig())
	bb := newBenchBody(b, newRecAccount(b, ts, "alice"))
	c := benchClient()
	id, frame := bb.frameFor(b)
	bb.upload(b, c, id, frame)
	b.SetBytes(int64(len(bb.body)))
	b.ResetTimer()
	for range b.N {
		benchGetBody(b, c, bb.owner, id, int64(len(bb.body)))
	}
}

// benchGetBody reads version 1's body of record id as a, through a's
// server, and checks that it is size bytes.
func benchGetBody(b *testing.B, c *http.Client, a *recTestAccount, id store.RecordID, size int64) {
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, a.ts.URL+versionPath(id, 1)+"/body", nil)
	req.Header.Set("Authorization", "Bearer "+a.token)
	resp, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || n != size {
		b.Fatalf("GET body = %d, %d bytes, %v; want 200 and %d bytes", resp.StatusCode, n, err, size)
	}
}
