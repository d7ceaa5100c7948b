package server

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/server/store"
)

func TestRecords_PutVersion_HappyPath(t *testing.T) {
	ts := newTestServer(t, recConfig())
	alice, bob := newRecAccount(t, ts, "alice"), newRecAccount(t, ts, "bob")
	plain := recPlain(40000) // three chunks
	f := createRecord(t, alice, plain, recReader{bob, format.RightRead})

	for _, a := range []*recTestAccount{alice, bob} {
		var v api.Record
		a.get(t, recordPath(f.ID)).want(t, "GET record as "+a.Card.Handle, http.StatusOK).decode(t, &v)
		if v.Version != 1 || v.Owner != alice.ID.String() || v.ACLSeq != 1 || v.Deleted ||
			!bytes.Equal(v.Header, f.V1.Header.Marshal()) || !bytes.Equal(v.ACL, f.V1.ACL) || len(v.Grants) != 1 {
			t.Fatalf("GET record as %s = %+v, want version 1 with its header, ACL and one grant", a.Card.Handle, v)
		}
		if got := openAs(t, a, f.ID, 1); !bytes.Equal(got, plain) {
			t.Fatalf("opened version 1 as %s: %d bytes differ from the %d sealed", a.Card.Handle, len(got), len(plain))
		}
	}

	v2plain := recPlain(5000)
	v2 := f.next(t, f.V1.Header, alice, v2plain)
	alice.put(t, v2).want(t, "PUT v2", http.StatusCreated)
	if got := openAs(t, bob, f.ID, 2); !bytes.Equal(got, v2plain) {
		t.Fatalf("opened version 2 as bob: got %d bytes, want the %d sealed", len(got), len(v2plain))
	}
	if got := openAs(t, bob, f.ID, 1); !bytes.Equal(got, plain) {
		t.Fatalf("opened version 1 after version 2: got %d bytes, want %d", len(got), len(plain))
	}

	var owned, shared, none api.RecordList
	alice.get(t, "/v1/records").want(t, "GET /v1/records", http.StatusOK).decode(t, &owned)
	bob.get(t, "/v1/shared").want(t, "GET /v1/shared", http.StatusOK).decode(t, &shared)
	bob.get(t, "/v1/records").want(t, "GET /v1/records as bob", http.StatusOK).decode(t, &none)
	if len(owned.Records) != 1 || owned.Records[0].ID != f.ID.String() || owned.Records[0].Version != 2 ||
		owned.Records[0].HeaderHash != store.Hash(v2.Header.Hash()).String() {
		t.Fatalf("GET /v1/records = %+v, want the record at version 2", owned)
	}
	if len(shared.Records) != 1 || shared.Records[0].ID != f.ID.String() {
		t.Fatalf("GET /v1/shared as bob = %+v, want the record", shared)
	}
	if len(none.Records) != 0 {
		t.Fatalf("GET /v1/records as bob = %+v, want none", none)
	}

	alice.send(t, http.MethodDelete, recordPath(f.ID), "", nil).want(t, "DELETE", http.StatusOK)
	bob.get(t, recordPath(f.ID)).want(t, "GET record as bob after DELETE", http.StatusNotFound)
	alice.get(t, versionPath(f.ID, 2)+"/body").want(t, "GET body after DELETE", http.StatusNotFound)
	var tomb api.Record
	alice.get(t, recordPath(f.ID)).want(t, "GET record after DELETE", http.StatusOK).decode(t, &tomb)
	if !tomb.Deleted || tomb.Header != nil {
		t.Fatalf("GET record after DELETE = %+v, want a tombstone", tomb)
	}
	if _, err := ts.Store.Version(context.Background(), f.ID, 1); !isNotFound(err) {
		t.Fatalf("Version(1) after DELETE = %v, want ErrNotFound", err)
	}
	alice.send(t, http.MethodDelete, recordPath(f.ID), "", nil).want(t, "DELETE again", http.StatusNotFound)
}

func TestRecords_GetBody_Range(t *testing.T) {
	ts := newTestServer(t, recConfig())
	alice := newRecAccount(t, ts, "alice")
	f := createRecord(t, alice, recPlain(20000))
	body, size := f.V1.Body, len(f.V1.Body)
	path := versionPath(f.ID, 1) + "/body"
	for _, tc := range []struct {
		rng      string
		from, to int // served span, to exclusive
	}{
		{"bytes=0-99", 0, 100},
		{"bytes=100-", 100, size},
		{"bytes=-10", size - 10, size},
		{fmt.Sprintf("bytes=%d-%d", size-5, size+100), size - 5, size},
		{"bytes=-99999999", 0, size},
		{"bytes=56-16455", 56, 16456}, // the first chunk
	} {
		r := alice.get(t, path, "Range", tc.rng).want(t, "GET body "+tc.rng, http.StatusPartialContent)
		wantCR := fmt.Sprintf("bytes %d-%d/%d", tc.from, tc.to-1, size)
		if !bytes.Equal(r.Body, body[tc.from:tc.to]) || r.Header.Get("Content-Range") != wantCR {
			t.Errorf("GET body %s = %d bytes, %q; want bytes %d..%d, %q", tc.rng, len(r.Body), r.Header.Get("Content-Range"), tc.from, tc.to, wantCR)
		}
	}
	for _, rng := range []string{fmt.Sprintf("bytes=%d-", size), "bytes=5-2", "bytes=0-1,4-5", "bytes=-0", "items=0-1", "bytes=x-y", "bytes=99999999999999999999-"} {
		r := alice.get(t, path, "Range", rng).want(t, "GET body "+rng, http.StatusRequestedRangeNotSatisfiable)
		if got, want := r.Header.Get("Content-Range"), fmt.Sprintf("bytes */%d", size); got != want {
			t.Errorf("GET body %s: Content-Range = %q, want %q", rng, got, want)
		}
	}
	full := alice.get(t, path).want(t, "GET body", http.StatusOK)
	if !bytes.Equal(full.Body, body) || full.Header.Get("Accept-Ranges") != "bytes" {
		t.Errorf("GET body = %d bytes, Accept-Ranges %q; want the %d stored, bytes", len(full.Body), full.Header.Get("Accept-Ranges"), size)
	}
}

func TestRecords_PutVersion_ConcurrentCAS(t *testing.T) {
	ts := newTestServer(t, recConfig())
	alice := newRecAccount(t, ts, "alice")
	f := createRecord(t, alice, recPlain(100))

	// Two writers race for version 2 from the same head: one wins.
	a, b := f.next(t, f.V1.Header, alice, []byte("a")), f.next(t, f.V1.Header, alice, []byte("b"))
	statuses := make([]int, 2)
	var wg sync.WaitGroup
	for i, rv := range []*recVersion{a, b} {
		wg.Go(func() { statuses[i] = alice.put(t, rv).Status })
	}
	wg.Wait()
	if !(statuses[0] == http.StatusCreated && statuses[1] == http.StatusPreconditionFailed) &&
		!(statuses[1] == http.StatusCreated && statuses[0] == http.StatusPreconditionFailed) {
		t.Fatalf("two concurrent PUTs of version 2 = %v, want one 201 and one 412", statuses)
	}
	winner := a
	if statuses[1] == http.StatusCreated {
		winner = b
	}
	if h, _ := storedHead(t, ts, f.ID); h.Version != 2 || h.HeaderHash != store.Hash(winner.Header.Hash()) {
		t.Fatalf("head after the race = version %d %s, want version 2 of the winner", h.Version, h.HeaderHash)
	}

	// The loser's header names a stale head.
	loser := b
	if winner == b {
		loser = a
	}
	alice.put(t, loser).want(t, "PUT v2 again", http.StatusPreconditionFailed)
	stale := f.next(t, f.V1.Header, alice, []byte("c"))
	stale3 := sealVersion(t, f.ID, alice.ID, 3, stale.Header.Hash(), f.ACL, f.EpochKey, alice, alice.Identity, []byte("d"), "t")
	alice.put(t, stale3).want(t, "PUT v3 on a stale prev hash", http.StatusPreconditionFailed)

	// Two creations of one record: one wins.
	g := newRecord(t, alice, []byte("x"))
	for i := range 2 {
		wg.Go(func() { statuses[i] = alice.put(t, g.V1).Status })
	}
	wg.Wait()
	if statuses[0]+statuses[1] != http.StatusCreated+http.StatusPreconditionFailed {
		t.Fatalf("two concurrent PUTs of version 1 = %v, want one 201 and one 412", statuses)
	}
}

// TestRecords_IDOR tries every record, sharing and chain route of alice's as
// mallory, who holds no grant: nothing leaks (404, as for a record that does
// not exist) and nothing changes. Chains are public to accounts by design;
// appending to another's is 403.
func TestRecords_IDOR(t *testing.T) {
	ts := newTestServer(t, recConfig())
	alice, bob, mallory := newRecAccount(t, ts, "alice"), newRecAccount(t, ts, "bob"), newRecAccount(t, ts, "mallory")
	f := createRecord(t, alice, recPlain(3000), recReader{bob, format.RightRead | format.RightWrite})
	own := createRecord(t, mallory, recPlain(10)) // mallory's own, to swap ids into
	alice.json(t, http.MethodPost, "/v1/chains/"+alice.ID.String(), api.ChainItem{Seq: 1, Entry: []byte("e1")}).want(t, "POST chain", http.StatusCreated)

	before := idorSnapshot(t, ts, f.ID, alice.ID)
	ghost := newRecord(t, alice, recPlain(10)).ID // never uploaded

	// Writes mallory could try: a version 2 as herself, one forged as alice,
	// a version 1 over alice's id, a new ACL adding herself, deletion.
	asMallory := sealVersion(t, f.ID, alice.ID, 2, f.V1.Header.Hash(), f.ACL, f.EpochKey, mallory, mallory.Identity, []byte("m"), "m")
	asAlice := sealVersion(t, f.ID, alice.ID, 2, f.V1.Header.Hash(), f.ACL, f.EpochKey, alice, mallory.Identity, []byte("m"), "m")
	over := newRecordAt(t, mallory, f.ID, []byte("m")) // well-formed: only the id is taken
	acl2 := signedACL(t, f.ID, mallory, 2, f.ACL.Hash(), 1)

	for _, id := range []store.RecordID{f.ID, ghost} {
		for _, path := range []string{
			recordPath(id), versionPath(id, 1), versionPath(id, 1) + "/leaves",
			versionPath(id, 1) + "/body", recordPath(id) + "/acl", recordPath(id) + "/acl?seq=1",
		} {
			mallory.get(t, path).want(t, "mallory GET "+path, http.StatusNotFound)
		}
		mallory.send(t, http.MethodDelete, recordPath(id), "", nil).want(t, "mallory DELETE", http.StatusNotFound)
		mallory.json(t, http.MethodPut, recordPath(id)+"/acl", api.Sharing{ACL: acl2.Marshal()}).want(t, "mallory PUT acl", http.StatusNotFound)
	}
	mallory.put(t, asMallory).want(t, "mallory PUT v2 as herself", http.StatusNotFound)
	mallory.put(t, asAlice).want(t, "mallory PUT v2 as alice", http.StatusForbidden)
	mallory.put(t, over.V1).want(t, "mallory PUT v1 over alice's id", http.StatusNotFound)
	// bob reads the record: he may learn it exists.
	bob.put(t, newRecordAt(t, bob, f.ID, []byte("b")).V1).want(t, "bob PUT v1 over alice's id", http.StatusPreconditionFailed)
	mallory.putRaw(t, f.ID, 2, own.V1.frame()).want(t, "mallory PUT her record's frame at alice's URL", http.StatusBadRequest)
	mallory.json(t, http.MethodPost, "/v1/chains/"+alice.ID.String(), api.ChainItem{Seq: 2, Entry: []byte("m")}).want(t, "mallory POST alice's chain", http.StatusForbidden)

	// Lists show mallory only her own.
	var owned, shared api.RecordList
	mallory.get(t, "/v1/records").want(t, "GET /v1/records", http.StatusOK).decode(t, &owned)
	mallory.get(t, "/v1/records?after="+strings.Repeat("0", 64)+"&limit=1000").want(t, "GET /v1/records paged", http.StatusOK)
	mallory.get(t, "/v1/shared").want(t, "GET /v1/shared", http.StatusOK).decode(t, &shared)
	if len(owned.Records) != 1 || owned.Records[0].ID != own.ID.String() || len(shared.Records) != 0 {
		t.Fatalf("mallory's lists = %+v and %+v, want only her record", owned, shared)
	}

	// bob reads but does not own: owner-only routes are 403, not 404.
	bob.send(t, http.MethodDelete, recordPath(f.ID), "", nil).want(t, "bob DELETE", http.StatusForbidden)
	bob.json(t, http.MethodPut, recordPath(f.ID)+"/acl", api.Sharing{ACL: acl2.Marshal()}).want(t, "bob PUT acl", http.StatusForbidden)

	if after := idorSnapshot(t, ts, f.ID, alice.ID); after != before {
		t.Fatalf("store after the attempts = %+v, want %+v", after, before)
	}
	if _, ok := storedHead(t, ts, ghost); ok {
		t.Fatalf("Head(ghost) exists after the attempts")
	}
}

// idorState is what the IDOR test checks did not change.
type idorState struct {
	head    store.Head
	aclSeq  uint64
	grants  string
	chain   int
	version uint64
}

func idorSnapshot(t *testing.T, ts *testServer, id store.RecordID, owner store.AccountID) idorState {
	t.Helper()
	ctx := context.Background()
	h, _ := storedHead(t, ts, id)
	acl, err := ts.Store.ACL(ctx, id, 0)
	if err != nil {
		t.Fatal(err)
	}
	gs, err := ts.Store.Grants(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	for _, g := range gs {
		fmt.Fprintf(&sb, "%d/%s/%s/%v;", g.Epoch, g.Recipient, g.Account, g.Revoked.IsZero())
	}
	es, err := ts.Store.Chain(ctx, owner, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	return idorState{head: h, aclSeq: acl.Seq, grants: sb.String(), chain: len(es), version: h.Version}
}

func TestRecords_PutVersion_Forged(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t, recConfig())
	alice, bob, carol := newRecAccount(t, ts, "alice"), newRecAccount(t, ts, "bob"), newRecAccount(t, ts, "carol")
	f := createRecord(t, alice, recPlain(20000), recReader{bob, format.RightRead}, recReader{carol, format.RightRead | format.RightWrite})
	unchanged := func(what string, version uint64) {
		t.Helper()
		if h, _ := storedHead(t, ts, f.ID); h.Version != version {
			t.Fatalf("after %s: head version = %d, want %d", what, h.Version, version)
		}
	}

	// A reader without write, writing as himself.
	bob.put(t, f.next(t, f.V1.Header, bob, []byte("b"))).want(t, "PUT v2 by a reader", http.StatusForbidden)
	unchanged("a reader's write", 1)
	// A reader passing off a header as the owner's, signed with his own key.
	forged := sealVersion(t, f.ID, alice.ID, 2, f.V1.Header.Hash(), f.ACL, f.EpochKey, alice, bob.Identity, []byte("b"), "t")
	bob.put(t, forged).want(t, "PUT v2 authored as the owner by a reader", http.StatusForbidden)
	alice.put(t, forged).want(t, "PUT v2 signed by a key not the author's", http.StatusForbidden)
	unchanged("forged headers", 1)

	// A header changed after signing.
	tampered := f.next(t, f.V1.Header, alice, []byte("x"))
	tampered.Header.Created++
	alice.put(t, tampered).want(t, "PUT v2 with a bad signature", http.StatusBadRequest)

	// Wrong record or version in the URL.
	good := f.next(t, f.V1.Header, alice, recPlain(20000))
	alice.putRaw(t, newRecord(t, alice, nil).ID, 2, good.frame()).want(t, "PUT at another record's URL", http.StatusBadRequest)
	alice.putRaw(t, f.ID, 3, good.frame()).want(t, "PUT at another version's URL", http.StatusBadRequest)

	// Bodies and leaves that are not the header's.
	frame := func(leaves, body []byte) []byte {
		return encodeFrame(good.Header.Marshal(), nil, nil, nil, leaves, body)
	}
	flip := func(b []byte, i int) []byte {
		c := bytes.Clone(b)
		c[i] ^= 1
		return c
	}
	for _, tc := range []struct {
		name         string
		leaves, body []byte
	}{
		{"a short body", good.Leaves, good.Body[:len(good.Body)-1]},
		{"a long body", good.Leaves, append(bytes.Clone(good.Body), 0)},
		{"no body", good.Leaves, nil},
		{"a changed salt", good.Leaves, flip(good.Body, 3)},
		{"a changed first chunk", good.Leaves, flip(good.Body, 100)},
		{"a changed last chunk", good.Leaves, flip(good.Body, len(good.Body)-1)},
		{"a changed leaf", flip(good.Leaves, 40), good.Body},
		{"a short leaf list", good.Leaves[:32], good.Body},
	} {
		alice.putRaw(t, f.ID, 2, frame(tc.leaves, tc.body)).want(t, "PUT v2 with "+tc.name, http.StatusBadRequest)
		unchanged(tc.name, 1)
	}

	// A delegate with write, signing with her identity: stored. Signing with
	// her device key, certified and not revoked: refused, as is every header
	// not signed by its author's identity key (format-v1 §2.7).
	carol.put(t, f.next(t, f.V1.Header, carol, []byte("c"))).want(t, "PUT v2 by a writer", http.StatusCreated)
	v2, err := ts.Store.Version(ctx, f.ID, 2)
	if err != nil || v2.Author != carol.ID {
		t.Fatalf("Version(2) = %+v, %v; want authored by carol", v2, err)
	}
	prev, _ := format.ParseHeader(v2.Header)
	v3 := sealVersion(t, f.ID, alice.ID, 3, prev.Hash(), f.ACL, f.EpochKey, carol, carol.Device, []byte("d"), "t")
	carol.put(t, v3).want(t, "PUT v3 signed by a device", http.StatusForbidden)

	// A revoked device, with the header backdated to before its revocation:
	// created is the signer's choice, so this looks like an honest old header.
	lost := carol.addDevice(t)
	revokedAt := ts.now()
	err = ts.Store.RevokeDevice(ctx, carol.ID, store.DeviceID(lost.Public().(ed25519.PublicKey)), []byte("revocation"), revokedAt)
	if err != nil {
		t.Fatal(err)
	}
	v3 = sealVersion(t, f.ID, alice.ID, 3, prev.Hash(), f.ACL, f.EpochKey, carol, lost, []byte("e"), "t")
	v3.Header.Created = uint64(revokedAt.Unix()) - 60
	if err := v3.Header.Sign(lost); err != nil {
		t.Fatal(err)
	}
	carol.put(t, v3).want(t, "PUT v3 signed by a revoked device, backdated", http.StatusForbidden)
	// Nor does a device of another account sign.
	v3 = sealVersion(t, f.ID, alice.ID, 3, prev.Hash(), f.ACL, f.EpochKey, carol, bob.Device, []byte("e"), "t")
	carol.put(t, v3).want(t, "PUT v3 signed by another account's device", http.StatusForbidden)
	unchanged("device-signed headers", 2)
}

func TestRecords_PutVersion_BadCreate(t *testing.T) {
	ts := newTestServer(t, recConfig())
	alice, bob := newRecAccount(t, ts, "alice"), newRecAccount(t, ts, "bob")
	for _, tc := range []struct {
		name   string
		status int
		edit   func(f *recFixture)
	}{
		{"no ACL", http.StatusBadRequest, func(f *recFixture) { f.V1.ACL = nil }},
		{"an ACL of another record", http.StatusBadRequest, func(f *recFixture) {
			f.V1.ACL = signedACL(t, newRecord(t, alice, nil).ID, alice, 1, [32]byte{}, 1).Marshal()
		}},
		{"an ACL signed by another", http.StatusBadRequest, func(f *recFixture) {
			a := signedACL(t, f.ID, alice, 1, [32]byte{}, 1, recReader{bob, format.RightRead})
			a.Sign(bob.Identity)
			f.V1.ACL = a.Marshal()
		}},
		{"an ACL the header does not sign", http.StatusBadRequest, func(f *recFixture) {
			f.V1.ACL = signedACL(t, f.ID, alice, 1, [32]byte{}, 1).Marshal()
		}},
		{"a missing grant", http.StatusBadRequest, func(f *recFixture) { f.V1.Grants = f.V1.Grants[:1] }},
		{"a grant filed under another account", http.StatusBadRequest, func(f *recFixture) { f.V1.Grants[1].Account = alice.ID }},
		{"a grant for another epoch", http.StatusBadRequest, func(f *recFixture) {
			f.V1.Grants[1] = sealedGrant(t, f.ID, 2, f.EpochKey, alice, bob)
		}},
		{"a grant signed by a reader", http.StatusForbidden, func(f *recFixture) {
			f.V1.Grants[1] = sealedGrant(t, f.ID, 1, f.EpochKey, bob, bob)
		}},
		{"a grant repeated", http.StatusBadRequest, func(f *recFixture) { f.V1.Grants = append(f.V1.Grants, f.V1.Grants[1]) }},
		{"a grant of an unknown account", http.StatusBadRequest, func(f *recFixture) { f.V1.Grants[1].Account[0] ^= 1 }},
		{"a chain entry out of order", http.StatusPreconditionFailed, func(f *recFixture) { f.V1.Chain = &chainItem{Seq: 2, Entry: []byte("e")} }},
	} {
		f := newRecord(t, alice, recPlain(100), recReader{bob, format.RightRead})
		tc.edit(f)
		alice.put(t, f.V1).want(t, "PUT v1 with "+tc.name, tc.status)
		if _, ok := storedHead(t, ts, f.ID); ok {
			t.Fatalf("PUT v1 with %s stored the record", tc.name)
		}
	}
	// Someone else's version 1 of a record owned by alice.
	f := newRecord(t, alice, recPlain(100))
	bob.put(t, f.V1).want(t, "PUT v1 sent by another", http.StatusForbidden)
	// Version 1 with a chain entry, then its version 2 with an ACL.
	f.V1.Chain = &chainItem{Seq: 1, Entry: []byte("created")}
	alice.put(t, f.V1).want(t, "PUT v1 with a chain entry", http.StatusCreated)
	if es, err := ts.Store.Chain(context.Background(), alice.ID, 1, 0); err != nil || len(es) != 1 || string(es[0].Entry) != "created" {
		t.Fatalf("Chain(alice) = %v, %v; want the entry sent with version 1", es, err)
	}
	v2 := f.next(t, f.V1.Header, alice, nil)
	v2.ACL = f.V1.ACL
	alice.put(t, v2).want(t, "PUT v2 with an ACL", http.StatusBadRequest)
	alice.send(t, http.MethodPut, versionPath(f.ID, 2), "application/json", bytes.NewReader(v2.frame())).want(t, "PUT v2 as JSON", http.StatusUnsupportedMediaType)
	for _, p := range []string{"/v1/records/" + strings.Repeat("A", 64) + "/versions/2", "/v1/records/abc/versions/2", versionPath(f.ID, 0)[:len(versionPath(f.ID, 0))-1] + "02", versionPath(f.ID, 0)} {
		alice.send(t, http.MethodPut, p, "application/octet-stream", bytes.NewReader(v2.frame())).want(t, "PUT "+p, http.StatusBadRequest)
	}
	(&recTestAccount{ts: ts}).put(t, f.next(t, f.V1.Header, alice, nil)).want(t, "PUT without a session", http.StatusUnauthorized)
}

func TestRecords_PutVersion_Oversize(t *testing.T) {
	cfg := recConfig()
	cfg.MaxBody = 64 << 10
	ts := newTestServer(t, cfg)
	alice := newRecAccount(t, ts, "alice")

	for _, n := range []int{64 << 10, 100 << 10} { // over MaxBody by the header, then by the leaf list too
		big := newRecord(t, alice, recPlain(n))
		alice.put(t, big.V1).want(t, fmt.Sprintf("PUT a body of %d bytes over MaxBody", len(big.V1.Body)), http.StatusRequestEntityTooLarge)
		if _, ok := storedHead(t, ts, big.ID); ok {
			t.Fatalf("a body over MaxBody was stored")
		}
	}

	f := newRecord(t, alice, recPlain(100))
	limit := frameFixedPart + maxLeavesFor(cfg.MaxBody) + cfg.MaxBody
	padded := append(f.V1.frame(), make([]byte, limit)...)
	alice.putRaw(t, f.ID, 1, padded).want(t, "PUT a request over the limit", http.StatusRequestEntityTooLarge)

	// A part over its bound is 413 when the request holds the bytes it
	// declares; declared but absent, it is a malformed frame (400).
	hdr := f.V1.Header.Marshal()
	withHdr := append([]byte{0, byte(len(hdr) >> 8), byte(len(hdr))}, hdr...)
	part := func(before []byte, prefix int, n int64) []byte {
		out := bytes.Clone(before)
		for i := prefix - 1; i >= 0; i-- {
			out = append(out, byte(n>>(8*i)))
		}
		return append(out, make([]byte, n)...)
	}
	for _, tc := range []struct {
		name  string
		frame []byte
	}{
		{"a header over 16 KiB", part(nil, 3, maxHeaderPart+1)},
		{"an ACL over 64 KiB", part(withHdr, 3, maxACLPart+1)},
		{"a grant list over its bound", part(append(bytes.Clone(withHdr), 0, 0, 0), 3, maxGrantsPart+1)},
		{"a chain entry over 4 KiB", part(append(bytes.Clone(withHdr), 0, 0, 0, 0, 0, 0), 3, maxChainItem+1)},
		{"a leaf list over its bound", part(append(bytes.Clone(withHdr), 0, 0, 0, 0, 0, 0, 0, 0, 0), 4, maxLeavesFor(cfg.MaxBody)+1)},
	} {
		alice.putRaw(t, f.ID, 1, tc.frame).want(t, "PUT "+tc.name, http.StatusRequestEntityTooLarge)
	}
	for _, tc := range []struct {
		name  string
		frame []byte
	}{
		{"a 13-byte junk frame", []byte("not a frame!!")},
		{"a header over 16 KiB, declared only", []byte{0xff, 0xff, 0xff}},
		{"an ACL over 64 KiB, declared only", append(bytes.Clone(withHdr), 0x01, 0x00, 0x01)},
		{"an empty request", nil},
		{"a truncated header", []byte{0, 1, 0, 1}},
		{"an empty header", make([]byte, 16)},
		{"a header that does not parse", []byte{0, 0, 1, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
	} {
		alice.putRaw(t, f.ID, 1, tc.frame).want(t, "PUT "+tc.name, http.StatusBadRequest)
	}
	if _, ok := storedHead(t, ts, f.ID); ok {
		t.Fatalf("a refused frame stored the record")
	}

	// JSON bodies over their bounds (64 KiB, 4 MiB for an ACL update), and an
	// oversized tombstone entry.
	alice.put(t, f.V1).want(t, "PUT v1", http.StatusCreated)
	huge := bytes.Repeat([]byte{'a'}, maxJSON)
	alice.json(t, http.MethodPut, recordPath(f.ID)+"/acl", api.Sharing{ACL: bytes.Repeat([]byte{'a'}, maxSharingJSON)}).want(t, "PUT acl over 4 MiB", http.StatusRequestEntityTooLarge)
	alice.json(t, http.MethodPost, "/v1/chains/"+alice.ID.String(), api.ChainItem{Seq: 1, Entry: huge}).want(t, "POST chain over 64 KiB", http.StatusRequestEntityTooLarge)
	alice.send(t, http.MethodDelete, recordPath(f.ID), "application/octet-stream", bytes.NewReader(make([]byte, maxChainItem+1))).want(t, "DELETE with a large entry", http.StatusRequestEntityTooLarge)
	if h, _ := storedHead(t, ts, f.ID); h.ACLSeq != 1 || h.IsDeleted() {
		t.Fatalf("head after oversize requests = %+v, want unchanged", h)
	}
	if es, _ := ts.Store.Chain(context.Background(), alice.ID, 1, 0); len(es) != 0 {
		t.Fatalf("Chain(alice) after oversize requests = %d entries, want 0", len(es))
	}
}

// FuzzVersionFrame feeds frames to the parser and to the PUT handler of a
// real server: no panic, no 500, and a parsed frame keeps its bounds.
func FuzzVersionFrame(f *testing.F) {
	ts := newTestServer(f, recConfig())
	alice, bob := newRecAccount(f, ts, "alice"), newRecAccount(f, ts, "bob")
	rec := newRecord(f, alice, recPlain(100), recReader{bob, format.RightRead})
	valid := rec.V1.frame()
	f.Add(valid)
	f.Add(valid[:len(valid)-1])
	f.Add(valid[:len(rec.V1.Header.Marshal())+3])
	f.Add(encodeFrame(rec.V1.Header.Marshal(), nil, rec.V1.Grants, &chainItem{Seq: 1, Entry: []byte("e")}, rec.V1.Leaves, nil))
	f.Add(encodeFrame(nil, nil, nil, nil, nil, nil))
	f.Add([]byte{0xff, 0xff, 0xff, 0})
	f.Fuzz(func(t *testing.T, frame []byte) {
		if vf, err := readFrame(bytes.NewReader(frame), int64(len(frame)), maxLeavesFor(1<<20)); err != nil {
			var ae *apiError
			if !asAPIError(err, &ae) || ae.Status >= 500 {
				t.Fatalf("readFrame = %v, want a 4xx API error", err)
			}
		} else if len(vf.Header) == 0 || len(vf.Header) > maxHeaderPart || len(vf.ACL) > maxACLPart || len(vf.Grants) > maxGrants {
			t.Fatalf("readFrame accepted a frame out of bounds: header %d, ACL %d, %d grants", len(vf.Header), len(vf.ACL), len(vf.Grants))
		}
		req := httptest.NewRequest(http.MethodPut, versionPath(rec.ID, 1), bytes.NewReader(frame))
		req.Header.Set("Authorization", "Bearer "+alice.token)
		req.Header.Set("Content-Type", "application/octet-stream")
		w := httptest.NewRecorder()
		ts.Handler().ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("PUT frame = %d %s, want no server error", w.Code, w.Body)
		}
	})
}

func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"", "bytes=0-99", "bytes=-5", "bytes=5-", "bytes=0-1,2-3", "bytes=9-1", "bytes= 1-2"} {
		f.Add(s, int64(4200))
	}
	f.Fuzz(func(t *testing.T, h string, size int64) {
		if size <= 0 {
			return
		}
		off, n, partial, err := parseRange(h, size)
		if err != nil {
			return
		}
		if off < 0 || n <= 0 || off+n > size || (!partial && (off != 0 || n != size)) {
			t.Fatalf("parseRange(%q, %d) = %d, %d, %v; want a span inside the body", h, size, off, n, partial)
		}
	})
}
