//go:build !js

package sdk_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/blindvault/blindvault/internal/auditlog"
	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/servertest"
	"github.com/blindvault/blindvault/server/witness"
)

// The transparency-log suite: a server that drops, rewrites, forks or rolls
// back its log, hides a read from the audit view, or publishes a key card for
// an account without its owner. Each is caught with a typed error.

const testLogOrigin = "vault.test/log"

// logKey makes a log key, so that a test can also sign what a malicious
// server would sign.
func logKey(t testing.TB) (note.Signer, string) {
	skey, vkey, err := note.GenerateKey(rand.Reader, testLogOrigin)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return s, vkey
}

// logEntries edits every page of log entries the proxy serves.
func logEntries(t testing.TB, edit func(entries [][]byte) [][]byte) hook {
	return editJSON(t, func(m map[string]json.RawMessage) {
		var es [][]byte
		if err := json.Unmarshal(m["entries"], &es); err != nil {
			t.Errorf("proxy: log entries: %v", err)
		}
		m["entries"] = toJSON(edit(es))
	})
}

func TestLog_DroppedEntry(t *testing.T) {
	_, p, alice := newPatient(t)
	put(t, alice, []byte("a record"), "one")
	p.attack(t, "GET", "/v1/log/entries", logEntries(t, func(es [][]byte) [][]byte {
		if len(es) < 2 {
			return nil
		}
		return append(es[:1:1], es[2:]...)
	}))
	_, err := alice.VerifyLog(t.Context())
	if !errors.Is(err, sdk.CheckLogMismatch) {
		t.Fatalf("VerifyLog with an entry dropped: %v, want CheckLogMismatch", err)
	}
}

func TestLog_RewrittenEntry(t *testing.T) {
	_, p, alice := newPatient(t)
	put(t, alice, []byte("a record"), "one")
	p.attack(t, "GET", "/v1/log/entries", logEntries(t, func(es [][]byte) [][]byte {
		e, err := auditlog.Parse(es[len(es)-1])
		if err != nil {
			t.Fatal(err)
		}
		e.Time-- // a well-formed entry, one second earlier
		es[len(es)-1] = e.Marshal()
		return es
	}))
	_, err := alice.VerifyLog(t.Context())
	if !errors.Is(err, sdk.CheckLogMismatch) {
		t.Fatalf("VerifyLog with an entry rewritten: %v, want CheckLogMismatch", err)
	}
}

func TestLog_RolledBack(t *testing.T) {
	_, p, alice := newPatient(t)
	if _, err := alice.VerifyLog(t.Context()); err != nil {
		t.Fatal(err)
	}
	old := p.answer(t, "GET", "/v1/log/checkpoint")
	put(t, alice, []byte("a record"), "one")
	if _, err := alice.VerifyLog(t.Context()); err != nil {
		t.Fatal(err)
	}
	p.attack(t, "GET", "/v1/log/checkpoint", replay(old))
	_, err := alice.VerifyLog(t.Context())
	if !errors.Is(err, sdk.CheckRollback) {
		t.Fatalf("VerifyLog of a rolled-back log: %v, want CheckRollback", err)
	}
}

func TestLog_HiddenReadInAudit(t *testing.T) {
	aw := newAttackWorld(t)
	ctx := t.Context()
	rec := put(t, aw.patient, []byte("lab results"), "labs")
	if _, err := aw.patient.Share(ctx, rec.RecordID, "dr-jones", nil); err != nil {
		t.Fatal(err)
	}
	mustRead(t, aw.clinician, rec.RecordID, []byte("lab results"))

	// Honest: the patient sees who read it.
	evs, err := aw.patient.Audit(ctx, rec.RecordID)
	if err != nil {
		t.Fatalf("Audit: %v", err)
	}
	if !hasEvent(evs, "body read", "dr-jones") || !hasEvent(evs, "grant created", "alice") || !hasEvent(evs, "version written", "alice") {
		t.Fatalf("Audit = %+v, want alice's write and share and dr-jones's read", evs)
	}

	// The server hides the next read from the patient's view of the log.
	mustRead(t, aw.clinician, rec.RecordID, []byte("lab results"))
	aw.alice.attack(t, "GET", "/v1/log/entries", logEntries(t, func(es [][]byte) [][]byte {
		kept := es[:0]
		for _, raw := range es {
			if e, err := auditlog.Parse(raw); err == nil && e.Type == auditlog.BodyRead && e.Subject == rec.RecordID {
				continue
			}
			kept = append(kept, raw)
		}
		return kept
	}))
	if _, err := aw.patient.Audit(ctx, rec.RecordID); !errors.Is(err, sdk.CheckLogMismatch) {
		t.Fatalf("Audit with the read hidden: %v, want CheckLogMismatch", err)
	}
}

func hasEvent(evs []sdk.AuditEvent, action, who string) bool {
	for _, e := range evs {
		if e.Action == action && e.Who == who {
			return true
		}
	}
	return false
}

func TestLog_SecondKeyCardWithoutOwner(t *testing.T) {
	srv, _, alice := newPatient(t)
	ctx := t.Context()
	if _, err := alice.VerifyLog(ctx); err != nil {
		t.Fatal(err)
	}
	// The server logs a card for alice that alice never made.
	other, err := sdk.NewIdentity("alice")
	if err != nil {
		t.Fatal(err)
	}
	fake := &auditlog.Entry{Type: auditlog.KeyCard, Time: 1, Subject: alice.AccountID(), Number: 2}
	copy(fake.Object[:], other.Card().Bytes()[:32])
	if _, err := srv.Store.AppendLog(ctx, fake.Marshal()); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.VerifyLog(ctx); !errors.Is(err, sdk.CheckUnexpectedKey) {
		t.Fatalf("VerifyLog with a second card for alice: %v, want CheckUnexpectedKey", err)
	}
}

// A key card that is not in the log is refused before anything is wrapped to it.
func TestLog_ShareNeedsLoggedCard(t *testing.T) {
	aw := newAttackWorld(t)
	rec := put(t, aw.patient, []byte("x"), "x")
	// A first contact: a validly self-signed card the server never logged.
	impostor, err := sdk.NewIdentity("dr-jones")
	if err != nil {
		t.Fatal(err)
	}
	aw.alice.attack(t, "GET", "/v1/directory/dr-jones", serveCards(t, impostor.Card().Bytes()))
	mark := aw.alice.mark()
	_, err = aw.patient.Share(t.Context(), rec.RecordID, "dr-jones", nil)
	if !errors.Is(err, sdk.CheckKeyUnverified) || !errors.Is(err, sdk.CheckNotLogged) {
		t.Fatalf("Share to a card the log never saw: %v, want CheckKeyUnverified and CheckNotLogged", err)
	}
	aw.alice.noWrites(t, mark)
}

// forkedLog serves a client the real server's API, except the log, which it
// replaces with a fork: the first n−1 real entries and one of its own, with
// checkpoints signed by the log key (a malicious server holds it).
type forkedLog struct {
	t      testing.TB
	signer note.Signer
	real   *servertest.Server

	mu     sync.Mutex
	active bool
	tree   auditlog.Tree
	raw    [][]byte
}

func newForkedLog(t testing.TB, real *servertest.Server, signer note.Signer) (*forkedLog, *httptest.Server) {
	f := &forkedLog{t: t, signer: signer, real: real}
	u, _ := url.Parse(real.URL)
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(u) }}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		active := f.active
		f.mu.Unlock()
		if !active || !f.serve(w, r) {
			rp.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(ts.Close)
	return f, ts
}

// fork builds the fork from the real log's entries.
func (f *forkedLog) fork() {
	es, err := f.real.Store.LogEntries(f.t.Context(), 0, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	fake := &auditlog.Entry{Type: auditlog.BodyRead, Time: 7}
	es = append(es[:len(es)-1], fake.Marshal())
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range es {
		if err := f.tree.Append(e); err != nil {
			f.t.Fatal(err)
		}
	}
	f.raw, f.active = es, true
}

func (f *forkedLog) serve(w http.ResponseWriter, r *http.Request) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	q := r.URL.Query()
	size := f.tree.Size()
	switch r.URL.Path {
	case "/v1/log/checkpoint":
		root, _ := f.tree.Root()
		signed, err := auditlog.Sign(auditlog.Checkpoint{Origin: testLogOrigin, Size: size, Root: root}, f.signer)
		if err != nil {
			f.t.Error(err)
		}
		w.Write(signed)
	case "/v1/log/entries":
		from, _ := strconv.ParseInt(q.Get("from"), 10, 64)
		json.NewEncoder(w).Encode(map[string]any{"entries": f.raw[min(from, size):]})
	case "/v1/log/consistency":
		from, _ := strconv.ParseInt(q.Get("from"), 10, 64)
		to, _ := strconv.ParseInt(q.Get("size"), 10, 64)
		p, err := tlog.ProveTree(to, from, &f.tree)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return true
		}
		hs := make([][]byte, len(p))
		for i := range p {
			hs[i] = p[i][:]
		}
		json.NewEncoder(w).Encode(map[string]any{"hashes": hs})
	default:
		return false
	}
	return true
}

// forkWorld is a server whose log key the test holds, with alice on the real
// log and bob behind a fork.
func forkWorld(t *testing.T, withWitness bool) (*sdk.Client, *sdk.Client, *forkedLog) {
	t.Helper()
	signer, vkey := logKey(t)
	var witnesses []sdk.Witness
	if withWitness {
		witnesses = startWitness(t, vkey, 0)
	}
	srv := servertest.Start(t, server.Config{LogSigner: signer, LogVerifierKey: vkey, LogOrigin: testLogOrigin})
	f, forkURL := newForkedLog(t, srv, signer)
	connect := func(via string) *sdk.Client {
		c, err := sdk.Connect(t.Context(), sdk.Config{Server: srv.URL, Storage: &sdk.MemoryStorage{}, LogKey: vkey,
			Transport: sdk.NewHTTPTransport(via, nil), Witnesses: witnesses, WitnessQuorum: len(witnesses)})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	alice, bob := connect(srv.URL), connect(forkURL.URL)
	register(t, alice, "alice", "", "", patientPass)
	register(t, bob, "bob", "", "", "bob's long passphrase, 2026")
	put(t, alice, []byte("a record"), "one")
	f.fork()
	return alice, bob, f
}

func TestLog_ForkCaughtByComparingCheckpoints(t *testing.T) {
	alice, bob, _ := forkWorld(t, false)
	ctx := t.Context()
	if _, err := alice.VerifyLog(ctx); err != nil {
		t.Fatalf("alice VerifyLog: %v", err)
	}
	// bob alone cannot tell: the fork is consistent with all he saw.
	if _, err := bob.VerifyLog(ctx); err != nil {
		t.Fatalf("bob VerifyLog of the fork: %v", err)
	}
	// Comparing checkpoints shows the two trees of one size differ.
	if err := bob.CheckCheckpoint(ctx, alice.Checkpoint()); !errors.Is(err, sdk.CheckLogFork) {
		t.Fatalf("bob checks alice's checkpoint: %v, want CheckLogFork", err)
	}
	if err := alice.CheckCheckpoint(ctx, bob.Checkpoint()); !errors.Is(err, sdk.CheckLogFork) {
		t.Fatalf("alice checks bob's checkpoint: %v, want CheckLogFork", err)
	}
}

func TestLog_ForkCaughtByWitness(t *testing.T) {
	alice, bob, _ := forkWorld(t, true)
	ctx := t.Context()
	if _, err := alice.VerifyLog(ctx); err != nil {
		t.Fatalf("alice VerifyLog through the witness: %v", err)
	}
	if _, err := bob.VerifyLog(ctx); !errors.Is(err, sdk.CheckLogFork) {
		t.Fatalf("bob VerifyLog of a fork through the witness: %v, want CheckLogFork", err)
	}
}

// startWitness runs a witness of the log with verifier key vkey, whose
// clock is now shifted by skew.
func startWitness(t *testing.T, vkey string, skew time.Duration) []sdk.Witness {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cos := auditlog.NewCosigner("witness.test/w1", priv)
	cos.Now = func() time.Time { return time.Now().Add(skew) }
	w, err := witness.New(testLogOrigin, vkey, cos, filepath.Join(t.TempDir(), "state"))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(w.Handler())
	t.Cleanup(ts.Close)
	return []sdk.Witness{{URL: ts.URL, Key: cos.VerifierKey()}}
}

// A server can keep a client on an old view of the log only as long as the
// client's witnesses let it: their cosignatures carry the time.
func TestLog_StaleWitnessRefused(t *testing.T) {
	signer, vkey := logKey(t)
	srv := servertest.Start(t, server.Config{LogSigner: signer, LogVerifierKey: vkey, LogOrigin: testLogOrigin})
	wits := startWitness(t, vkey, -48*time.Hour)
	c, err := sdk.Connect(t.Context(), sdk.Config{Server: srv.URL, Storage: &sdk.MemoryStorage{}, LogKey: vkey,
		Witnesses: wits, WitnessQuorum: 1, MaxCheckpointAge: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	register(t, c, "alice", "", "", patientPass)
	_, err = c.Put(t.Context(), bytes.NewReader([]byte("x")), nil)
	if !errors.Is(err, sdk.CheckStale) {
		t.Fatalf("Put under a checkpoint last witnessed 48 h ago: %v, want CheckStale", err)
	}
}

func TestLog_GrantWithoutOwner(t *testing.T) {
	srv, _, alice := newPatient(t)
	ctx := t.Context()
	rec := put(t, alice, []byte("x"), "x")
	if _, err := alice.VerifyLog(ctx); err != nil {
		t.Fatal(err)
	}
	// The server logs a grant on alice's record by an account she never met.
	fake := &auditlog.Entry{Type: auditlog.GrantCreated, Time: 1, Subject: rec.RecordID, Number: 1}
	fake.Actor[0], fake.Peer[0] = 1, 2
	if _, err := srv.Store.AppendLog(ctx, fake.Marshal()); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.VerifyLog(ctx); !errors.Is(err, sdk.CheckUnexpectedKey) {
		t.Fatalf("VerifyLog with a grant alice did not make: %v, want CheckUnexpectedKey", err)
	}
}

// A server that does not log an operation cannot prove it: a share answered
// without its receipt, or with another entry's, and a read served without a
// receipt are refused (and the read releases no plaintext).
func TestLog_UnloggedOperationsRefused(t *testing.T) {
	aw := newAttackWorld(t)
	ctx := t.Context()
	rec := put(t, aw.patient, []byte("blood results"), "labs")

	aw.alice.attack(t, "PUT", recordPath(rec.RecordID)+"/acl", editJSON(t, func(m map[string]json.RawMessage) {
		m["receipts"] = toJSON([]any{})
	}))
	if _, err := aw.patient.Share(ctx, rec.RecordID, "dr-jones", nil); !errors.Is(err, sdk.CheckNotLogged) {
		t.Fatalf("Share answered without a receipt: %v, want CheckNotLogged", err)
	}
}

func TestLog_UnloggedReadRefused(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	u, _ := url.Parse(srv.URL)
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(u) },
		ModifyResponse: func(resp *http.Response) error {
			resp.Header.Del("Blindvault-Receipt") // served, but not logged
			return nil
		},
	}
	proxy := httptest.NewServer(rp)
	t.Cleanup(proxy.Close)
	c, err := sdk.Connect(t.Context(), sdk.Config{Server: srv.URL, Storage: &sdk.MemoryStorage{},
		Transport: sdk.NewHTTPTransport(proxy.URL, nil)})
	if err != nil {
		t.Fatal(err)
	}
	register(t, c, "alice", "", "", patientPass)
	rec := put(t, c, []byte("blood results"), "labs")
	plain, _, err := get(t, c, rec.RecordID)
	if !errors.Is(err, sdk.CheckNotLogged) || len(plain) != 0 {
		t.Fatalf("a read served without a receipt: %d bytes, %v; want CheckNotLogged and nothing", len(plain), err)
	}
}

// A body read's receipt is bound to the reader and to the request: a server
// that answers a read with an answer it gave before, receipt and all, proves
// nothing about this read (which it need not have logged), whether the
// earlier answer was another reader's read of the same version or this
// reader's own. Both the Go reader (Get) and the browser's (GetEncrypted, the
// wasm path) refuse it with CheckNotLogged and release nothing.
func TestLog_ReplayedReadRefused(t *testing.T) {
	aw := newAttackWorld(t)
	ctx := t.Context()
	plain := []byte("lab results")
	rec := put(t, aw.patient, plain, "labs")
	if _, err := aw.patient.Share(ctx, rec.RecordID, "dr-jones", nil); err != nil {
		t.Fatal(err)
	}
	body := bodyPath(rec.RecordID, rec.Version, "body")
	mustRead(t, aw.patient, rec.RecordID, plain) // the patient's read of the version
	theirs := aw.alice.exchange(t, "GET", body)
	mustRead(t, aw.clinician, rec.RecordID, plain) // the clinician's own first read
	own := aw.jones.exchange(t, "GET", body)
	if theirs.Header.Get("Blindvault-Receipt") == "" || own.Header.Get("Blindvault-Receipt") == "" {
		t.Fatal("the recorded answers carry no receipt")
	}

	reads := map[string]func() ([]byte, error){
		"Get": func() ([]byte, error) {
			got, _, err := get(t, aw.clinician, rec.RecordID)
			return got, err
		},
		"GetEncrypted": func() ([]byte, error) {
			_, eb, err := sdk.GetEncrypted(aw.clinician, ctx, rec.RecordID)
			if err != nil {
				return nil, err
			}
			defer eb.Close()
			return io.ReadAll(eb.Body)
		},
	}
	for _, tc := range []struct {
		name string
		old  exchange
	}{
		{"another reader's earlier answer", theirs},
		{"this reader's earlier answer", own},
	} {
		for how, read := range reads {
			t.Run(tc.name+"/"+how, func(t *testing.T) {
				aw.jones.replayAnswer(t, "GET", body, tc.old)
				got, err := read()
				refused(t, how+" answered with "+tc.name, err, sdk.CheckNotLogged, got)
			})
		}
	}
	// The server logs this very request (its nonce) but names the patient as
	// the reader: the receipt proves a read, not the clinician's.
	t.Run("this request logged as another reader's", func(t *testing.T) {
		salt := field(t, aw.jones.answer(t, "GET", recordPath(rec.RecordID)), "log_salt")
		aw.jones.answerWith(t, "GET", body, logReadAs(t, aw.srv, salt, aw.patient.AccountID()))
		got, _, err := get(t, aw.clinician, rec.RecordID)
		refused(t, "Get logged as the patient's read", err, sdk.CheckNotLogged, got)
	})

	// Answered honestly again, the read goes through.
	mustRead(t, aw.clinician, rec.RecordID, plain)
	evs, err := aw.patient.Audit(ctx, rec.RecordID)
	if err != nil {
		t.Fatalf("Audit: %v", err)
	}
	if !hasEvent(evs, "body read", "dr-jones") {
		t.Fatalf("Audit = %+v, want dr-jones's reads", evs)
	}
	for _, e := range evs {
		if e.Action == "body read" && (e.Who != "alice" && e.Who != "dr-jones" || e.Whom != "") {
			t.Fatalf("Audit shows a read as %+v: a read's Peer is its nonce, not a person", e)
		}
	}
}

// logReadAs answers a body read with the real body and the receipt of an
// entry the server appends beside the real one: the real entry (this
// request's, with its nonce) with acct, under salt, as the reader.
func logReadAs(t testing.TB, srv *servertest.Server, salt []byte, acct [32]byte) answerFunc {
	return func(req *http.Request, real exchange) exchange {
		var rc server.Receipt
		raw, err := base64.StdEncoding.DecodeString(real.Header.Get("Blindvault-Receipt"))
		if err == nil {
			err = json.Unmarshal(raw, &rc)
		}
		var e *auditlog.Entry
		if err == nil {
			e, err = auditlog.Parse(rc.Entry)
		}
		if err != nil {
			t.Errorf("proxy: the real receipt: %v", err)
			return real
		}
		if hex.EncodeToString(e.Peer[:]) != req.Header.Get("Blindvault-Read-Nonce") {
			t.Errorf("proxy: the real read's Peer %x is not the request's nonce %q", e.Peer, req.Header.Get("Blindvault-Read-Nonce"))
		}
		e.Actor = auditlog.ActorHash(salt, acct)
		forged := e.Marshal()
		index, err := srv.Store.AppendLog(req.Context(), forged)
		if err != nil {
			t.Errorf("proxy: append: %v", err)
			return real
		}
		cp := getAll(t, srv, "/v1/log/checkpoint")
		lines := strings.SplitN(string(cp), "\n", 3)
		if len(lines) < 3 {
			t.Errorf("proxy: checkpoint %q", cp)
			return real
		}
		var proof struct{ Hashes [][]byte }
		if err := json.Unmarshal(getAll(t, srv, "/v1/log/proof?index="+strconv.FormatInt(index, 10)+"&size="+lines[1]), &proof); err != nil {
			t.Errorf("proxy: proof: %v", err)
			return real
		}
		b, err := json.Marshal(server.Receipt{Index: index, Entry: forged, Proof: proof.Hashes, Checkpoint: string(cp)})
		if err != nil {
			t.Errorf("proxy: receipt: %v", err)
			return real
		}
		out := real
		out.Header = real.Header.Clone()
		out.Header.Set("Blindvault-Receipt", base64.StdEncoding.EncodeToString(b))
		return out
	}
}

// getAll reads a public answer of the real server.
func getAll(t testing.TB, srv *servertest.Server, path string) []byte {
	resp, err := srv.HTTP.Get(srv.URL + path)
	if err != nil {
		t.Errorf("proxy: GET %s: %v", path, err)
		return nil
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("proxy: GET %s: %d, %v", path, resp.StatusCode, err)
	}
	return b
}
