package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/internal/auditlog"
	"github.com/blindvault/blindvault/internal/testenv"
	"github.com/blindvault/blindvault/server/secrets"
	"github.com/blindvault/blindvault/server/store"
)

// The scale-out test runs two "blindvault serve" processes over one
// PostgreSQL database, as two servers behind a load balancer: one origin,
// one master key, one log key. They must behave as one server: a session
// made on one works on the other; of two conflicting writes sent one to each,
// one wins and the other gets 412; the log both append to verifies as one
// log, and their checkpoints of one size are the same bytes; and when one is
// killed (SIGKILL) in the middle of writes, the other keeps serving and holds
// every write the killed one acknowledged.

const scaleoutOrigin = "http://blindvault.test"

// scaleoutServer is a child and a client of it that signs for the shared origin.
type scaleoutServer struct {
	child *serveChild
	ts    *testServer
}

func startScaleoutServer(t *testing.T, bin, data, db, masterKey, logKey string, args ...string) *scaleoutServer {
	t.Helper()
	c := startServeChild(t, bin, data, append([]string{"--store", db, "--origin", scaleoutOrigin,
		"--master-key-file", masterKey, "--log-key-file", logKey}, args...)...)
	return &scaleoutServer{child: c, ts: scaleoutClient(c.URL, nil)}
}

// scaleoutClient reaches url from the loopback address local (nil: any).
func scaleoutClient(url string, local *net.TCPAddr) *testServer {
	d := &net.Dialer{LocalAddr: local, Timeout: 2 * time.Second}
	client := &http.Client{Timeout: sigkillTimeout, Transport: &http.Transport{DialContext: d.DialContext, DisableCompression: true}}
	return &testServer{Server: &Server{cfg: Config{Origin: scaleoutOrigin, Now: time.Now}}, URL: url, HTTP: client}
}

// on returns a copy of a that sends its requests to ts.
func (a *recTestAccount) on(ts *testServer) *recTestAccount {
	b := *a
	b.ts = ts
	return &b
}

func TestServe_TwoProcessesOneDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("short: builds the CLI and starts PostgreSQL")
	}
	pg := testenv.StartPostgres(t, &testenv.PostgresOptions{NoFsync: true})
	db := pg.NewDatabase(t)
	bin := buildServeBinary(t)
	dir := t.TempDir()
	masterKey, logKey := filepath.Join(dir, "master-key"), filepath.Join(dir, "log-key")
	if err := secrets.GenerateMasterKey(masterKey); err != nil {
		t.Fatal(err)
	}
	a := startScaleoutServer(t, bin, filepath.Join(dir, "a"), db, masterKey, logKey)
	// b shares the database's committers with a: one of its own, a
	// smaller pool (docs/operations.md).
	b := startScaleoutServer(t, bin, filepath.Join(dir, "b"), db+"&pool_max_conns=4", masterKey, logKey, "--store-committers", "1")
	defer func() {
		if t.Failed() {
			t.Logf("server a:\n%s\nserver b:\n%s", a.child.log, b.child.log)
		}
	}()

	// Each runs the committers it was given: 2 by default, 1 for b.
	for _, c := range []struct {
		name string
		ts   *testServer
		want string
	}{{"a", a.ts, "blindvault_store_committers 2\n"}, {"b", b.ts, "blindvault_store_committers 1\n"}} {
		resp, err := c.ts.HTTP.Get(c.ts.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		metrics, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || !bytes.Contains(metrics, []byte(c.want)) {
			t.Fatalf("server %s: /metrics lacks %q (%v)", c.name, c.want, err)
		}
	}

	// A session made on a works on b.
	alice := newRecAccount(t, a.ts, "alice")
	f := createRecord(t, alice.on(b.ts), recPlain(3000))
	alice.get(t, versionPath(f.ID, 1)).want(t, "GET v1 through a", http.StatusOK)

	// Conflicting writes, one through each server: one wins, one gets 412.
	prev := f.V1.Header
	for round := range 5 {
		va, vb := f.next(t, prev, alice, recPlain(100+round)), f.next(t, prev, alice, recPlain(200+round))
		var ra, rb recResponse
		var wg sync.WaitGroup
		wg.Go(func() { ra = alice.put(t, va) })
		wg.Go(func() { rb = alice.on(b.ts).put(t, vb) })
		wg.Wait()
		switch {
		case ra.Status == http.StatusCreated && rb.Status == http.StatusPreconditionFailed:
			prev = va.Header
		case rb.Status == http.StatusCreated && ra.Status == http.StatusPreconditionFailed:
			prev = vb.Header
		default:
			t.Fatalf("round %d: conflicting writes through a and b = %d and %d, want 201 and 412", round, ra.Status, rb.Status)
		}
	}

	// Both servers' appends make one log; checkpoints of one size are equal.
	cpA := checkLog(t, alice)
	cpB := checkLog(t, alice.on(b.ts))
	if cpA.size != cpB.size || !bytes.Equal(cpA.signed, cpB.signed) {
		t.Fatalf("checkpoints of a (size %d) and b (size %d) differ:\n%s\n%s", cpA.size, cpB.size, cpA.signed, cpB.signed)
	}

	// Writers on a; a is killed mid-write; b holds every acknowledged write.
	acked, rest := scaleoutKill(t, a, b)
	present := 0
	for _, w := range rest {
		r := w.owner.on(b.ts).get(t, versionPath(w.id, 1))
		if r.Status == http.StatusNotFound {
			continue
		}
		var view api.Record
		if r.Status == http.StatusOK {
			r.decode(t, &view)
		}
		if r.Status != http.StatusOK || view.HeaderHash != store.Hash(w.hash).String() {
			t.Fatalf("unacknowledged write %s: GET through b = %d %s, want 404 or the header sent", w.id, r.Status, r.Body)
		}
		present++
	}
	t.Logf("of the writes not acknowledged, %d were stored (in flight at the kill), %d not", present, len(rest)-present)
	for _, w := range acked {
		r := w.owner.on(b.ts).get(t, versionPath(w.id, 1))
		if r.Status != http.StatusOK {
			t.Fatalf("acknowledged write %s: GET through b = %d %s", w.id, r.Status, r.Body)
		}
		var view api.Record
		r.decode(t, &view)
		if view.HeaderHash != store.Hash(w.hash).String() {
			t.Fatalf("acknowledged write %s: b has header %s, a acknowledged %x", w.id, view.HeaderHash, w.hash)
		}
	}
	// b keeps serving: a new write, and a log that still verifies.
	createRecord(t, alice.on(b.ts), recPlain(500))
	checkLog(t, alice.on(b.ts))
}

type checkedCheckpoint struct {
	size   int64
	signed []byte
}

// checkLog verifies the server's checkpoint under its log key and recomputes
// its root from every entry.
func checkLog(t *testing.T, a *recTestAccount) checkedCheckpoint {
	t.Helper()
	var key api.LogKey
	mustJSON(t, a.get(t, "/v1/log/key").want(t, "GET log key", http.StatusOK), &key)
	v, err := note.NewVerifier(key.Key)
	if err != nil {
		t.Fatal(err)
	}
	signed := a.get(t, "/v1/log/checkpoint").want(t, "GET checkpoint", http.StatusOK).Body
	cp, _, err := (&auditlog.Policy{Origin: key.Origin, Log: v}).Open(signed)
	if err != nil {
		t.Fatalf("checkpoint: %v", err)
	}
	var tree auditlog.Tree
	for tree.Size() < cp.Size {
		var page struct{ Entries [][]byte }
		mustJSON(t, a.get(t, fmt.Sprintf("/v1/log/entries?from=%d", tree.Size())).want(t, "GET entries", http.StatusOK), &page)
		if len(page.Entries) == 0 {
			t.Fatalf("log entries end at %d, checkpoint has %d", tree.Size(), cp.Size)
		}
		for _, e := range page.Entries {
			if tree.Size() < cp.Size {
				tree.Append(e)
			}
		}
	}
	if root, _ := tree.Root(); root != cp.Root {
		t.Fatalf("entries 0..%d hash to another root than the checkpoint's", cp.Size)
	}
	return checkedCheckpoint{cp.Size, signed}
}

type scaleoutWrite struct {
	owner *recTestAccount
	id    store.RecordID
	hash  [32]byte
	frame []byte
}

// scaleoutKill has three accounts create records through a, each from its
// own loopback address, kills a once a dozen writes were acknowledged, and
// returns the acknowledged writes and the others.
func scaleoutKill(t *testing.T, a, b *scaleoutServer) (acked, rest []scaleoutWrite) {
	t.Helper()
	const writers, perWriter, killAfter = 3, 20, 12
	var queues [][]scaleoutWrite
	for i := range writers {
		owner := newRecAccount(t, scaleoutClient(a.child.URL, loopbackSource(t, i)), fmt.Sprintf("writer%d", i))
		var q []scaleoutWrite
		for range perWriter {
			fx := newRecord(t, owner, recPlain(2000))
			q = append(q, scaleoutWrite{owner: owner, id: fx.ID, hash: fx.V1.Header.Hash(), frame: fx.V1.frame()})
		}
		queues = append(queues, q)
	}
	var mu sync.Mutex
	done := map[store.RecordID]bool{}
	var n atomic.Int32
	killed := make(chan struct{})
	var wg sync.WaitGroup
	for _, q := range queues {
		wg.Go(func() {
			for _, w := range q {
				status, err := scaleoutPut(w)
				if err != nil {
					return // a is gone
				}
				if status != http.StatusCreated {
					t.Errorf("PUT %s through a = %d", w.id, status)
					return
				}
				mu.Lock()
				acked = append(acked, w)
				done[w.id] = true
				mu.Unlock()
				if n.Add(1) == killAfter {
					close(killed)
				}
			}
		})
	}
	select {
	case <-killed:
	case <-time.After(30 * time.Second):
		t.Fatalf("only %d writes acknowledged in 30 s", n.Load())
	}
	a.child.kill(t)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(acked) >= writers*perWriter {
		t.Fatalf("every write finished before the kill: the test proves nothing")
	}
	for _, q := range queues {
		for _, w := range q {
			if !done[w.id] {
				rest = append(rest, w)
			}
		}
	}
	t.Logf("%d writes acknowledged before the kill, %d not", len(acked), len(rest))
	return acked, rest
}

func scaleoutPut(w scaleoutWrite) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), sigkillTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, w.owner.ts.URL+versionPath(w.id, 1), bytes.NewReader(w.frame))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+w.owner.token)
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := w.owner.ts.HTTP.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, err // no acknowledgement without the whole answer
	}
	return resp.StatusCode, nil
}
