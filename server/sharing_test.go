package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/server/store"
)

// grantsJSON turns frame grants into the JSON of an ACL update.
func grantsJSON(gs ...frameGrant) []api.SharedGrant {
	out := make([]api.SharedGrant, 0, len(gs))
	for _, g := range gs {
		out = append(out, api.SharedGrant{Account: g.Account.String(), Grant: g.Signed})
	}
	return out
}

func TestSharing_PutACL_ShareAndRevoke(t *testing.T) {
	ts := newTestServer(t, recConfig())
	alice, bob, carol := newRecAccount(t, ts, "alice"), newRecAccount(t, ts, "bob"), newRecAccount(t, ts, "carol")
	f := createRecord(t, alice, recPlain(3000), recReader{bob, format.RightRead})
	path := recordPath(f.ID) + "/acl"
	carol.get(t, recordPath(f.ID)).want(t, "GET record as carol before sharing", http.StatusNotFound)

	// Share with carol: same epoch, one more reader, one grant.
	acl2 := signedACL(t, f.ID, alice, 2, f.ACL.Hash(), 1, recReader{bob, format.RightRead}, recReader{carol, format.RightRead})
	var res api.SharingResult
	alice.json(t, http.MethodPut, path, api.Sharing{ACL: acl2.Marshal(), Grants: grantsJSON(sealedGrant(t, f.ID, 1, f.EpochKey, alice, carol))}).
		want(t, "PUT acl sharing with carol", http.StatusOK).decode(t, &res)
	if res.ACLSeq != 2 || res.Epoch != 1 || res.Revoked != 0 || res.ACLHash != store.Hash(acl2.Hash()).String() {
		t.Fatalf("PUT acl sharing with carol = %+v, want seq 2, epoch 1, nothing revoked", res)
	}
	if got := openAs(t, carol, f.ID, 1); !bytes.Equal(got, recPlain(3000)) {
		t.Fatalf("carol opened %d bytes, want the 3000 sealed", len(got))
	}
	var shared api.RecordList
	carol.get(t, "/v1/shared").want(t, "GET /v1/shared as carol", http.StatusOK).decode(t, &shared)
	if len(shared.Records) != 1 || shared.Records[0].ID != f.ID.String() || shared.Records[0].ACLSeq != 2 {
		t.Fatalf("GET /v1/shared as carol = %+v, want the record at ACL seq 2", shared)
	}

	// A stale ACL (seq 2 again) loses.
	stale := signedACL(t, f.ID, alice, 2, f.ACL.Hash(), 1, recReader{bob, format.RightRead})
	alice.json(t, http.MethodPut, path, api.Sharing{ACL: stale.Marshal()}).want(t, "PUT a stale acl", http.StatusPreconditionFailed)

	// Revoke bob: a new epoch whose key goes to alice and carol.
	key2 := make([]byte, 32)
	rand.Read(key2)
	acl3 := signedACL(t, f.ID, alice, 3, acl2.Hash(), 2, recReader{carol, format.RightRead})
	alice.json(t, http.MethodPut, path, api.Sharing{
		ACL:    acl3.Marshal(),
		Grants: grantsJSON(sealedGrant(t, f.ID, 2, key2, alice, alice), sealedGrant(t, f.ID, 2, key2, alice, carol)),
		Revoke: []api.Revoked{{Account: bob.ID.String()}},
	}).want(t, "PUT acl revoking bob", http.StatusOK).decode(t, &res)
	if res.ACLSeq != 3 || res.Epoch != 2 || res.Revoked != 1 {
		t.Fatalf("PUT acl revoking bob = %+v, want seq 3, epoch 2, one key revoked", res)
	}
	for _, p := range []string{recordPath(f.ID), versionPath(f.ID, 1) + "/body", versionPath(f.ID, 1) + "/leaves", path} {
		bob.get(t, p).want(t, "bob GET "+p+" after revocation", http.StatusNotFound)
	}
	bob.get(t, "/v1/shared").want(t, "GET /v1/shared as bob", http.StatusOK).decode(t, &shared)
	if len(shared.Records) != 0 {
		t.Fatalf("GET /v1/shared as bob after revocation = %+v, want none", shared)
	}

	// Version 2 under the new epoch: carol reads it, bob cannot.
	f.ACL, f.EpochKey = acl3, key2
	v2 := f.next(t, f.V1.Header, alice, []byte("after revocation"))
	alice.put(t, v2).want(t, "PUT v2 under epoch 2", http.StatusCreated)
	if got := openAs(t, carol, f.ID, 2); string(got) != "after revocation" {
		t.Fatalf("carol opened version 2 = %q, want %q", got, "after revocation")
	}
	bob.get(t, versionPath(f.ID, 2)).want(t, "bob GET version 2", http.StatusNotFound)

	// The whole ACL history is there for readers.
	for seq, want := range map[string]*format.ACL{"1": f.firstACL(t), "2": acl2, "3": acl3, "": acl3} {
		var v api.ACL
		q := ""
		if seq != "" {
			q = "?seq=" + seq
		}
		carol.get(t, path+q).want(t, "GET acl"+q, http.StatusOK).decode(t, &v)
		if !bytes.Equal(v.ACL, want.Marshal()) || v.Hash != store.Hash(want.Hash()).String() {
			t.Errorf("GET acl%s = seq %d, want seq %d", q, v.Seq, want.Seq)
		}
	}
	carol.get(t, path+"?seq=4").want(t, "GET acl?seq=4", http.StatusNotFound)
	carol.get(t, path+"?seq=0").want(t, "GET acl?seq=0", http.StatusBadRequest)

	// Dropping a reader from the ACL ends her grants even if Revoke does not
	// name her.
	acl4 := signedACL(t, f.ID, alice, 4, acl3.Hash(), 3)
	key3 := make([]byte, 32)
	rand.Read(key3)
	alice.json(t, http.MethodPut, path, api.Sharing{ACL: acl4.Marshal(), Grants: grantsJSON(sealedGrant(t, f.ID, 3, key3, alice, alice))}).
		want(t, "PUT acl dropping carol", http.StatusOK).decode(t, &res)
	if res.Revoked != 1 {
		t.Fatalf("PUT acl dropping carol = %+v, want her key revoked", res)
	}
	carol.get(t, recordPath(f.ID)).want(t, "carol GET after being dropped", http.StatusNotFound)
	gs, err := ts.Store.GrantsFor(context.Background(), f.ID, carol.ID)
	if err != nil || len(gs) != 0 {
		t.Fatalf("GrantsFor(carol) = %d grants, %v; want none", len(gs), err)
	}
}

func TestSharing_PutACL_Refused(t *testing.T) {
	ts := newTestServer(t, recConfig())
	alice, bob, carol, dave := newRecAccount(t, ts, "alice"), newRecAccount(t, ts, "bob"), newRecAccount(t, ts, "carol"), newRecAccount(t, ts, "dave")
	f := createRecord(t, alice, recPlain(100), recReader{bob, format.RightRead}, recReader{dave, format.RightRead | format.RightShare})
	path := recordPath(f.ID) + "/acl"
	readers := []recReader{{bob, format.RightRead}, {dave, format.RightRead | format.RightShare}}
	next := func(epoch uint32, rs ...recReader) *format.ACL {
		return signedACL(t, f.ID, alice, 2, f.ACL.Hash(), epoch, rs...)
	}
	withCarol := append(readers[:2:2], recReader{carol, format.RightRead})
	badSigner := next(1, withCarol...)
	badSigner.Sign(bob.Identity)
	for _, tc := range []struct {
		name   string
		req    api.Sharing
		status int
	}{
		{"an empty update", api.Sharing{}, http.StatusBadRequest},
		{"an ACL that does not parse", api.Sharing{ACL: []byte("acl")}, http.StatusBadRequest},
		{"an ACL of another record", api.Sharing{ACL: signedACL(t, store.RecordID{1}, alice, 2, f.ACL.Hash(), 1).Marshal()}, http.StatusBadRequest},
		{"an ACL skipping a seq", api.Sharing{ACL: signedACL(t, f.ID, alice, 3, f.ACL.Hash(), 1, readers...).Marshal()}, http.StatusPreconditionFailed},
		{"an ACL dropping a reader in the same epoch", api.Sharing{ACL: next(1, readers[1]).Marshal()}, http.StatusBadRequest},
		{"an ACL skipping an epoch", api.Sharing{ACL: next(3, readers...).Marshal()}, http.StatusBadRequest},
		{"an ACL signed by a reader", api.Sharing{ACL: badSigner.Marshal()}, http.StatusBadRequest},
		{"a grant to a key the ACL does not list", api.Sharing{ACL: next(1, readers...).Marshal(),
			Grants: grantsJSON(sealedGrant(t, f.ID, 1, f.EpochKey, alice, carol))}, http.StatusBadRequest},
		{"a grant signed by a reader without share", api.Sharing{ACL: next(1, withCarol...).Marshal(),
			Grants: grantsJSON(sealedGrant(t, f.ID, 1, f.EpochKey, bob, carol))}, http.StatusForbidden},
		{"a grant of another record", api.Sharing{ACL: next(1, withCarol...).Marshal(),
			Grants: grantsJSON(sealedGrant(t, store.RecordID{1}, 1, f.EpochKey, alice, carol))}, http.StatusBadRequest},
		{"a revocation of a reader still listed", api.Sharing{ACL: next(2, readers...).Marshal(),
			Revoke: []api.Revoked{{Account: bob.ID.String()}}}, http.StatusBadRequest},
		{"a revocation without an ACL", api.Sharing{Revoke: []api.Revoked{{Account: bob.ID.String()}}}, http.StatusBadRequest},
		{"a revocation of a bad id", api.Sharing{Revoke: []api.Revoked{{Account: "B0B"}}}, http.StatusBadRequest},
		{"a grant for a bad account id", api.Sharing{Grants: []api.SharedGrant{{Account: strings.Repeat("F", 64), Grant: []byte("g")}}}, http.StatusBadRequest},
		{"a chain entry with seq 0", api.Sharing{Chain: &api.ChainItem{Entry: []byte("e")}}, http.StatusBadRequest},
	} {
		alice.json(t, http.MethodPut, path, tc.req).want(t, "PUT acl with "+tc.name, tc.status)
	}
	alice.send(t, http.MethodPut, path, "application/json", strings.NewReader(`{"acl":"","extra":1}`)).want(t, "PUT acl with an unknown field", http.StatusBadRequest)
	alice.send(t, http.MethodPut, path, "application/json", strings.NewReader(`{"chain":{"seq":1,"entry":"ZQ=="}} {}`)).want(t, "PUT acl with trailing data", http.StatusBadRequest)
	if h, _ := storedHead(t, ts, f.ID); h.ACLSeq != 1 {
		t.Fatalf("ACL seq after refused updates = %d, want 1", h.ACLSeq)
	}

	// A share delegate's grant is accepted, filed by the owner.
	alice.json(t, http.MethodPut, path, api.Sharing{ACL: next(1, withCarol...).Marshal(),
		Grants: grantsJSON(sealedGrant(t, f.ID, 1, f.EpochKey, dave, carol)),
		Chain:  &api.ChainItem{Seq: 1, Entry: []byte("shared with carol")}}).want(t, "PUT acl with a delegate's grant", http.StatusOK)
	if got := openAs(t, carol, f.ID, 1); !bytes.Equal(got, recPlain(100)) {
		t.Fatalf("carol opened %d bytes with dave's grant, want 100", len(got))
	}
	// Grants alone, for the ACL in force.
	alice.json(t, http.MethodPut, path, api.Sharing{Grants: grantsJSON(sealedGrant(t, f.ID, 1, f.EpochKey, alice, carol))}).
		want(t, "PUT acl with grants only", http.StatusOK)
	if es, _ := ts.Store.Chain(context.Background(), alice.ID, 1, 0); len(es) != 1 || string(es[0].Entry) != "shared with carol" {
		t.Fatalf("Chain(alice) = %v, want the entry sent with the ACL", es)
	}
}

func FuzzSharingRequest(f *testing.F) {
	f.Add([]byte(`{"acl":"AAAA","grants":[{"account":"` + strings.Repeat("ab", 32) + `","grant":"AAAA"}],"revoke":[{"account":"` + strings.Repeat("cd", 32) + `"}],"chain":{"seq":1,"entry":"ZQ=="}}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"grants":[{"account":"00","grant":null}]}`))
	f.Add([]byte(`{"revoke":[{"account":"` + strings.Repeat("A", 64) + `"}]}`))
	f.Add([]byte(`{"chain":{"seq":18446744073709551615,"entry":""}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPut, "/v1/records/x/acl", bytes.NewReader(body))
		u, err := decodeSharingRequest(w, r)
		if err != nil {
			var ae *apiError
			if !asAPIError(err, &ae) || ae.Status >= 500 {
				t.Fatalf("decodeSharingRequest(%q) = %v, want a 4xx API error", body, err)
			}
			return
		}
		if u.Chain != nil && (u.Chain.Seq == 0 || len(u.Chain.Entry) == 0 || len(u.Chain.Entry) > maxChainEntry) {
			t.Fatalf("decodeSharingRequest(%q) accepted chain item %+v", body, u.Chain)
		}
	})
}
