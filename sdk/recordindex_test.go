//go:build !js

package sdk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/servertest"
)

// countRequests counts the requests since mark whose method and path start
// with prefix.
func countRequests(p *proxy, mark int, prefix string) int {
	return len(p.since(mark, func(e exchange) bool { return strings.HasPrefix(e.Method+" "+e.Path, prefix) }))
}

// A list fetches a record again only when it changed: cold, a hundred per
// request; warm, none; after one update, that one.
func TestList_IndexFetchesOnlyChanges(t *testing.T) {
	_, p, alice := newPatient(t)
	ctx := t.Context()
	const n = 120
	var second *sdk.RecordInfo
	for i := range n {
		info := put(t, alice, fmt.Appendf(nil, "glucose %d mg/dL", 80+i), fmt.Sprintf("glucose %03d", i))
		if i == 1 {
			second = info
		}
	}
	list := func(name string) []*sdk.RecordInfo {
		t.Helper()
		got, err := alice.List(ctx)
		if err != nil || len(got) != n {
			t.Fatalf("%s List = %d records, %v; want %d", name, len(got), err, n)
		}
		return got
	}

	mark := p.mark()
	cold := list("cold")
	// Requests of views for the list, api.MaxViews records each, and one for
	// the log salts of the records' grants (the log entries a first look
	// checks).
	want := (n+api.MaxViews-1)/api.MaxViews + 1
	if views, single := countRequests(p, mark, "POST /v1/records/views"), countRequests(p, mark, "GET /v1/records/"); views != want || single != 0 {
		t.Errorf("cold list of %d records: %d views requests and %d single fetches, want %d and 0", n, views, single, want)
	}
	mark = p.mark()
	warm := list("warm")
	if views := countRequests(p, mark, "POST /v1/records/views"); views != 0 {
		t.Errorf("warm list: %d views requests, want none", views)
	}
	if total := len(p.since(mark, func(exchange) bool { return true })); total > 10 {
		t.Errorf("warm list of %d records made %d requests, want at most 10", n, total)
	}
	titles := func(l []*sdk.RecordInfo) string {
		var b strings.Builder
		for _, r := range l {
			fmt.Fprintf(&b, "%s/%d/%s/%d;", r.RecordID, r.Version, r.Title, r.Length)
		}
		return b.String()
	}
	if titles(cold) != titles(warm) {
		t.Errorf("the warm list differs from the cold one")
	}

	if _, err := alice.Put(ctx, bytes.NewReader([]byte("glucose 99 mg/dL, fasting")), &sdk.PutOptions{Update: second.RecordID, Title: "glucose fasting"}); err != nil {
		t.Fatal(err)
	}
	mark = p.mark()
	after := list("after an update")
	if views := countRequests(p, mark, "POST /v1/records/views"); views != 1 {
		t.Errorf("list after one update: %d views requests, want 1", views)
	}
	for _, r := range after {
		if r.RecordID == second.RecordID && (r.Title != "glucose fasting" || r.Version != 2) {
			t.Errorf("the updated record lists as %q v%d", r.Title, r.Version)
		}
	}
}

// The index never stands in for the chain: a server that shows a reader an
// indexed share as unchanged after its owner updated it is caught, on the
// list and on the views request alike.
func TestAttack_StaleListOverIndex(t *testing.T) {
	w := newAttackWorld(t)
	ctx := t.Context()
	rec := put(t, w.patient, []byte("HbA1c 6.1%"), "HbA1c")
	if _, err := w.patient.Share(ctx, rec.RecordID, "dr-jones", nil); err != nil {
		t.Fatal(err)
	}
	if list, err := w.clinician.List(ctx); err != nil || len(list) != 1 {
		t.Fatalf("clinician's List = %d records, %v", len(list), err)
	}
	oldShared := w.jones.answer(t, "GET", "/v1/shared")
	oldViews := w.jones.answer(t, "POST", "/v1/records/views")
	if _, err := w.patient.Put(ctx, bytes.NewReader([]byte("HbA1c 7.4%: raise metformin")), &sdk.PutOptions{Update: rec.RecordID, Title: "HbA1c"}); err != nil {
		t.Fatal(err)
	}

	w.jones.attack(t, "GET", "/v1/shared", replay(oldShared))
	w.jones.attack(t, "POST", "/v1/records/views", replay(oldViews))
	list, err := w.clinician.List(ctx)
	if !errors.Is(err, sdk.CheckRollback) || list != nil {
		t.Fatalf("clinician's List over a stale head = %d records, %v; want CheckRollback", len(list), err)
	}
}

// The index is sealed at rest: the storage never holds a title in the clear,
// and an index that does not open is rebuilt, not trusted.
func TestList_IndexSealed(t *testing.T) {
	srv, _, _ := newPatient(t)
	storage := &sdk.MemoryStorage{}
	bob := newClient(t, srv, storage)
	register(t, bob, "bob", "", "", "bob's long passphrase for tests 3")
	put(t, bob, []byte("x-ray of the left wrist"), "wrist x-ray confidential")
	if _, err := bob.List(t.Context()); err != nil {
		t.Fatal(err)
	}
	sealed, err := storage.Load(t.Context(), "records.sealed")
	if err != nil || len(sealed) == 0 {
		t.Fatalf("no sealed index after a list: %v", err)
	}
	if bytes.Contains(sealed, []byte("wrist")) {
		t.Error("the record index holds a title in the clear")
	}
	sealed[len(sealed)-1] ^= 1
	if err := storage.Save(t.Context(), "records.sealed", sealed); err != nil {
		t.Fatal(err)
	}
	if list, err := bob.List(t.Context()); err != nil || len(list) != 1 || list[0].Title != "wrist x-ray confidential" {
		t.Fatalf("List over a damaged index = %v, %v", list, err)
	}
}

// A list that fetched a few records writes those to the index's journal,
// sealed like the base, not the whole index again; the next run reads base
// and journal, and fetches nothing; a damaged journal costs fetches, not the
// list.
func TestList_IndexJournal(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	p := newProxy(t, srv.URL)
	storage := &sdk.MemoryStorage{}
	cfg := sdk.Config{Server: srv.URL, Storage: storage, Transport: sdk.NewHTTPTransport(p.URL, p.client),
		Passphrase: func() ([]byte, error) { return []byte(patientPass), nil }}
	alice, err := sdk.Connect(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	register(t, alice, "alice", "", "", patientPass)
	ctx := t.Context()
	for i := range 3 {
		put(t, alice, fmt.Appendf(nil, "glucose %d", i), fmt.Sprintf("glucose %d", i))
	}
	list := func(c *sdk.Client, want, views int) {
		t.Helper()
		mark := p.mark()
		if got, err := c.List(ctx); err != nil || len(got) != want {
			t.Fatalf("List = %d records, %v; want %d", len(got), err, want)
		}
		if n := countRequests(p, mark, "POST /v1/records/views"); n != views && (views >= 0 || n == 0) {
			t.Fatalf("List made %d views requests, want %d (-1: some)", n, views)
		}
	}
	list(alice, 3, -1)
	base, err := storage.Load(ctx, "records.sealed")
	if err != nil {
		t.Fatal(err)
	}
	put(t, alice, []byte("x-ray of the pelvis"), "pelvis x-ray confidential")
	list(alice, 4, -1)
	if after, _ := storage.Load(ctx, "records.sealed"); !bytes.Equal(after, base) {
		t.Error("a list that fetched one record rewrote the whole index")
	}
	j, err := storage.Load(ctx, "records.journal")
	if err != nil || len(j) == 0 {
		t.Fatalf("no index journal after a list that fetched a record: %v", err)
	}
	if bytes.Contains(j, []byte("pelvis")) || bytes.Contains(j, []byte("glucose")) {
		t.Error("the index journal holds a title in the clear")
	}
	next, err := sdk.Connect(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	list(next, 4, 0) // base and journal: all four indexed
	j[len(j)-1] ^= 1 // the last frame's last byte: read as torn, dropped
	if err := storage.Save(ctx, "records.journal", j); err != nil {
		t.Fatal(err)
	}
	list(next, 4, -1) // the dropped record fetched again (and salts looked up)
}

// A reader's cold list judges each version's write authority from the prior
// ACLs its view brings, not with a request per record; prior ACLs the server
// swapped for another record's are refused.
func TestList_PriorACLsInViews(t *testing.T) {
	w := newAttackWorld(t)
	ctx := t.Context()
	for i := range 3 {
		rec := put(t, w.patient, fmt.Appendf(nil, "lab result %d", i), fmt.Sprintf("lab %d", i))
		if _, err := w.patient.Share(ctx, rec.RecordID, "dr-jones", nil); err != nil {
			t.Fatal(err)
		}
	}
	mark := w.jones.mark()
	if list, err := w.clinician.List(ctx); err != nil || len(list) != 3 {
		t.Fatalf("clinician's List = %d records, %v", len(list), err)
	}
	if n := countRequests(w.jones, mark, "GET /v1/records/"); n != 0 {
		t.Errorf("the clinician's cold list made %d single-record requests, want 0", n)
	}

	// Another record's first ACL in place of this one's: signed by the owner,
	// but not the predecessor of this record's ACL.
	other := put(t, w.patient, []byte("not shared"), "private")
	if _, err := w.patient.Share(ctx, other.RecordID, "dr-jones", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := w.clinician.Get(ctx, other.RecordID, io.Discard); err != nil {
		t.Fatal(err)
	}
	var otherView map[string]json.RawMessage
	if err := json.Unmarshal(w.jones.answer(t, "GET", recordPath(other.RecordID)), &otherView); err != nil {
		t.Fatal(err)
	}
	otherPrior := otherView["prior_acls"]
	if len(otherPrior) < 4 {
		t.Fatalf("the view of a shared record brings no prior ACLs: %s", otherPrior)
	}
	w.jones.attack(t, "POST", "/v1/records/views", editJSON(t, func(m map[string]json.RawMessage) {
		var rs []map[string]json.RawMessage
		if err := json.Unmarshal(m["records"], &rs); err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			r["prior_acls"] = otherPrior
		}
		m["records"] = toJSON(rs)
	}))
	fresh := connectVia(t, w.srv, w.jones)
	if _, err := fresh.Login(ctx, &sdk.LoginOptions{Handle: "dr-jones", Passphrase: []byte(clinicianPass)}); err != nil {
		t.Fatal(err)
	}
	list, err := fresh.List(ctx)
	var check sdk.Check
	if err == nil || !errors.As(err, &check) || list != nil {
		t.Fatalf("List over swapped prior ACLs = %d records, %v; want a failed check", len(list), err)
	}
	t.Logf("refused: %v", err)
}

// quotaStorage refuses to save the record index, as a full browser store
// would.
type quotaStorage struct{ sdk.MemoryStorage }

func (q *quotaStorage) Save(ctx context.Context, name string, data []byte) error {
	if name == "records.sealed" {
		return errors.New("quota exceeded")
	}
	return q.MemoryStorage.Save(ctx, name, data)
}

// A storage that cannot hold the index makes the next list cold; this one
// still succeeds.
func TestList_IndexNotSavedIsNotFatal(t *testing.T) {
	srv, _, _ := newPatient(t)
	bob := newClient(t, srv, &quotaStorage{})
	register(t, bob, "bob", "", "", "bob's long passphrase for tests 3")
	put(t, bob, []byte("allergy list"), "allergies")
	for range 2 {
		if list, err := bob.List(t.Context()); err != nil || len(list) != 1 {
			t.Fatalf("List with a full store = %d records, %v", len(list), err)
		}
	}
}
