package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/server/secrets"
	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/server/store/bolt"
)

// The serve crash test runs the real "blindvault serve" as a child process
// over one data directory, writes records to it over loopback HTTP from
// several goroutines, kills it with SIGKILL in the middle of the writes, and
// restarts it. After each restart, every write the server acknowledged must
// be there and intact through the API, and a write that was in flight must be
// either absent or intact. After each kill a copy of the bbolt file passes the
// store's consistency check; at the end the file itself, with the server
// stopped, holds every acknowledged write and passes the check.
//
// The child has the default rate limits of "blindvault serve" (per account 20/s,
// burst 60; per address 50/s, burst 100). A restart refills them, so each
// account writes from its own loopback address, and the writes of one run are
// sized so that checking them after the restart fits in an account's burst.

const (
	sigkillAccounts = 6                     // patient accounts, one loopback address each
	sigkillWriters  = 2                     // goroutines per account, each with its own records
	sigkillQueue    = 16                    // versions a writer has sealed for a paced run
	sigkillBurst    = 10                    // and for a burst run
	sigkillPace     = 40 * time.Millisecond // mean pause of a writer between its writes
	sigkillOld      = 4                     // writes of earlier runs checked again per account and run
	sigkillTimeout  = 10 * time.Second
)

func TestServe_SIGKILLDuringWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("short: builds the CLI and restarts it 20 times")
	}
	runs := 20
	if os.Getenv("BLINDVAULT_SOAK") != "" {
		runs = 200
	}
	start := time.Now()
	bin := buildServeBinary(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	dbPath := filepath.Join(data, "blindvault.db")

	accts := make([]*sigkillAccount, sigkillAccounts)
	for i := range accts {
		accts[i] = &sigkillAccount{n: i, local: loopbackSource(t, i)}
		for range sigkillWriters {
			accts[i].writers = append(accts[i].writers, &sigkillWriter{acct: accts[i]})
		}
	}
	var st sigkillStats
	var prev []*sigkillResult // the last run's writers
	for run := 0; run <= runs; run++ {
		child := startServeChild(t, bin, data)
		for _, a := range accts {
			a.attach(child.URL)
		}
		if run == 0 {
			if _, err := os.Stat(data + ".master-key"); err != nil {
				t.Fatalf("no master key beside the data directory after the first start: %v", err)
			}
			for _, a := range accts {
				a.recTestAccount = newRecAccount(t, a.ts, fmt.Sprintf("crash%d", a.n))
			}
		} else {
			for _, a := range accts {
				a.verifyAfterRestart(t, prev, &st)
			}
			for _, a := range accts {
				// Sessions outlive the restart (they were used just above),
				// challenges do not: a fresh challenge–response must work.
				a.token = (&testAccount{ID: a.ID, ts: a.ts}).login(t, a.Device)
			}
		}
		if t.Failed() {
			t.Fatalf("run %d: server log:\n%s", run, child.log)
		}
		if run == runs {
			child.stop(t)
			break
		}
		prev = sigkillRun(t, run, child, accts, &st)
		if t.Failed() {
			t.Fatalf("run %d: server log:\n%s", run, child.log)
		}
		checkStoreCopy(t, run, dbPath)
	}
	verifyStore(t, dbPath, accts, &st)
	if st.acked == 0 || st.killedMidWrite == 0 {
		t.Fatalf("%d acknowledged writes, %d kills during a write: the test proves nothing", st.acked, st.killedMidWrite)
	}
	t.Logf("%d runs in %v: %d writes acknowledged; %d of %d kills landed with writes in flight; in-flight writes found after restart %d, absent %d; %d API checks, %d rate-limited retries",
		runs, time.Since(start).Round(time.Millisecond), st.acked, st.killedMidWrite, runs, st.inflightPresent, st.inflightAbsent, st.checks, st.limited)
}

// sigkillStats counts what the test saw, for its closing log line.
type sigkillStats struct {
	acked, killedMidWrite, inflightPresent, inflightAbsent, checks, limited int
}

// buildServeBinary builds the blindvault command once for the test.
func buildServeBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "blindvault")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/blindvault")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/blindvault: %v\n%s", err, out)
	}
	return bin
}

// loopbackSource is the source address of account i's connections: its own
// loopback address where the system has one, so that the per-address limit of
// one account does not hold back another.
func loopbackSource(t *testing.T, i int) *net.TCPAddr {
	t.Helper()
	a := &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(11+i))}
	ln, err := net.ListenTCP("tcp", a)
	if err != nil {
		t.Logf("no loopback address %v (%v): all accounts share 127.0.0.1", a.IP, err)
		return nil
	}
	ln.Close()
	return a
}

// serveChild is one "blindvault serve" process.
type serveChild struct {
	cmd  *exec.Cmd
	log  *childLog
	URL  string
	done chan struct{} // closed once the process is reaped
	err  error         // of Wait, once done is closed
}

var listeningRE = regexp.MustCompile(`listening on (http://127\.0\.0\.1:[0-9]+)`)

// startServeChild starts the server on data and waits for its URL. The child
// is killed when the test ends, whatever happens.
func startServeChild(t *testing.T, bin, data string, args ...string) *serveChild {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--data", data, "--addr", "127.0.0.1:0", "--insecure-http"}, args...)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, secrets.MasterKeyEnv+"=") {
			cmd.Env = append(cmd.Env, kv) // the master key is the file beside data
		}
	}
	c := &serveChild{cmd: cmd, log: &childLog{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = c.log, c.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		select {
		case <-c.done:
		case <-time.After(sigkillTimeout):
			t.Errorf("pid %d not reaped after SIGKILL", cmd.Process.Pid)
		}
	})
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for {
		if m := listeningRE.FindStringSubmatch(c.log.String()); m != nil {
			c.URL = m[1]
			return c
		}
		select {
		case <-c.done:
			t.Fatalf("serve exited (%v) before listening:\n%s", c.err, c.log)
		case <-deadline.C:
			t.Fatalf("serve did not print its address in 20s:\n%s", c.log)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// kill sends SIGKILL and waits until the child is reaped.
func (c *serveChild) kill(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Kill(); err != nil {
		t.Fatalf("SIGKILL: %v", err)
	}
	select {
	case <-c.done:
	case <-time.After(sigkillTimeout):
		t.Fatal("serve not reaped after SIGKILL")
	}
	var exit *exec.ExitError
	if !errors.As(c.err, &exit) {
		t.Fatalf("serve ended with %v before the kill:\n%s", c.err, c.log)
	}
	if ws, ok := exit.Sys().(syscall.WaitStatus); ok && (!ws.Signaled() || ws.Signal() != syscall.SIGKILL) {
		t.Fatalf("serve ended with %v, not by SIGKILL:\n%s", c.err, c.log)
	}
}

// stop shuts the child down as an operator would (interrupt) and expects a
// clean exit.
func (c *serveChild) stop(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.done:
		if c.err != nil {
			t.Errorf("serve exited with %v after an interrupt:\n%s", c.err, c.log)
		}
	case <-time.After(30 * time.Second):
		t.Errorf("serve did not shut down in 30s after an interrupt")
		c.kill(t)
	}
}

// childLog keeps the start and the end of the child's output.
type childLog struct {
	mu         sync.Mutex
	head, tail []byte
}

func (l *childLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(p)
	if k := min(len(p), 8<<10-len(l.head)); k > 0 {
		l.head, p = append(l.head, p[:k]...), p[k:]
	}
	l.tail = append(l.tail, p...)
	if len(l.tail) > 64<<10 {
		l.tail = append([]byte(nil), l.tail[len(l.tail)-16<<10:]...)
	}
	return n, nil
}

func (l *childLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.tail) == 0 {
		return string(l.head)
	}
	return string(l.head) + "\n[…]\n" + string(l.tail)
}

// sigkillAccount is a patient account with its writers, reached through the
// current child.
type sigkillAccount struct {
	*recTestAccount
	n       int
	local   *net.TCPAddr
	ts      *testServer
	writers []*sigkillWriter
	writes  []*sigkillWrite // every write known to be stored
}

// attach points the account at a freshly started child: the helpers reach it
// through ts (URL, HTTP client, and the origin that device signatures bind).
func (a *sigkillAccount) attach(url string) {
	if a.ts != nil {
		a.ts.HTTP.CloseIdleConnections()
	}
	d := &net.Dialer{LocalAddr: a.local, Timeout: 2 * time.Second}
	client := &http.Client{Timeout: sigkillTimeout, Transport: &http.Transport{
		DialContext: d.DialContext, MaxIdleConnsPerHost: 2 * sigkillWriters, DisableCompression: true,
	}}
	a.ts = &testServer{Server: &Server{cfg: Config{Origin: url, Now: time.Now}}, URL: url, HTTP: client}
	if a.recTestAccount != nil {
		a.recTestAccount.ts = a.ts
	}
}

// sigkillWriter writes versions of its own records, one at a time.
type sigkillWriter struct {
	acct    *sigkillAccount
	records []*sigkillRecord
}

// sigkillRecord is a record and its newest version known to be stored.
type sigkillRecord struct {
	fix  *recFixture
	head *format.Header
}

// sigkillWrite is one PUT of a version. Only digests of its leaves and body
// are kept, so that a soak's thousands of writes stay small in memory.
type sigkillWrite struct {
	rec          *sigkillRecord
	isNew        bool // version 1 of a record not yet stored
	head         *format.Header
	header       []byte     // head, encoded
	hash         store.Hash // of head
	leaves, body [32]byte   // SHA-256 of what was sent
	size         int        // of the body
	frame        []byte     // the PUT's body, until the run ends
	run          int
}

func newSigkillWrite(rec *sigkillRecord, isNew bool, rv *recVersion, run int) *sigkillWrite {
	return &sigkillWrite{
		rec: rec, isNew: isNew, head: rv.Header, header: rv.Header.Marshal(), hash: store.Hash(rv.Header.Hash()),
		leaves: sha256.Sum256(rv.Leaves), body: sha256.Sum256(rv.Body), size: len(rv.Body),
		frame: rv.frame(), run: run,
	}
}

func (w *sigkillWrite) id() store.RecordID { return store.RecordID(w.head.RecordID) }
func (w *sigkillWrite) version() uint64    { return w.head.Version }
func (w *sigkillWrite) String() string {
	return fmt.Sprintf("record %x version %d (run %d)", w.head.RecordID[:6], w.version(), w.run)
}

// stored marks w as durably stored: it becomes its record's head.
func (w *sigkillWrite) stored(wr *sigkillWriter) {
	if w.isNew {
		wr.records = append(wr.records, w.rec)
		w.isNew = false
	}
	w.rec.head = w.head
	wr.acct.writes = append(wr.acct.writes, w)
}

// plan seals the writer's next n writes on the test goroutine: new records and
// new versions of its records, each following the one before it.
func (wr *sigkillWriter) plan(t *testing.T, run, n int) []*sigkillWrite {
	t.Helper()
	heads := map[*sigkillRecord]*format.Header{}
	recs := append([]*sigkillRecord(nil), wr.records...)
	for _, r := range recs {
		heads[r] = r.head
	}
	out := make([]*sigkillWrite, 0, n)
	for range n {
		size := 64 + rand.IntN(4<<10)
		if rand.IntN(8) == 0 {
			size = 24<<10 + rand.IntN(16<<10)
		}
		var w *sigkillWrite
		if len(recs) == 0 || rand.IntN(4) == 0 {
			f := newRecord(t, wr.acct.recTestAccount, recPlain(size))
			r := &sigkillRecord{fix: f}
			recs = append(recs, r)
			w = newSigkillWrite(r, true, f.V1, run)
			f.V1 = nil // next needs the record's keys and ACL, not its first version
		} else {
			r := recs[rand.IntN(len(recs))]
			w = newSigkillWrite(r, false, r.fix.next(t, heads[r], wr.acct.recTestAccount, recPlain(size)), run)
		}
		heads[w.rec] = w.head
		out = append(out, w)
	}
	return out
}

// sigkillResult is what one writer saw in one run.
type sigkillResult struct {
	wr       *sigkillWriter
	acked    []*sigkillWrite
	inflight *sigkillWrite // sent, and no answer before the kill
	limited  int           // PUTs answered 429 (and sent again)
	err      error
}

// sigkillRun starts every writer, kills the child in the middle of the
// writes, and returns what the writers saw. Runs alternate between two ways
// of choosing the moment:
//
//   - paced: the writers pause between writes (sigkillPace on average); after
//     a random 50–400 ms the kill waits for a PUT in flight and a random
//     0–3 ms more (again if no PUT is in flight then), so that it lands at
//     any stage of a request;
//   - burst: the writers send back to back, so that many writes share each
//     group commit, and the kill comes after a random number of
//     acknowledgements, at a random 0–2 ms after it.
//
// Either way an account writes about as much as checking it after the
// restart can afford within the rate limit.
func sigkillRun(t *testing.T, run int, child *serveChild, accts []*sigkillAccount, st *sigkillStats) []*sigkillResult {
	t.Helper()
	burst := run%2 == 1
	queue, pace := sigkillQueue, sigkillPace
	if burst {
		queue, pace = sigkillBurst, 0
	}
	var results []*sigkillResult
	queues := map[*sigkillResult][]*sigkillWrite{}
	for _, a := range accts {
		for _, wr := range a.writers {
			r := &sigkillResult{wr: wr}
			results = append(results, r)
			queues[r] = wr.plan(t, run, queue)
		}
	}
	var killed, finished atomic.Bool
	var busy, acks atomic.Int32 // PUTs sent and not yet answered; PUTs acknowledged
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	for _, r := range results {
		a := r.wr.acct
		client, url, token := a.ts.HTTP, a.ts.URL, a.token
		wg.Go(func() {
			for _, w := range queues[r] {
				for {
					if killed.Load() {
						return
					}
					busy.Add(1)
					status, msg, err := sigkillPut(ctx, client, url, token, w)
					busy.Add(-1)
					switch {
					case err != nil && killed.Load():
						r.inflight = w // perhaps sent after the kill: then surely absent
						return
					case err != nil:
						r.err = fmt.Errorf("PUT %v before the kill: %v", w, err)
						return
					case status == http.StatusTooManyRequests:
						r.limited++
						time.Sleep(20 * time.Millisecond)
						continue
					case status != http.StatusCreated:
						r.err = fmt.Errorf("PUT %v = %d %s", w, status, msg)
						return
					}
					r.acked = append(r.acked, w)
					acks.Add(1)
					break
				}
				if pace > 0 {
					time.Sleep(time.Duration(rand.Int64N(int64(2 * pace))))
				}
			}
		})
	}
	go func() {
		wg.Wait()
		finished.Store(true)
	}()
	poll := func(until func() bool, limit time.Duration) {
		for end := time.Now().Add(limit); !until() && !finished.Load() && time.Now().Before(end); {
			time.Sleep(50 * time.Microsecond)
		}
	}
	if burst {
		k := int32(rand.IntN(len(results) * queue * 9 / 10))
		poll(func() bool { return acks.Load() >= k }, 20*time.Second)
		time.Sleep(time.Duration(rand.IntN(2000)) * time.Microsecond)
	} else {
		time.Sleep(time.Duration(50+rand.IntN(351)) * time.Millisecond)
		for range 20 {
			poll(func() bool { return busy.Load() > 0 }, 250*time.Millisecond)
			time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
			if busy.Load() > 0 || finished.Load() {
				break
			}
		}
	}
	killed.Store(true)
	inflight := busy.Load()
	child.kill(t)
	wg.Wait()
	if inflight > 0 {
		st.killedMidWrite++
	}
	for _, q := range queues {
		for _, w := range q {
			w.frame = nil
		}
	}
	acked, limited, lost := 0, 0, 0
	for _, r := range results {
		if r.err != nil {
			t.Errorf("run %d: %v", run, r.err)
		}
		for _, w := range r.acked {
			w.stored(r.wr)
		}
		if r.inflight != nil {
			lost++
		}
		acked += len(r.acked)
		limited += r.limited
	}
	st.acked += acked
	st.limited += limited
	mode := "paced"
	if burst {
		mode = "burst"
	}
	t.Logf("run %d (%s): %d writes acknowledged, %d in flight at the kill, %d unanswered, %d refused by the rate limit",
		run, mode, acked, inflight, lost, limited)
	return results
}

// sigkillPut sends one version and returns the status, or an error when no
// answer came (the kill, or the timeout).
func sigkillPut(ctx context.Context, client *http.Client, url, token string, w *sigkillWrite) (int, string, error) {
	ctx, cancel := context.WithTimeout(ctx, sigkillTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, url+versionPath(w.id(), w.version()), bytes.NewReader(w.frame))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	msg, err := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if err != nil {
		return 0, "", err // the status is no acknowledgement without its body
	}
	return resp.StatusCode, string(bytes.TrimSpace(msg)), nil
}

// verifyAfterRestart checks through the restarted server, as a and with the
// token from before the kill: every write of a acknowledged in the last run
// is there and intact; an in-flight write is absent or intact (and then
// counts as stored); a few older writes are still intact; and the list of
// a's records shows the expected head of each.
func (a *sigkillAccount) verifyAfterRestart(t *testing.T, prev []*sigkillResult, st *sigkillStats) {
	t.Helper()
	for _, r := range prev {
		if r.wr.acct != a {
			continue
		}
		for _, w := range r.acked {
			a.checkWrite(t, w, true, st)
		}
		if w := r.inflight; w != nil {
			if a.checkWrite(t, w, false, st) {
				w.stored(r.wr)
				st.inflightPresent++
			} else {
				st.inflightAbsent++
			}
		}
	}
	if old := len(a.writes); old > 0 {
		for range sigkillOld {
			a.checkWrite(t, a.writes[rand.IntN(old)], true, st)
		}
	}
	want := map[store.RecordID]*format.Header{}
	for _, wr := range a.writers {
		for _, r := range wr.records {
			want[r.fix.ID] = r.head
		}
	}
	got := map[store.RecordID]api.Head{}
	for after := ""; ; {
		var page api.RecordList
		path := "/v1/records?limit=" + strconv.Itoa(maxLimit)
		if after != "" {
			path += "&after=" + after
		}
		a.getLimited(t, path, st).want(t, "GET /v1/records", http.StatusOK).decode(t, &page)
		for _, h := range page.Records {
			raw, err := hex.DecodeString(h.ID)
			if err != nil || len(raw) != 32 {
				t.Fatalf("list: bad record id %q", h.ID)
			}
			got[store.RecordID(raw)] = h
		}
		if after = page.Next; after == "" {
			break
		}
	}
	if len(got) != len(want) {
		t.Errorf("%s: the list has %d records, want %d", a.Card.Handle, len(got), len(want))
	}
	for id, h := range want {
		g, ok := got[id]
		if !ok || g.Version != h.Version || g.HeaderHash != store.Hash(h.Hash()).String() {
			t.Errorf("%s: record %x is listed at version %d hash %.12s, want version %d hash %.12s",
				a.Card.Handle, id[:6], g.Version, g.HeaderHash, h.Version, store.Hash(h.Hash()).String())
		}
	}
}

// checkWrite fetches w's header and body and compares them with what was
// sent. A write that must be there and is not fails the test; one that may be
// missing (mustExist false) is reported as absent. It reports whether the
// write is stored.
func (a *sigkillAccount) checkWrite(t *testing.T, w *sigkillWrite, mustExist bool, st *sigkillStats) bool {
	t.Helper()
	st.checks++
	what := "acknowledged " + w.String()
	if !mustExist {
		what = "in-flight " + w.String()
	}
	r := a.getLimited(t, versionPath(w.id(), w.version()), st)
	if r.Status == http.StatusNotFound && !mustExist {
		return false
	}
	if r.Status != http.StatusOK {
		t.Errorf("%s: GET version = %d %s", what, r.Status, bytes.TrimSpace(r.Body))
		return false
	}
	var view api.Record
	r.decode(t, &view)
	if view.Version != w.version() || view.HeaderHash != w.hash.String() || !bytes.Equal(view.Header, w.header) {
		t.Errorf("%s: stored header differs: version %d, hash %.12s, %d header bytes; sent hash %.12s, %d bytes",
			what, view.Version, view.HeaderHash, len(view.Header), w.hash, len(w.header))
		return false
	}
	b := a.getLimited(t, versionPath(w.id(), w.version())+"/body", st)
	switch {
	case b.Status != http.StatusOK:
		t.Errorf("%s: GET body = %d %s", what, b.Status, bytes.TrimSpace(b.Body))
		return false
	case len(b.Body) != w.size || sha256.Sum256(b.Body) != w.body:
		t.Errorf("%s: GET body returned %d bytes that differ from the %d sent", what, len(b.Body), w.size)
		return false
	}
	return true
}

// getLimited is a GET as a that waits out the child's rate limits.
func (a *sigkillAccount) getLimited(t *testing.T, path string, st *sigkillStats) recResponse {
	t.Helper()
	for try := 0; ; try++ {
		r := a.get(t, path)
		if r.Status != http.StatusTooManyRequests || try == 100 {
			return r
		}
		st.limited++
		time.Sleep(50 * time.Millisecond)
	}
}

// checkStoreCopy runs the store's consistency check on a copy of the file
// as the kill left it, so that the restarted server is still the first to
// open the file itself.
func checkStoreCopy(t *testing.T, run int, path string) {
	t.Helper()
	cp := filepath.Join(t.TempDir(), "copy.db")
	if err := copyFile(cp, path); err != nil {
		t.Fatalf("copying the file: %v", err)
	}
	defer os.Remove(cp)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := bolt.Open(cp, nil)
	if err != nil {
		t.Fatalf("run %d: bolt.Open(the file after SIGKILL) = %v", run, err)
	}
	defer s.Close()
	if err := s.Check(ctx); err != nil {
		t.Fatalf("run %d: Check(the file after SIGKILL) = %v", run, err)
	}
}

// verifyStore opens the file with the server stopped, checks every write known
// to be stored (header, leaves, body) and every record's head, and runs the
// consistency check.
func verifyStore(t *testing.T, path string, accts []*sigkillAccount, st *sigkillStats) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	s, err := bolt.Open(path, nil)
	if err != nil {
		t.Fatalf("bolt.Open = %v", err)
	}
	defer s.Close()
	n := 0
	for _, a := range accts {
		for _, w := range a.writes {
			n++
			v, err := s.Version(ctx, w.id(), w.version())
			if err != nil {
				t.Fatalf("stored %v: Version = %v", w, err)
			}
			if v.HeaderHash != w.hash || !bytes.Equal(v.Header, w.header) {
				t.Fatalf("stored %v: the header differs", w)
			}
			leaves, err := s.Leaves(ctx, w.id(), w.version())
			if err != nil || sha256.Sum256(leaves) != w.leaves {
				t.Fatalf("stored %v: Leaves = %d bytes (%v) that differ from those sent", w, len(leaves), err)
			}
			rc, err := s.OpenBody(ctx, w.id(), w.version(), 0, v.BodySize)
			if err != nil {
				t.Fatalf("stored %v: OpenBody = %v", w, err)
			}
			body, err := io.ReadAll(rc)
			rc.Close()
			if err != nil || len(body) != w.size || sha256.Sum256(body) != w.body {
				t.Fatalf("stored %v: body of %d bytes (%v) differs from the %d sent", w, len(body), err, w.size)
			}
		}
		for _, wr := range a.writers {
			for _, r := range wr.records {
				h, err := s.Head(ctx, r.fix.ID)
				if err != nil || h.Version != r.head.Version || h.HeaderHash != store.Hash(r.head.Hash()) {
					t.Fatalf("record %x: head at version %d (%v), want %d", r.fix.ID[:6], h.Version, err, r.head.Version)
				}
			}
		}
	}
	if n < st.acked {
		t.Fatalf("%d writes checked, fewer than the %d acknowledged", n, st.acked)
	}
	if err := s.Check(ctx); err != nil {
		t.Fatalf("Check = %v", err)
	}
}

func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	return errors.Join(err, out.Close())
}
