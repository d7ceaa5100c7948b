package witness

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/blindvault/blindvault/internal/auditlog"
)

const origin = "log.test/log"

type testLog struct {
	signer note.Signer
	vkey   string
	tree   auditlog.Tree
}

func newTestLog(t *testing.T) *testLog {
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return &testLog{signer: s, vkey: vkey}
}

func (l *testLog) grow(t *testing.T, n int, tag byte) []byte {
	for i := range n {
		if err := l.tree.Append([]byte{tag, byte(i), byte(l.tree.Size())}); err != nil {
			t.Fatal(err)
		}
	}
	root, _ := l.tree.Root()
	signed, err := auditlog.Sign(auditlog.Checkpoint{Origin: origin, Size: l.tree.Size(), Root: root}, l.signer)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

func (l *testLog) proof(t *testing.T, from int64) [][32]byte {
	p, err := tlog.ProveTree(l.tree.Size(), from, &l.tree)
	if err != nil {
		t.Fatal(err)
	}
	out := make([][32]byte, len(p))
	for i := range p {
		out[i] = p[i]
	}
	return out
}

func newWitness(t *testing.T, l *testLog) (*Witness, *httptest.Server, note.Verifier) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	cos := auditlog.NewCosigner("witness.test/w", priv)
	w, err := New(origin, l.vkey, cos, filepath.Join(t.TempDir(), "state"))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(w.Handler())
	t.Cleanup(ts.Close)
	v, err := auditlog.NewCosignatureVerifier(cos.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	return w, ts, v
}

func post(t *testing.T, url string, body []byte) (int, []byte) {
	resp, err := http.Post(url+"/add-checkpoint", "text/plain", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, b.Bytes()
}

func TestWitness_CosignsOnlyConsistentCheckpoints(t *testing.T) {
	l := newTestLog(t)
	w, ts, v := newWitness(t, l)
	first := l.grow(t, 5, 'a')
	code, lines := post(t, ts.URL, auditlog.WitnessRequest(0, nil, first))
	if code != 200 {
		t.Fatalf("first checkpoint: %d %s", code, lines)
	}
	if _, err := note.Open(append(bytes.Clone(first), lines...), note.VerifierList(v)); err != nil {
		t.Fatalf("the cosignature does not verify: %v", err)
	}

	second := l.grow(t, 3, 'a')
	if code, body := post(t, ts.URL, auditlog.WitnessRequest(0, nil, second)); code != http.StatusConflict || string(body) != "5\n" {
		t.Fatalf("stale old size: %d %q, want 409 \"5\"", code, body)
	}
	if code, body := post(t, ts.URL, auditlog.WitnessRequest(5, l.proof(t, 5), second)); code != 200 {
		t.Fatalf("consistent checkpoint: %d %s", code, body)
	}
	if w.Size() != 8 {
		t.Fatalf("witness size %d, want 8", w.Size())
	}

	// A fork of the same log: the first 8 entries differ.
	fork := newTestLog(t)
	fork.signer, fork.vkey = l.signer, l.vkey
	forked := fork.grow(t, 10, 'b')
	if code, body := post(t, ts.URL, auditlog.WitnessRequest(8, fork.proof(t, 8), forked)); code != http.StatusUnprocessableEntity {
		t.Fatalf("forked checkpoint: %d %s, want 422", code, body)
	}
	// Same size, another root.
	same := newTestLog(t)
	same.signer = l.signer
	if code, _ := post(t, ts.URL, auditlog.WitnessRequest(8, nil, same.grow(t, 8, 'c'))); code != http.StatusConflict {
		t.Fatalf("another root of the same size: %d, want 409", code)
	}
	// Another log's key.
	other := newTestLog(t)
	if code, _ := post(t, ts.URL, auditlog.WitnessRequest(8, nil, other.grow(t, 9, 'd'))); code != http.StatusForbidden {
		t.Fatalf("another log's key: %d, want 403", code)
	}
	// The state survives a restart.
	w2, err := New(origin, l.vkey, auditlog.NewCosigner("witness.test/w", nil), w.state)
	if err != nil || w2.Size() != 8 {
		t.Fatalf("restarted witness size %d, %v; want 8", w2.Size(), err)
	}
}

func FuzzParseRequest(f *testing.F) {
	f.Add(auditlog.WitnessRequest(3, [][32]byte{{1}, {2}}, []byte("o\n3\nAAAA\n\n— o sig\n")))
	f.Add([]byte("old 0\n\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		size, proof, msg, err := parseRequest(bytes.NewReader(in))
		if err != nil {
			return
		}
		hs := make([][32]byte, len(proof))
		for i := range proof {
			hs[i] = proof[i]
		}
		if out := auditlog.WitnessRequest(size, hs, msg); !bytes.Equal(out, in) {
			t.Fatalf("parseRequest(%q) re-encodes as %q", in, out)
		}
	})
}
