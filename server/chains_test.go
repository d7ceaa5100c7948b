package server

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/blindvault/blindvault/internal/api"
)

func TestChains_Append_SeqAndRead(t *testing.T) {
	ts := newTestServer(t, recConfig())
	alice, bob := newRecAccount(t, ts, "alice"), newRecAccount(t, ts, "bob")
	path := "/v1/chains/" + alice.ID.String()

	alice.json(t, http.MethodPost, path, api.ChainItem{Seq: 1, Entry: []byte("e1")}).want(t, "POST seq 1", http.StatusCreated)
	alice.json(t, http.MethodPost, path, api.ChainItem{Seq: 1, Entry: []byte("again")}).want(t, "POST seq 1 again", http.StatusPreconditionFailed)
	alice.json(t, http.MethodPost, path, api.ChainItem{Seq: 3, Entry: []byte("gap")}).want(t, "POST seq 3", http.StatusPreconditionFailed)
	alice.json(t, http.MethodPost, path, api.ChainItem{Seq: 2, Entry: []byte("e2")}).want(t, "POST seq 2", http.StatusCreated)
	alice.json(t, http.MethodPost, path, api.ChainItem{Seq: 3, Entry: bytes.Repeat([]byte{1}, maxChainEntry+1)}).want(t, "POST an entry over 4 KiB", http.StatusBadRequest)
	alice.json(t, http.MethodPost, path, api.ChainItem{Seq: 3}).want(t, "POST an empty entry", http.StatusBadRequest)
	alice.json(t, http.MethodPost, path, api.ChainItem{Seq: 3, Entry: bytes.Repeat([]byte{1}, maxChainEntry)}).want(t, "POST an entry of 4 KiB", http.StatusCreated)
	bob.json(t, http.MethodPost, path, api.ChainItem{Seq: 4, Entry: []byte("bob's")}).want(t, "bob POST alice's chain", http.StatusForbidden)

	// Any account reads any chain, in pages.
	var page api.ChainPage
	bob.get(t, path).want(t, "bob GET alice's chain", http.StatusOK).decode(t, &page)
	if len(page.Entries) != 3 || string(page.Entries[0].Entry) != "e1" || page.Entries[1].Seq != 2 || page.Next != 0 {
		t.Fatalf("GET chain = %+v, want entries 1..3 and no next page", page)
	}
	bob.get(t, path+"?from=2&limit=1").want(t, "GET chain from 2", http.StatusOK).decode(t, &page)
	if len(page.Entries) != 1 || string(page.Entries[0].Entry) != "e2" || page.Next != 3 {
		t.Fatalf("GET chain?from=2&limit=1 = %+v, want entry 2 and next 3", page)
	}
	bob.get(t, path+"?from=9").want(t, "GET chain from 9", http.StatusOK).decode(t, &page)
	if len(page.Entries) != 0 {
		t.Fatalf("GET chain?from=9 = %+v, want no entries", page)
	}
	for _, q := range []string{"?from=0", "?from=x", "?limit=0", "?limit=-1", "?from=01"} {
		bob.get(t, path+q).want(t, "GET chain"+q, http.StatusBadRequest)
	}
	bob.get(t, "/v1/chains/"+strings.Repeat("ab", 32)).want(t, "GET an unknown chain", http.StatusNotFound)
	bob.get(t, "/v1/chains/"+strings.Repeat("AB", 32)).want(t, "GET a chain by an upper-case id", http.StatusBadRequest)
	(&recTestAccount{ts: ts}).get(t, path).want(t, "GET chain without a session", http.StatusUnauthorized)

	// A tombstone entry goes with the deletion it records.
	f := createRecord(t, alice, recPlain(10))
	item := append([]byte{0, 0, 0, 0, 0, 0, 0, 9}, "tombstone"...)
	alice.send(t, http.MethodDelete, recordPath(f.ID), "application/octet-stream", bytes.NewReader(item)).want(t, "DELETE with seq 9", http.StatusPreconditionFailed)
	if h, _ := storedHead(t, ts, f.ID); h.IsDeleted() {
		t.Fatalf("DELETE with a stale chain seq deleted the record")
	}
	item[7] = 4
	alice.send(t, http.MethodDelete, recordPath(f.ID), "text/plain", bytes.NewReader(item)).want(t, "DELETE with a text entry", http.StatusUnsupportedMediaType)
	alice.send(t, http.MethodDelete, recordPath(f.ID), "application/octet-stream", bytes.NewReader(item)).want(t, "DELETE with seq 4", http.StatusOK)
	es, err := ts.Store.Chain(context.Background(), alice.ID, 4, 0)
	if err != nil || len(es) != 1 || string(es[0].Entry) != "tombstone" {
		t.Fatalf("Chain(alice, 4) = %v, %v; want the tombstone", es, err)
	}
}

func FuzzChainRequest(f *testing.F) {
	f.Add([]byte(`{"seq":1,"entry":"ZTE="}`))
	f.Add([]byte(`{"seq":0,"entry":""}`))
	f.Add([]byte(`{"seq":-1}`))
	f.Add([]byte(`{"seq":1,"entry":"ZTE="}{"seq":2}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, "/v1/chains/x", bytes.NewReader(body))
		item, err := decodeChainRequest(w, r)
		if err != nil {
			var ae *apiError
			if !asAPIError(err, &ae) || ae.Status >= 500 {
				t.Fatalf("decodeChainRequest(%q) = %v, want a 4xx API error", body, err)
			}
			return
		}
		if item.Seq == 0 || len(item.Entry) == 0 || len(item.Entry) > maxChainEntry {
			t.Fatalf("decodeChainRequest(%q) accepted %+v", body, item)
		}
	})
}

func FuzzChainItem(f *testing.F) {
	f.Add([]byte{})
	f.Add(append([]byte{0, 0, 0, 0, 0, 0, 0, 1}, "entry"...))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		item, err := parseChainItem(b)
		if err != nil {
			var ae *apiError
			if !asAPIError(err, &ae) || ae.Status >= 500 {
				t.Fatalf("parseChainItem(%x) = %v, want a 4xx API error", b, err)
			}
			return
		}
		if item != nil && (item.Seq == 0 || len(item.Entry) == 0 || len(item.Entry) > maxChainEntry) {
			t.Fatalf("parseChainItem(%x) accepted %+v", b, item)
		}
	})
}
