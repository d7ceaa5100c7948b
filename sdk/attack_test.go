//go:build !js

package sdk_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudflare/circl/oprf"

	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/internal/grant"
	"github.com/blindvault/blindvault/internal/keyfile"
	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/servertest"
	"github.com/blindvault/blindvault/server/store"
)

// The malicious-server suite. The server is the adversary of the threat model:
// here it is a real server (servertest) behind a proxy that forwards every
// request, logs every answer, and rewrites the answers a test tells it to:
// replays, substitutions, omissions, forgeries. Each attack must end in a typed
// error (errors.Is against an sdk sentinel), with no plaintext written and no
// key wrapped to anyone the user did not choose.
//
// A client under attack is configured with the real server's URL, which is
// the origin its device logins are signed for, and a transport that goes
// through its own proxy: to the client, the proxy is the server at that
// origin. So each victim has its own view of the server, and the server
// needs no change.

// hook rewrites one answer of the server: reqBody is the client's request
// body, status and body the real server's answer.
type hook func(reqBody []byte, status int, body []byte) (int, []byte)

// exchange is one request as the proxy forwarded it and the real answer.
type exchange struct {
	Method, Path string // Path is the path with the query
	Status       int
	Header       http.Header // the real answer's
	Body         []byte
	Forged       bool // a hook rewrote the answer
}

// proxy is a malicious server in front of a real one.
type proxy struct {
	URL    string
	client *http.Client

	mu    sync.Mutex
	rules map[string]rule // by "METHOD /path" (no query)
	log   []exchange
}

// rule is what the proxy does to the requests of one method and path: at most
// one of its fields is set.
type rule struct {
	hook   hook       // rewrite the real answer's status and body
	answer answerFunc // replace the real answer whole (status, headers, body)
	drop   []byte     // answer alone with a 200 and this body, never forwarding
}

type requestBodyKey struct{}

func newProxy(t testing.TB, target string) *proxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{rules: map[string]rule{}}
	rp := &httputil.ReverseProxy{
		Rewrite:        func(r *httputil.ProxyRequest) { r.SetURL(u) },
		ModifyResponse: p.modify,
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		if forged := p.rule(r).drop; forged != nil {
			w.Header().Set("Content-Type", "application/json")
			w.Write(forged)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rp.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestBodyKey{}, body)))
	}))
	t.Cleanup(ts.Close)
	p.URL, p.client = ts.URL, ts.Client()
	return p
}

// modify logs the real answer and lets a hook rewrite it.
func (p *proxy) modify(resp *http.Response) error {
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	req := resp.Request
	reqBody, _ := req.Context().Value(requestBodyKey{}).([]byte)
	ru := p.rule(req)
	h, answer := ru.hook, ru.answer
	header, out := resp.Header.Clone(), body
	replayed := answer != nil
	if replayed {
		old := answer(req, exchange{Method: req.Method, Path: req.URL.RequestURI(), Status: resp.StatusCode, Header: header, Body: body})
		resp.StatusCode, resp.Status = old.Status, fmt.Sprintf("%d %s", old.Status, http.StatusText(old.Status))
		resp.Header = old.Header.Clone()
		out = old.Body
		resp.TransferEncoding = nil
		resp.ContentLength = int64(len(out))
		resp.Header.Set("Content-Length", fmt.Sprint(len(out)))
	} else if h != nil {
		var status int
		status, out = h(reqBody, resp.StatusCode, body)
		if status != resp.StatusCode {
			resp.StatusCode, resp.Status = status, fmt.Sprintf("%d %s", status, http.StatusText(status))
			if status >= 400 {
				resp.Header.Set("Content-Type", "application/json")
			}
		}
		resp.TransferEncoding = nil
		resp.ContentLength = int64(len(out))
		resp.Header.Set("Content-Length", fmt.Sprint(len(out)))
	}
	resp.Body = io.NopCloser(bytes.NewReader(out))
	p.mu.Lock()
	p.log = append(p.log, exchange{Method: req.Method, Path: req.URL.RequestURI(), Status: resp.StatusCode, Header: header,
		Body: body, Forged: h != nil || replayed})
	p.mu.Unlock()
	return nil
}

// set makes the proxy follow r for method path until the (sub)test ends, in
// place of any rule it had for them.
func (p *proxy) set(t testing.TB, method, path string, r rule) {
	key := method + " " + path
	p.mu.Lock()
	p.rules[key] = r
	p.mu.Unlock()
	t.Cleanup(func() {
		p.mu.Lock()
		delete(p.rules, key)
		p.mu.Unlock()
	})
}

// rule returns the proxy's rule for a request.
func (p *proxy) rule(r *http.Request) rule {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rules[r.Method+" "+r.URL.Path]
}

// attack makes the proxy rewrite its answers to method path with h (nil:
// pass them on) until the (sub)test ends.
func (p *proxy) attack(t testing.TB, method, path string, h hook) {
	p.set(t, method, path, rule{hook: h})
}

// answerFunc makes a whole answer (status, headers, body) from the client's
// request and the real server's answer to it.
type answerFunc func(req *http.Request, real exchange) exchange

// answerWith makes the proxy answer method path with what f makes of each
// request, until the (sub)test ends. The request still reaches the real
// server.
func (p *proxy) answerWith(t testing.TB, method, path string, f answerFunc) {
	p.set(t, method, path, rule{answer: f})
}

// replayAnswer makes the proxy answer method path with e, an answer it logged
// earlier (status, headers and body), until the (sub)test ends.
func (p *proxy) replayAnswer(t testing.TB, method, path string, e exchange) {
	p.answerWith(t, method, path, func(*http.Request, exchange) exchange { return e })
}

// exchange returns the last successful exchange with method path the real
// server answered and the proxy passed on as it was, headers included.
func (p *proxy) exchange(t testing.TB, method, path string) exchange {
	t.Helper()
	return p.last(t, method, path, func(e exchange) bool { return !e.Forged })
}

// drop makes the proxy answer method path itself with a 200 and body, never
// forwarding the request, until the (sub)test ends.
func (p *proxy) drop(t testing.TB, method, path string, body []byte) {
	p.set(t, method, path, rule{drop: body})
}

// answer returns the real server's last successful answer to method path.
func (p *proxy) answer(t testing.TB, method, path string) []byte {
	t.Helper()
	return p.last(t, method, path, func(exchange) bool { return true }).Body
}

// last returns the last successful exchange with method path that ok accepts.
func (p *proxy) last(t testing.TB, method, path string, ok func(exchange) bool) exchange {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := len(p.log) - 1; i >= 0; i-- {
		e := p.log[i]
		if e.Method == method && strings.SplitN(e.Path, "?", 2)[0] == path && e.Status < 300 && ok(e) {
			return e
		}
	}
	t.Fatalf("the proxy logged no answer to %s %s", method, path)
	return exchange{}
}

// mark returns the position of the next request in the log.
func (p *proxy) mark() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.log)
}

// since returns the requests forwarded from mark on that satisfy match.
func (p *proxy) since(mark int, match func(e exchange) bool) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, e := range p.log[mark:] {
		if match(e) {
			out = append(out, e.Method+" "+e.Path)
		}
	}
	return out
}

// noWrites fails the test if any request but a read (a GET, or the POST
// that asks for records' views) reached the server from mark on: no ACL, no
// grant, no version, no chain entry.
func (p *proxy) noWrites(t testing.TB, mark int) {
	t.Helper()
	write := func(e exchange) bool { return e.Method != http.MethodGet && e.Path != "/v1/records/views" }
	if w := p.since(mark, write); len(w) > 0 {
		t.Fatalf("the client wrote to the server under attack: %v", w)
	}
}

// noRequests fails the test if a request whose path contains one of parts
// reached the server from mark on.
func (p *proxy) noRequests(t testing.TB, mark int, parts ...string) {
	t.Helper()
	sent := p.since(mark, func(e exchange) bool {
		for _, s := range parts {
			if strings.Contains(e.Path, s) {
				return true
			}
		}
		return false
	})
	if len(sent) > 0 {
		t.Fatalf("requests that must not be sent reached the server: %v", sent)
	}
}

// Hooks.

// replay answers with a fixed 200 body, such as an answer logged earlier.
func replay(body []byte) hook {
	return func([]byte, int, []byte) (int, []byte) { return http.StatusOK, body }
}

// notFound answers 404 as the server does for a record it does not show.
func notFound() hook {
	return func([]byte, int, []byte) (int, []byte) {
		return http.StatusNotFound, []byte(`{"error":{"code":"not_found","message":"no such object"}}`)
	}
}

// editJSON rewrites the fields of a JSON object answer.
func editJSON(t testing.TB, edit func(m map[string]json.RawMessage)) hook {
	return func(_ []byte, status int, body []byte) (int, []byte) {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(body, &m); err != nil {
			t.Errorf("proxy: the answer is not a JSON object: %v", err)
			return status, body
		}
		edit(m)
		return status, toJSON(m)
	}
}

func toJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// field returns a []byte field (base64 in JSON) of an object answer.
func field(t testing.TB, body []byte, name string) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	var v []byte
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(m[name], &v); err != nil {
		t.Fatalf("field %q: %v", name, err)
	}
	return v
}

// editHeads rewrites a record list (GET /v1/records, /v1/shared): edit is
// called with the head of record id and drops it by returning false.
func editHeads(t testing.TB, id [32]byte, edit func(h map[string]any) bool) hook {
	key := hex.EncodeToString(id[:])
	return editJSON(t, func(m map[string]json.RawMessage) {
		var heads []map[string]any
		if err := json.Unmarshal(m["records"], &heads); err != nil {
			t.Errorf("proxy: record list: %v", err)
			return
		}
		kept, found := heads[:0], false
		for _, h := range heads {
			if h["id"] == key {
				found = true
				if !edit(h) {
					continue
				}
			}
			kept = append(kept, h)
		}
		if !found {
			t.Errorf("proxy: record %s is not in the list to rewrite", key[:8])
		}
		m["records"] = toJSON(kept)
	})
}

// setGrants replaces the grants of a record view.
func setGrants(t testing.TB, grants func(real [][]byte) [][]byte) hook {
	return editJSON(t, func(m map[string]json.RawMessage) {
		var real [][]byte
		if err := json.Unmarshal(m["grants"], &real); err != nil {
			t.Errorf("proxy: grants: %v", err)
		}
		m["grants"] = toJSON(grants(real))
	})
}

// serveCards replaces the card history in an account answer (GET
// /v1/directory/{handle} or /v1/accounts/{id}/cards) with cards.
func serveCards(t testing.TB, cards ...[]byte) hook {
	first, err := format.ParseKeyCard(cards[0])
	if err != nil {
		t.Fatal(err)
	}
	type cardJSON struct {
		Seq     int    `json:"seq"`
		KeyCard []byte `json:"key_card"`
	}
	list := make([]cardJSON, len(cards))
	for i, c := range cards {
		list[i] = cardJSON{i + 1, c}
	}
	return editJSON(t, func(m map[string]json.RawMessage) {
		m["account_id"], m["cards"] = toJSON(hex.EncodeToString(first.AccountID[:])), toJSON(list)
		if _, ok := m["key_card"]; ok {
			m["key_card"], m["card_seq"] = toJSON(cards[len(cards)-1]), toJSON(len(cards))
		}
	})
}

// editBlob rewrites the backup blob the server released.
func editBlob(t testing.TB, edit func(blob []byte) []byte) hook {
	return editJSON(t, func(m map[string]json.RawMessage) {
		var blob []byte
		if err := json.Unmarshal(m["backup"], &blob); err != nil {
			t.Errorf("proxy: backup: %v", err)
		}
		m["backup"] = toJSON(edit(blob))
	})
}

// serveBlob releases blob, whatever the server said.
func serveBlob(blob []byte) hook {
	return func([]byte, int, []byte) (int, []byte) {
		return http.StatusOK, toJSON(map[string][]byte{"backup": blob})
	}
}

// evaluateWith answers a backup OPRF evaluation with one under key, with a
// valid proof for key.
func evaluateWith(t testing.TB, key *oprf.PrivateKey) hook {
	return func(reqBody []byte, status int, body []byte) (int, []byte) {
		var in struct {
			Blinded []byte `json:"blinded"`
		}
		e := oprf.SuiteRistretto255.Group().NewElement()
		if err := json.Unmarshal(reqBody, &in); err != nil || e.UnmarshalBinary(in.Blinded) != nil {
			t.Errorf("proxy: blinded element: %v", err)
			return status, body
		}
		ev, err := oprf.NewVerifiableServer(oprf.SuiteRistretto255, key).Evaluate(&oprf.EvaluationRequest{Elements: []oprf.Blinded{e}})
		if err != nil {
			t.Errorf("proxy: evaluate: %v", err)
			return status, body
		}
		evaluated, err1 := ev.Elements[0].MarshalBinaryCompress()
		proof, err2 := ev.Proof.MarshalBinary()
		if err1 != nil || err2 != nil {
			t.Errorf("proxy: encode evaluation: %v, %v", err1, err2)
		}
		return http.StatusOK, toJSON(map[string][]byte{"evaluated": evaluated, "proof": proof})
	}
}

// Clients and worlds.

// connectVia connects a client to srv's origin through p.
func connectVia(t testing.TB, srv *servertest.Server, p *proxy) *sdk.Client {
	t.Helper()
	c, err := sdk.Connect(t.Context(), sdk.Config{Server: srv.URL, Storage: &sdk.MemoryStorage{},
		Transport: sdk.NewHTTPTransport(p.URL, p.client)})
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	return c
}

// attackWorld is the world of client_test.go with the patient and the
// clinician each behind a proxy of their own.
type attackWorld struct {
	*world
	alice, jones *proxy // what the patient and the clinician see of the server
}

func newAttackWorld(t *testing.T) *attackWorld {
	t.Helper()
	srv := servertest.Start(t, server.Config{})
	aw := &attackWorld{alice: newProxy(t, srv.URL), jones: newProxy(t, srv.URL)}
	aw.world = setUpWorld(t, srv, func(handle string) *sdk.Client {
		switch handle {
		case "alice":
			return connectVia(t, srv, aw.alice)
		case "dr-jones":
			return connectVia(t, srv, aw.jones)
		}
		return newClient(t, srv, nil)
	})
	return aw
}

// newPatient starts a server with alice alone, who talks to it through p.
func newPatient(t *testing.T) (*servertest.Server, *proxy, *sdk.Client) {
	t.Helper()
	srv := servertest.Start(t, server.Config{})
	p := newProxy(t, srv.URL)
	alice := connectVia(t, srv, p)
	register(t, alice, "alice", "", "", patientPass)
	return srv, p, alice
}

// login logs handle in on a new device through p.
func login(t testing.TB, srv *servertest.Server, p *proxy, handle, pass string) (*sdk.Client, error) {
	t.Helper()
	dev := connectVia(t, srv, p)
	_, err := dev.Login(t.Context(), &sdk.LoginOptions{Handle: handle, Passphrase: []byte(pass)})
	return dev, err
}

func recordPath(id [32]byte) string { return fmt.Sprintf("/v1/records/%x", id) }

func bodyPath(id [32]byte, v uint64, part string) string {
	return fmt.Sprintf("/v1/records/%x/versions/%d/%s", id, v, part)
}

func mustRead(t testing.TB, c *sdk.Client, id [32]byte, want []byte) {
	t.Helper()
	got, _, err := get(t, c, id)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("Get = %d bytes, %v; want the %d bytes written", len(got), err, len(want))
	}
}

// refused checks that an operation under attack failed with want and wrote
// no plaintext.
func refused(t testing.TB, what string, err, want error, plaintext []byte) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s under attack: %v, want %v", what, err, want)
	}
	if len(plaintext) != 0 {
		t.Fatalf("%s under attack wrote %d bytes of plaintext", what, len(plaintext))
	}
}

func cardOf(t testing.TB, kc *sdk.KeyCard) *format.KeyCard {
	t.Helper()
	c, err := format.ParseKeyCard(kc.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// forgeCard makes a card of account acct for handle with fresh keys, validly
// self-signed. With prev it claims to succeed prev, endorsed by its own key
// since the forger does not hold prev's.
func forgeCard(t testing.TB, acct [32]byte, handle string, prev *format.KeyCard) []byte {
	t.Helper()
	_, sign, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, xpk, err := grant.GenerateXWing()
	if err != nil {
		t.Fatal(err)
	}
	c := &format.KeyCard{AccountID: acct, Handle: handle, XWingPK: xpk, Seq: 1, Created: uint64(time.Now().Unix())}
	copy(c.Ed25519PK[:], sign.Public().(ed25519.PublicKey))
	if prev != nil {
		c.Seq, c.PrevCardHash = prev.Seq+1, prev.Hash()
	}
	if err := c.Sign(sign); err != nil {
		t.Fatal(err)
	}
	if prev != nil {
		if err := c.Endorse(sign); err != nil {
			t.Fatal(err)
		}
	}
	return c.Marshal()
}

// 1. A substituted key card at share time.
func TestAttack_SubstitutedKeyCard(t *testing.T) {
	w := newAttackWorld(t)
	ctx := t.Context()
	rec := put(t, w.patient, []byte(`{"resourceType":"Observation","code":{"text":"HbA1c"}}`), "HbA1c")
	jones := cardOf(t, w.clinician.Card())
	impostor, err := sdk.NewIdentity("dr-jones")
	if err != nil {
		t.Fatal(err)
	}
	expected := &sdk.ShareOptions{LookupOptions: sdk.LookupOptions{Fingerprint: w.clinician.Card().Fingerprint().String()}}
	share := func(t *testing.T, opts *sdk.ShareOptions) {
		t.Helper()
		mark := w.alice.mark()
		_, err := w.patient.Share(ctx, rec.RecordID, "dr-jones", opts)
		refused(t, "Share", err, sdk.CheckKeyUnverified, nil)
		w.alice.noWrites(t, mark) // above all no PUT /v1/records/{id}/acl: no grant to the impostor
	}

	t.Run("first contact, the server substitutes the card", func(t *testing.T) {
		w.alice.attack(t, "GET", "/v1/directory/dr-jones", serveCards(t, impostor.Card().Bytes()))
		share(t, expected)
	})
	t.Run("first contact, the card is not the one compared", func(t *testing.T) {
		share(t, &sdk.ShareOptions{LookupOptions: sdk.LookupOptions{Fingerprint: impostor.Card().Fingerprint().String()}})
	})

	// Nothing was pinned: the honest share is still a first contact.
	ct, err := w.patient.Share(ctx, rec.RecordID, "dr-jones", expected)
	if err != nil || !ct.FirstUse || ct.Fingerprint != w.clinician.Card().Fingerprint() {
		t.Fatalf("honest Share = %+v, %v; want dr-jones's card on first use", ct, err)
	}

	cardsPath := fmt.Sprintf("/v1/accounts/%x/cards", jones.AccountID)
	for _, c := range []struct {
		name  string
		cards [][]byte
	}{
		{"pinned, a fresh identity with the same handle", [][]byte{impostor.Card().Bytes()}},
		{"pinned, the same account id with other keys", [][]byte{forgeCard(t, jones.AccountID, "dr-jones", nil)}},
		{"pinned, a successor card not endorsed by the pinned one", [][]byte{w.clinician.Card().Bytes(), forgeCard(t, jones.AccountID, "dr-jones", jones)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			w.alice.attack(t, "GET", "/v1/directory/dr-jones", serveCards(t, c.cards...))
			w.alice.attack(t, "GET", cardsPath, serveCards(t, c.cards...))
			share(t, nil)
		})
	}
	// The pin still holds the real card.
	if ct, err := w.patient.Lookup(ctx, "dr-jones", nil); err != nil || ct.Fingerprint != w.clinician.Card().Fingerprint() {
		t.Fatalf("Lookup after the attacks = %+v, %v", ct, err)
	}
}

// 2. A rollback to an older version of a record.
func TestAttack_RollbackToOlderVersion(t *testing.T) {
	w := newAttackWorld(t)
	ctx := t.Context()
	v1, v2 := []byte("blood pressure 120/80"), []byte("blood pressure 150/95, repeat in a week")
	rec := put(t, w.patient, v1, "bp")
	if _, err := w.patient.Share(ctx, rec.RecordID, "dr-jones", nil); err != nil {
		t.Fatal(err)
	}
	path := recordPath(rec.RecordID)
	mustRead(t, w.patient, rec.RecordID, v1)
	mustRead(t, w.clinician, rec.RecordID, v1)
	aliceV1, jonesV1 := w.alice.answer(t, "GET", path), w.jones.answer(t, "GET", path)
	if _, err := w.patient.Put(ctx, bytes.NewReader(v2), &sdk.PutOptions{Update: rec.RecordID, Title: "bp"}); err != nil {
		t.Fatal(err)
	}

	t.Run("owner", func(t *testing.T) {
		w.alice.attack(t, "GET", path, replay(aliceV1))
		got, _, err := get(t, w.patient, rec.RecordID)
		refused(t, "owner's Get", err, sdk.CheckRollback, got)
	})
	t.Run("clinician who read version 2", func(t *testing.T) {
		mustRead(t, w.clinician, rec.RecordID, v2)
		w.jones.attack(t, "GET", path, replay(jonesV1))
		got, _, err := get(t, w.clinician, rec.RecordID)
		refused(t, "clinician's Get", err, sdk.CheckRollback, got)
	})
}

// 3. A record hidden from the list.
func TestAttack_RecordHiddenFromList(t *testing.T) {
	_, p, alice := newPatient(t)
	ctx := t.Context()
	a := put(t, alice, []byte("allergy: penicillin"), "allergies")
	b := put(t, alice, []byte("vaccination record"), "vaccinations")
	if _, err := alice.Put(ctx, bytes.NewReader([]byte("vaccination record, booster")), &sdk.PutOptions{Update: b.RecordID}); err != nil {
		t.Fatal(err)
	}
	if list, err := alice.List(ctx); err != nil || len(list) != 2 {
		t.Fatalf("List = %d records, %v; want 2", len(list), err)
	}
	for _, c := range []struct {
		name string
		id   [32]byte
		edit func(h map[string]any) bool
	}{
		{"left out", a.RecordID, func(map[string]any) bool { return false }},
		{"shown as deleted", a.RecordID, func(h map[string]any) bool { h["deleted"] = time.Now().UTC(); return true }},
		{"shown at an older version", b.RecordID, func(h map[string]any) bool { h["version"] = 1; return true }},
	} {
		t.Run(c.name, func(t *testing.T) {
			p.attack(t, "GET", "/v1/records", editHeads(t, c.id, c.edit))
			list, err := alice.List(ctx)
			if !errors.Is(err, sdk.CheckRollback) || list != nil {
				t.Fatalf("List under attack = %d records, %v; want CheckRollback", len(list), err)
			}
		})
	}
}

// 4. A revocation the server hides from the owner's other device.
func TestAttack_RevocationHiddenFromOtherDevice(t *testing.T) {
	w := newAttackWorld(t)
	ctx := t.Context()
	body := []byte("psychiatric assessment")
	rec := put(t, w.patient, body, "assessment")
	if _, err := w.patient.Share(ctx, rec.RecordID, "dr-jones", nil); err != nil {
		t.Fatal(err)
	}
	laptopProxy := newProxy(t, w.srv.URL)
	laptop, err := login(t, w.srv, laptopProxy, "alice", patientPass)
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	path := recordPath(rec.RecordID)
	mustRead(t, laptop, rec.RecordID, body)
	shared := laptopProxy.answer(t, "GET", path) // the ACL that lets dr-jones read
	if err := w.patient.Revoke(ctx, rec.RecordID, "dr-jones"); err != nil {
		t.Fatal(err)
	}

	laptopProxy.attack(t, "GET", path, replay(shared))
	mark := laptopProxy.mark()
	got, _, err := get(t, laptop, rec.RecordID)
	refused(t, "Get on the other device", err, sdk.CheckRollback, got)
	// Nor does the laptop write a version under the old ACL, whose epoch key
	// dr-jones holds.
	_, err = laptop.Put(ctx, bytes.NewReader([]byte("addendum")), &sdk.PutOptions{Update: rec.RecordID})
	refused(t, "Put on the other device", err, sdk.CheckRollback, nil)
	laptopProxy.noWrites(t, mark)
}

// 5. Ciphertext swapped between two records.
func TestAttack_CiphertextSwappedBetweenRecords(t *testing.T) {
	_, p, alice := newPatient(t)
	bodyA, bodyB := make([]byte, 3*16384+100), make([]byte, 3*16384+100)
	rand.Read(bodyA)
	rand.Read(bodyB)
	a, b := put(t, alice, bodyA, "scan A"), put(t, alice, bodyB, "scan B")
	mustRead(t, alice, a.RecordID, bodyA)
	mustRead(t, alice, b.RecordID, bodyB)
	leavesA, ctA := bodyPath(a.RecordID, 1, "leaves"), bodyPath(a.RecordID, 1, "body")
	leavesB, ctB := p.answer(t, "GET", bodyPath(b.RecordID, 1, "leaves")), p.answer(t, "GET", bodyPath(b.RecordID, 1, "body"))
	viewB := p.answer(t, "GET", recordPath(b.RecordID))
	headerB := field(t, viewB, "header")
	// B's chunks behind A's salt and commitment (56 bytes): only the leaves
	// can tell.
	spliced := append(bytes.Clone(p.answer(t, "GET", ctA)[:56]), ctB[56:]...)

	for _, c := range []struct {
		name  string
		hooks map[string]hook
		want  error
	}{
		{"leaves of B", map[string]hook{leavesA: replay(leavesB)}, sdk.CheckLeafMismatch},
		{"body of B", map[string]hook{ctA: replay(ctB)}, sdk.CheckCommitment},
		{"chunks of B behind A's salt and commitment", map[string]hook{ctA: replay(spliced)}, sdk.CheckLeafMismatch},
		{"leaves and body of B", map[string]hook{leavesA: replay(leavesB), ctA: replay(ctB)}, sdk.CheckLeafMismatch},
		{"view of B", map[string]hook{recordPath(a.RecordID): replay(viewB)}, sdk.CheckWrongRecord},
		{"header of B in A's view", map[string]hook{recordPath(a.RecordID): editJSON(t, func(m map[string]json.RawMessage) {
			m["header"] = toJSON(headerB)
		})}, sdk.CheckWrongRecord},
	} {
		t.Run(c.name, func(t *testing.T) {
			for path, h := range c.hooks {
				p.attack(t, "GET", path, h)
			}
			got, _, err := get(t, alice, a.RecordID)
			refused(t, "Get", err, c.want, got)
		})
	}
}

// 6. A grant injected by another account.
func TestAttack_GrantInjectedByAnotherAccount(t *testing.T) {
	w := newAttackWorld(t)
	ctx := t.Context()
	const malloryPass = "mallory's own long passphrase 5"
	keys := &sdk.MemoryStorage{}
	mallory := newClient(t, w.srv, keys)
	register(t, mallory, "mallory", "", "", malloryPass)
	malloryKey, _ := identityKeys(t, keys, malloryPass)

	body := []byte("HIV test: negative")
	rec := put(t, w.patient, body, "lab")
	if _, err := w.patient.Share(ctx, rec.RecordID, "dr-jones", nil); err != nil {
		t.Fatal(err)
	}
	mustRead(t, w.clinician, rec.RecordID, body)
	jones := cardOf(t, w.clinician.Card())
	// Mallory's grant gives dr-jones an epoch key of Mallory's choosing for
	// the record, signed by Mallory, in her name or in alice's.
	forged := func(granter [32]byte) []byte {
		key := make([]byte, 32)
		rand.Read(key)
		enc, ct, err := grant.Seal(jones.XWingPK, rec.RecordID, 1, key)
		if err != nil {
			t.Fatal(err)
		}
		g := &format.Grant{RecordID: rec.RecordID, Epoch: 1, Recipient: format.KeyID(jones.XWingPK), Granter: granter,
			SignerPK: [32]byte(malloryKey.Public().(ed25519.PublicKey)), Enc: enc, CT: ct}
		if err := g.Sign(malloryKey); err != nil {
			t.Fatal(err)
		}
		return g.Marshal()
	}
	byMallory, inAlicesName := forged(mallory.AccountID()), forged(w.patient.AccountID())

	for _, c := range []struct {
		name   string
		grants func(real [][]byte) [][]byte
	}{
		{"in place of the real grant", func([][]byte) [][]byte { return [][]byte{byMallory} }},
		{"beside the real grant", func(real [][]byte) [][]byte { return append(real, byMallory) }},
		{"in the owner's name", func([][]byte) [][]byte { return [][]byte{inAlicesName} }},
	} {
		t.Run(c.name, func(t *testing.T) {
			w.jones.attack(t, "GET", recordPath(rec.RecordID), setGrants(t, c.grants))
			got, _, err := get(t, w.clinician, rec.RecordID)
			refused(t, "clinician's Get", err, sdk.CheckGrant, got)
		})
	}
}

// backupSlotHead is where the passphrase slot's head starts in a blob made by
// backup.Create (docs/spec/backup-v1.md §2): u8 version ‖ u16 suite ‖ [32]
// account ‖ u8 slot count ‖ u8 kind ‖ u16 head length, then u32 t ‖ u32 m_KiB
// ‖ u8 p ‖ [16] salt.
const backupSlotHead = 1 + 2 + 32 + 1 + 1 + 2

// withParams returns blob with its passphrase slot's Argon2id parameters set
// to p.
func withParams(t testing.TB, blob []byte, p keyfile.Params) []byte {
	if len(blob) < backupSlotHead+25 || blob[backupSlotHead-3] != 1 || binary.BigEndian.Uint16(blob[backupSlotHead-2:]) != 25 {
		t.Errorf("the blob does not start with a passphrase slot")
		return blob
	}
	out := bytes.Clone(blob)
	binary.BigEndian.PutUint32(out[backupSlotHead:], p.Time)
	binary.BigEndian.PutUint32(out[backupSlotHead+4:], p.MemoryKiB)
	out[backupSlotHead+8] = p.Threads
	return out
}

// 7. KDF parameters downgraded (or inflated) in the released backup.
func TestAttack_KDFParamsDowngraded(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	alice := newClient(t, srv, nil)
	register(t, alice, "alice", "", "", patientPass)
	release := fmt.Sprintf("/v1/backup/%x/release", alice.AccountID())
	floor := keyfile.Floor
	for _, c := range []struct {
		name   string
		params keyfile.Params
		want   error
	}{
		{"time below the floor", keyfile.Params{Time: 1, MemoryKiB: floor.MemoryKiB, Threads: floor.Threads}, sdk.CheckWeakParams},
		{"memory below the floor", keyfile.Params{Time: floor.Time, MemoryKiB: 8 << 10, Threads: floor.Threads}, sdk.CheckWeakParams},
		{"memory above the ceiling", keyfile.Params{Time: floor.Time, MemoryKiB: 4 << 20, Threads: floor.Threads}, sdk.CheckExcessiveParams},
		{"time above the ceiling", keyfile.Params{Time: 11, MemoryKiB: floor.MemoryKiB, Threads: floor.Threads}, sdk.CheckExcessiveParams},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := newProxy(t, srv.URL)
			p.attack(t, "POST", release, editBlob(t, func(b []byte) []byte { return withParams(t, b, c.params) }))
			dev, err := login(t, srv, p, "alice", patientPass)
			refused(t, "Login", err, c.want, nil)
			p.noRequests(t, 0, "/v1/devices")
			if dev.Card() != nil {
				t.Fatal("the device holds an identity after a refused login")
			}
		})
	}
}

// 8. An OPRF evaluated with another key than the account's.
func TestAttack_OPRFWithAnotherKey(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	alice := newClient(t, srv, nil)
	register(t, alice, "alice", "", "", patientPass)
	acct := alice.AccountID()
	keyPath, evalPath := fmt.Sprintf("/v1/backup/%x/oprf-key", acct), fmt.Sprintf("/v1/backup/%x/evaluate", acct)
	releasePath := fmt.Sprintf("/v1/backup/%x/release", acct)
	other, err := oprf.GenerateKey(oprf.SuiteRistretto255, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("evaluated with another key", func(t *testing.T) {
		p := newProxy(t, srv.URL)
		p.attack(t, "POST", evalPath, evaluateWith(t, other))
		_, err := login(t, srv, p, "alice", patientPass)
		refused(t, "Login", err, sdk.CheckOPRF, nil)
		p.noRequests(t, 0, "/challenge", "/release", "/v1/devices")
	})
	t.Run("a proof that does not parse or verify", func(t *testing.T) {
		p := newProxy(t, srv.URL)
		p.attack(t, "POST", evalPath, editJSON(t, func(m map[string]json.RawMessage) {
			junk := make([]byte, 64)
			rand.Read(junk)
			m["proof"] = toJSON(junk)
		}))
		_, err := login(t, srv, p, "alice", patientPass)
		refused(t, "Login", err, sdk.CheckOPRF, nil)
		p.noRequests(t, 0, "/challenge", "/release", "/v1/devices")
	})
	t.Run("another key, published too, and the blob released anyway", func(t *testing.T) {
		// The proof verifies against the published key, but the derived keys
		// are not the account's: the release key is refused, and the slot key
		// opens nothing when the server releases the blob regardless.
		blob, err := srv.Store.Backup(t.Context(), store.AccountID(acct))
		if err != nil {
			t.Fatal(err)
		}
		pk, err := other.Public().MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		p := newProxy(t, srv.URL)
		p.attack(t, "GET", keyPath, replay(toJSON(map[string]any{"suite": "ristretto255-SHA512", "public_key": pk})))
		p.attack(t, "POST", evalPath, evaluateWith(t, other))
		p.attack(t, "POST", releasePath, serveBlob(blob))
		dev, err := login(t, srv, p, "alice", patientPass)
		refused(t, "Login", err, sdk.ErrWrongPassphrase, nil)
		p.noRequests(t, 0, "/v1/devices")
		if dev.Card() != nil {
			t.Fatal("the device holds an identity after a refused login")
		}
	})
}

// 9. A dropped grant presented as "not shared".
func TestAttack_DroppedGrantAsNotShared(t *testing.T) {
	w := newAttackWorld(t)
	ctx := t.Context()
	body := []byte("MRI report: no abnormality")
	rec := put(t, w.patient, body, "mri")
	if _, err := w.patient.Share(ctx, rec.RecordID, "dr-jones", nil); err != nil {
		t.Fatal(err)
	}
	mustRead(t, w.clinician, rec.RecordID, body)
	path := recordPath(rec.RecordID)

	t.Run("record hidden and left out of the shared list", func(t *testing.T) {
		w.jones.attack(t, "GET", path, notFound())
		w.jones.attack(t, "GET", "/v1/shared", editHeads(t, rec.RecordID, func(map[string]any) bool { return false }))
		got, _, err := get(t, w.clinician, rec.RecordID)
		refused(t, "clinician's Get", err, sdk.CheckRollback, got)
		list, err := w.clinician.List(ctx)
		if !errors.Is(err, sdk.CheckRollback) || list != nil {
			t.Fatalf("clinician's List under attack = %d records, %v; want CheckRollback", len(list), err)
		}
	})
	t.Run("grant withheld under an ACL that lists the clinician", func(t *testing.T) {
		w.jones.attack(t, "GET", path, setGrants(t, func([][]byte) [][]byte { return [][]byte{} }))
		got, _, err := get(t, w.clinician, rec.RecordID)
		refused(t, "clinician's Get", err, sdk.CheckMissingGrant, got)
	})
	// The owner shares with someone else (a new ACL): the server must not pass
	// hiding the clinician's share off as a revocation. The log shows no
	// revocation of the clinician.
	t.Run("share hidden after an unrelated ACL change", func(t *testing.T) {
		bob := newClient(t, w.srv, nil)
		register(t, bob, "bob", "", "", "bob's long passphrase, 2026")
		if _, err := w.patient.Share(ctx, rec.RecordID, "bob", nil); err != nil {
			t.Fatal(err)
		}
		w.jones.attack(t, "GET", path, notFound())
		w.jones.attack(t, "GET", "/v1/shared", editHeads(t, rec.RecordID, func(map[string]any) bool { return false }))
		got, _, err := get(t, w.clinician, rec.RecordID)
		refused(t, "clinician's Get", err, sdk.CheckRollback, got)
	})
	// With the attacks over, the record reads again.
	mustRead(t, w.clinician, rec.RecordID, body)
}

// A wrong passphrase, refused by the server or opened on the device, is
// ErrWrongPassphrase; failed guesses lock the backup (server/backup_lockout.go:
// each evaluation and each failed release counts, the fifth failure locks), so
// the third wrong login is refused with ErrRateLimited.
func TestAttack_WrongPassphraseAndLockout(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	alice := newClient(t, srv, nil)
	register(t, alice, "alice", "", "", patientPass)
	const wrong = "not the passphrase at all 9"
	release := fmt.Sprintf("/v1/backup/%x/release", alice.AccountID())
	p := newProxy(t, srv.URL)

	t.Run("refused by the server", func(t *testing.T) { // failures 1, 2
		_, err := login(t, srv, p, "alice", wrong)
		refused(t, "Login", err, sdk.ErrWrongPassphrase, nil)
	})
	t.Run("released anyway", func(t *testing.T) { // failures 3, 4
		blob, err := srv.Store.Backup(t.Context(), store.AccountID(alice.AccountID()))
		if err != nil {
			t.Fatal(err)
		}
		p.attack(t, "POST", release, serveBlob(blob))
		mark := p.mark()
		dev, err := login(t, srv, p, "alice", wrong)
		refused(t, "Login", err, sdk.ErrWrongPassphrase, nil)
		p.noRequests(t, mark, "/v1/devices")
		if dev.Card() != nil {
			t.Fatal("the device holds an identity after a refused login")
		}
	})
	t.Run("locked out", func(t *testing.T) { // failure 5 locks: the release is refused
		_, err := login(t, srv, p, "alice", wrong)
		refused(t, "Login", err, sdk.ErrRateLimited, nil)
		// While locked even the right passphrase is refused, at the evaluation.
		mark := p.mark()
		_, err = login(t, srv, p, "alice", patientPass)
		refused(t, "Login with the right passphrase", err, sdk.ErrRateLimited, nil)
		p.noRequests(t, mark, "/challenge", "/release")
	})
}

// A server that releases a blob other than the account's own gets a typed
// error, and the device no identity.
func TestAttack_ForgedBackupRelease(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	alice := newClient(t, srv, nil)
	register(t, alice, "alice", "", "", patientPass)
	mallory := newClient(t, srv, nil)
	register(t, mallory, "mallory", "", "", "mallory's own long passphrase 5")
	release := fmt.Sprintf("/v1/backup/%x/release", alice.AccountID())
	malloryBlob, err := srv.Store.Backup(t.Context(), store.AccountID(mallory.AccountID()))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		h    hook
		want error
	}{
		{"another account's blob", serveBlob(malloryBlob), sdk.CheckWrongRecord},
		{"a truncated blob", editBlob(t, func(b []byte) []byte { return b[:len(b)-1] }), sdk.ErrInvalid},
		{"a blob whose body was altered", editBlob(t, func(b []byte) []byte {
			b = bytes.Clone(b)
			b[len(b)-1] ^= 1
			return b
		}), sdk.ErrInvalid},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := newProxy(t, srv.URL)
			p.attack(t, "POST", release, c.h)
			dev, err := login(t, srv, p, "alice", patientPass)
			refused(t, "Login", err, c.want, nil)
			p.noRequests(t, 0, "/v1/devices")
			if dev.Card() != nil {
				t.Fatal("the device holds an identity after a refused login")
			}
		})
	}
}
