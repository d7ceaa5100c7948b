package auditlog

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func testEntry(i int) *Entry {
	e := &Entry{Type: BodyRead, Time: 1_790_000_000 + uint64(i), Number: uint64(i)}
	e.Subject[0], e.Actor[1], e.Peer[2], e.Object[3] = byte(i), 2, 3, 4
	if i%2 == 0 {
		e.Type, e.Sig = VersionWritten, bytes.Repeat([]byte{byte(i)}, 64)
	}
	return e
}

func TestEntry_RoundTrip(t *testing.T) {
	for i := range 4 {
		e := testEntry(i)
		b := e.Marshal()
		got, err := Parse(b)
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		if !bytes.Equal(got.Marshal(), b) {
			t.Fatalf("round trip differs")
		}
	}
}

func TestEntry_Rejects(t *testing.T) {
	good := testEntry(0).Marshal()
	cases := map[string]struct {
		in   []byte
		want error
	}{
		"empty":          {nil, ErrMalformed},
		"version 2":      {append([]byte{2}, good[1:]...), ErrUnknownVersion},
		"type 0":         {append([]byte{1, 0}, good[2:]...), ErrUnknownType},
		"type 99":        {append([]byte{1, 99}, good[2:]...), ErrUnknownType},
		"truncated":      {good[:len(good)-1], ErrMalformed},
		"trailing":       {append(bytes.Clone(good), 0), ErrMalformed},
		"signature of 3": {append(bytes.Clone(good[:EntrySize-1]), 3, 1, 2, 3), ErrMalformed},
	}
	for name, c := range cases {
		if _, err := Parse(c.in); !errors.Is(err, c.want) {
			t.Errorf("%s: Parse = %v, want %v", name, err, c.want)
		}
	}
}

func newLogKey(t testing.TB, name string) (note.Signer, note.Verifier) {
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

func TestCheckpoint_SignOpenAndWitness(t *testing.T) {
	const origin = "vault.example/log"
	signer, verifier := newLogKey(t, origin)
	var tree Tree
	for i := range 5 {
		if err := tree.Append(testEntry(i).Marshal()); err != nil {
			t.Fatal(err)
		}
	}
	root, err := tree.Root()
	if err != nil {
		t.Fatal(err)
	}
	cp := Checkpoint{Origin: origin, Size: tree.Size(), Root: root}
	msg, err := Sign(cp, signer)
	if err != nil {
		t.Fatal(err)
	}
	p := &Policy{Origin: origin, Log: verifier}
	got, _, err := p.Open(msg)
	if err != nil || got != cp {
		t.Fatalf("Open = %+v, %v; want %+v", got, err, cp)
	}

	_, wpriv, _ := ed25519.GenerateKey(rand.Reader)
	w := NewCosigner("witness.example/w1", wpriv)
	w.Now = func() time.Time { return time.Unix(1_790_000_000, 0) }
	wv, err := NewCosignatureVerifier(w.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	p.Witnesses, p.Quorum = []note.Verifier{wv}, 1
	if _, _, err := p.Open(msg); !errors.Is(err, ErrCheckpointSignature) {
		t.Fatalf("Open without the cosignature = %v, want ErrCheckpointSignature", err)
	}
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		t.Fatal(err)
	}
	cosigned, err := note.Sign(n, w)
	if err != nil {
		t.Fatal(err)
	}
	_, times, err := p.Open(cosigned)
	if err != nil || times["witness.example/w1"] != 1_790_000_000 {
		t.Fatalf("Open with the cosignature = %v, times %v", err, times)
	}

	// Another origin, a changed size or a key of another log are refused.
	if _, _, err := (&Policy{Origin: "other/log", Log: verifier}).Open(msg); !errors.Is(err, ErrCheckpoint) {
		t.Errorf("other origin: %v", err)
	}
	forged := bytes.Replace(msg, []byte("\n5\n"), []byte("\n6\n"), 1)
	if _, _, err := (&Policy{Origin: origin, Log: verifier}).Open(forged); !errors.Is(err, ErrCheckpointSignature) {
		t.Errorf("changed size: %v", err)
	}
	_, otherV := newLogKey(t, origin)
	if _, _, err := (&Policy{Origin: origin, Log: otherV}).Open(msg); !errors.Is(err, ErrCheckpointSignature) {
		t.Errorf("other log key: %v", err)
	}
}

func TestParseCheckpoint_Rejects(t *testing.T) {
	const origin = "o"
	good := Checkpoint{Origin: origin, Size: 3}.Body()
	for _, body := range []string{
		"", "o\n3\n", "o\n03\n" + strings.Split(good, "\n")[2] + "\n", "o\n-1\n" + strings.Split(good, "\n")[2] + "\n",
		"o\n3\nAAAA\n", good + "extension\n", "p\n3\n" + strings.Split(good, "\n")[2] + "\n",
	} {
		if _, err := ParseCheckpoint(body, origin); !errors.Is(err, ErrCheckpoint) {
			t.Errorf("ParseCheckpoint(%q) = %v, want ErrCheckpoint", body, err)
		}
	}
	if _, err := ParseCheckpoint(good, origin); err != nil {
		t.Fatal(err)
	}
}

// The in-memory tree agrees with tlog's proofs.
func TestTree_MatchesTlog(t *testing.T) {
	var tree Tree
	var records [][]byte
	for i := range 37 {
		records = append(records, testEntry(i).Marshal())
		if err := tree.Append(records[i]); err != nil {
			t.Fatal(err)
		}
	}
	root, _ := tree.Root()
	for _, i := range []int64{0, 17, 36} {
		p, err := tlog.ProveRecord(tree.Size(), i, &tree)
		if err != nil {
			t.Fatal(err)
		}
		if err := tlog.CheckRecord(p, tree.Size(), root, i, tlog.RecordHash(records[i])); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(testEntry(0).Marshal())
	f.Add(testEntry(1).Marshal())
	f.Fuzz(func(t *testing.T, in []byte) {
		e, err := Parse(in)
		if err == nil && !bytes.Equal(e.Marshal(), in) {
			t.Fatalf("Parse(%x) re-encodes differently", in)
		}
	})
}

func FuzzParseCheckpoint(f *testing.F) {
	f.Add(Checkpoint{Origin: "o", Size: 7}.Body())
	f.Fuzz(func(t *testing.T, body string) {
		c, err := ParseCheckpoint(body, "o")
		if err == nil && c.Body() != body {
			t.Fatalf("ParseCheckpoint(%q) re-encodes as %q", body, c.Body())
		}
	})
}
