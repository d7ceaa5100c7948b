package server

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/blindvault/blindvault/internal/auditlog"
)

// The log API over a real server: a write's receipt and a read's receipt
// prove their entries in the signed checkpoint, and the proofs the API
// serves verify against checkpoints.
func TestLog_ReceiptsAndProofs(t *testing.T) {
	ts := newTestServer(t, recConfig())
	alice := newRecAccount(t, ts, "alice")
	f := createRecord(t, alice, recPlain(100))

	var key struct{ Origin, Key string }
	mustJSON(t, alice.get(t, "/v1/log/key").want(t, "GET log key", http.StatusOK), &key)
	v, err := note.NewVerifier(key.Key)
	if err != nil {
		t.Fatal(err)
	}
	policy := &auditlog.Policy{Origin: key.Origin, Log: v}

	// The read's receipt comes in a header, before the body.
	read := alice.get(t, fmt.Sprintf("/v1/records/%s/versions/1/body", f.ID)).want(t, "GET body", http.StatusOK)
	raw, err := base64.StdEncoding.DecodeString(read.Header.Get(receiptHeader))
	if err != nil {
		t.Fatal(err)
	}
	var rc Receipt
	if err := json.Unmarshal(raw, &rc); err != nil {
		t.Fatal(err)
	}
	cp, _, err := policy.Open([]byte(rc.Checkpoint))
	if err != nil {
		t.Fatalf("the receipt's checkpoint: %v", err)
	}
	e, err := auditlog.Parse(rc.Entry)
	if err != nil || e.Type != auditlog.BodyRead || e.Subject != f.ID || e.Actor != ts.actor(f.ID, alice.ID) {
		t.Fatalf("the read's entry = %+v, %v", e, err)
	}
	proof := make(tlog.RecordProof, len(rc.Proof))
	for i, h := range rc.Proof {
		proof[i] = tlog.Hash(h)
	}
	if err := tlog.CheckRecord(proof, cp.Size, cp.Root, rc.Index, tlog.RecordHash(rc.Entry)); err != nil {
		t.Fatalf("the read's inclusion proof: %v", err)
	}

	// Entries, inclusion and consistency proofs agree with the checkpoint.
	var page struct{ Entries [][]byte }
	mustJSON(t, alice.get(t, "/v1/log/entries?from=0").want(t, "GET entries", http.StatusOK), &page)
	var tree auditlog.Tree
	for _, raw := range page.Entries {
		tree.Append(raw)
	}
	if root, _ := tree.Root(); tree.Size() != cp.Size || root != cp.Root {
		t.Fatalf("entries hash to a tree of %d, checkpoint has %d", tree.Size(), cp.Size)
	}
	var cons struct{ Hashes [][]byte }
	mustJSON(t, alice.get(t, fmt.Sprintf("/v1/log/consistency?from=2&size=%d", cp.Size)).want(t, "GET consistency", http.StatusOK), &cons)
	tp := make(tlog.TreeProof, len(cons.Hashes))
	for i, h := range cons.Hashes {
		tp[i] = tlog.Hash(h)
	}
	old, _ := tlog.TreeHash(2, &tree)
	if err := tlog.CheckTree(tp, cp.Size, cp.Root, 2, old); err != nil {
		t.Fatalf("consistency proof: %v", err)
	}

	for _, bad := range []string{"/v1/log/proof?index=-1", "/v1/log/proof?index=99999", "/v1/log/consistency?from=99999",
		"/v1/log/entries?from=x", "/v1/log/proof?index=0&size=99999"} {
		alice.get(t, bad).want(t, "GET "+bad, http.StatusBadRequest)
	}
}

func mustJSON(t testing.TB, r recResponse, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("answer %s: %v", r.Body, err)
	}
}

// readEntry returns the entry a body read's receipt proves.
func readEntry(t testing.TB, r recResponse) *auditlog.Entry {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(r.Header.Get(receiptHeader))
	if err != nil {
		t.Fatal(err)
	}
	var rc Receipt
	if err := json.Unmarshal(raw, &rc); err != nil {
		t.Fatal(err)
	}
	e, err := auditlog.Parse(rc.Entry)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// A body read's request nonce is the Peer of its entry (zero when the client
// sent none); a malformed one is refused before anything is read or logged.
func TestLog_ReadNonce(t *testing.T) {
	ts := newTestServer(t, recConfig())
	alice := newRecAccount(t, ts, "alice")
	f := createRecord(t, alice, recPlain(100))
	path := versionPath(f.ID, 1) + "/body"

	var nonce [32]byte
	for i := range nonce {
		nonce[i] = byte(0xa0 + i)
	}
	for _, enc := range []string{hex.EncodeToString(nonce[:]), strings.ToUpper(hex.EncodeToString(nonce[:]))} {
		e := readEntry(t, alice.get(t, path, readNonceHeader, enc).want(t, "GET body with a nonce", http.StatusOK))
		if e.Type != auditlog.BodyRead || e.Peer != nonce || e.Actor != ts.actor(f.ID, alice.ID) || e.Number != 1 {
			t.Fatalf("the read's entry = %+v, want a body read by alice with Peer %x", e, nonce)
		}
	}
	// A range read is bound the same way.
	r := alice.get(t, path, readNonceHeader, hex.EncodeToString(nonce[:]), "Range", "bytes=0-9").want(t, "GET range", http.StatusPartialContent)
	if e := readEntry(t, r); e.Peer != nonce {
		t.Fatalf("the range read's Peer = %x, want %x", e.Peer, nonce)
	}
	// An old client sends none: Peer is zero.
	if e := readEntry(t, alice.get(t, path).want(t, "GET body without a nonce", http.StatusOK)); e.Peer != ([32]byte{}) {
		t.Fatalf("a read without a nonce logged Peer %x, want zero", e.Peer)
	}

	size := func() int64 {
		var page struct{ Entries [][]byte }
		mustJSON(t, alice.get(t, "/v1/log/entries?from=0").want(t, "GET entries", http.StatusOK), &page)
		return int64(len(page.Entries))
	}
	before := size()
	good := hex.EncodeToString(nonce[:])
	for name, bad := range map[string]string{
		"empty": "", "short": good[:62], "long": good + "00", "not hex": "zz" + good[2:],
		"base64": base64.StdEncoding.EncodeToString(nonce[:]), "spaced": " " + good[1:],
	} {
		r := alice.get(t, path, readNonceHeader, bad).want(t, "GET body with a "+name+" nonce", http.StatusBadRequest)
		var ae struct {
			Error struct{ Code, Message string }
		}
		mustJSON(t, r, &ae)
		if ae.Error.Code != "bad_read_nonce" || len(r.Body) == 0 || r.Header.Get(receiptHeader) != "" {
			t.Fatalf("a %s nonce: %s, want the bad_read_nonce error and no receipt", name, r.Body)
		}
	}
	// Two values are as malformed as one bad one.
	req, err := http.NewRequest(http.MethodGet, ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+alice.token)
	req.Header.Add(readNonceHeader, good)
	req.Header.Add(readNonceHeader, good)
	resp, err := ts.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("two nonces: %d, want 400", resp.StatusCode)
	}
	if after := size(); after != before {
		t.Fatalf("refused reads were logged: %d entries, then %d", before, after)
	}
}

// countingSigner counts the checkpoints it signs.
type countingSigner struct {
	note.Signer
	n int
}

func (s *countingSigner) Sign(msg []byte) ([]byte, error) {
	s.n++
	return s.Signer.Sign(msg)
}

// Receipts of batches committed one after another are answered in any
// order: a checkpoint signed for a size is reused for that size while it
// is among the last few, not signed again once a larger one was.
func TestCheckpoints_ReuseRecentSizes(t *testing.T) {
	skey, _, err := note.GenerateKey(rand.Reader, "blindvault.test/log")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	counted := &countingSigner{Signer: signer}
	c := &checkpoints{origin: "blindvault.test/log", signer: counted}
	var stored []tlog.Hash
	hr := tlog.HashReaderFunc(func(xs []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(xs))
		for i, x := range xs {
			out[i] = stored[x]
		}
		return out, nil
	})
	for i := range int64(20) {
		hs, err := tlog.StoredHashes(i, []byte{byte(i)}, hr)
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, hs...)
	}
	sign := func(size int64) []byte {
		t.Helper()
		cp, err := c.at(size, hr)
		if err != nil {
			t.Fatalf("at(%d): %v", size, err)
		}
		return cp
	}
	first := sign(10)
	sign(11)
	sign(12)
	if again := sign(10); !bytes.Equal(again, first) || counted.n != 3 {
		t.Fatalf("after sizes 10, 11, 12, 10: %d signatures, want 3 (10 reused)", counted.n)
	}
	for size := int64(1); size <= recentCheckpoints; size++ {
		sign(size)
	}
	n := counted.n
	sign(10) // pushed out by the eight since: signed again
	if counted.n != n+1 {
		t.Fatalf("a size no longer among the last %d: %d new signatures, want 1", recentCheckpoints, counted.n-n)
	}
}
