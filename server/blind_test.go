package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/blindvault/blindvault/internal/format"
)

// The server is blind by construction: no package of it links the code that
// opens record bodies, and what it stores holds no plaintext.

// blindMod is the module path the blindness tests name packages under.
const blindMod = "github.com/blindvault/blindvault/"

// blindForbidden are the packages that can open what the server must stay
// blind to: record bodies (cobble, record), grants (grant), key files
// (keyfile), backup blobs (backup), and the client SDK that links them all.
// A package below one of them is forbidden too. The backup's wire format
// (internal/backupwire: encodings, no decryption) is allowed.
var blindForbidden = []string{
	blindMod + "internal/cobble",
	blindMod + "internal/record",
	blindMod + "internal/grant",
	blindMod + "internal/keyfile",
	blindMod + "internal/backup",
	blindMod + "sdk",
}

// blindViolations returns the packages of deps that blindForbidden forbids.
func blindViolations(deps []string) []string {
	var bad []string
	for _, d := range deps {
		for _, f := range blindForbidden {
			if d == f || strings.HasPrefix(d, f+"/") {
				bad = append(bad, d)
			}
		}
	}
	return bad
}

// TestBlind_Deps lists every package the server's packages depend on and
// fails if one of them can open a body, a grant, a key file or a backup, or
// is the client SDK.
func TestBlind_Deps(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list dependencies: %v", err)
	}
	out, err := exec.Command(goBin, "list", "-deps", blindMod+"server/...").Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("go list -deps: %v\n%s", err, stderr)
	}
	deps := strings.Fields(string(out))
	for _, d := range blindViolations(deps) {
		t.Errorf("go list -deps server/... includes %s, want it never linked into the server", d)
	}
	// The list is real: the server does use the format package and the
	// backup's wire format.
	for _, want := range []string{"internal/format", "internal/backupwire"} {
		if !slices.Contains(deps, blindMod+want) {
			t.Fatalf("go list -deps server/... = %d packages without %s; is the list complete?", len(deps), want)
		}
	}
}

// TestBlind_Violations checks the check: each forbidden package and one below
// it is caught, and the packages the server needs (among them the backup's
// wire format, whose name starts like the backup package's) are not.
func TestBlind_Violations(t *testing.T) {
	for _, p := range []string{"internal/grant", "internal/backup", "internal/backup/x", "internal/cobble", "internal/record", "internal/keyfile", "sdk", "sdk/x"} {
		if got := blindViolations([]string{blindMod + "internal/format", blindMod + p}); len(got) != 1 || got[0] != blindMod+p {
			t.Errorf("blindViolations(format, %s) = %q, want only %s", p, got, p)
		}
	}
	allowed := []string{blindMod + "internal/backupwire", blindMod + "internal/format", blindMod + "internal/grants", blindMod + "server/store", "github.com/cloudflare/circl/oprf"}
	if got := blindViolations(allowed); len(got) != 0 {
		t.Errorf("blindViolations(%q) = %q, want none", allowed, got)
	}
}

// lockedBuffer is a log sink for a server's concurrent handlers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string { return string(l.Bytes()) }

func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.b.Bytes())
}

// TestBlind_PlantedPlaintext seals records whose bodies, titles and tags carry
// a marker, uploads, shares, updates and reads them, then looks for the marker
// in the raw bbolt file, in a backup snapshot and in the logs.
func TestBlind_PlantedPlaintext(t *testing.T) {
	ctx := context.Background()
	var logs lockedBuffer
	cfg := recConfig()
	cfg.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ts := newTestServer(t, cfg)
	alice, bob := newRecAccount(t, ts, "alice"), newRecAccount(t, ts, "bob")

	nonce := make([]byte, 8)
	rand.Read(nonce)
	marker := "PLANTED-" + hex.EncodeToString(nonce)
	body := func(n int) []byte {
		b := recPlain(n)
		for _, at := range []int{0, n / 2, 16384 - len(marker)/2, n - len(marker)} {
			if at >= 0 && at+len(marker) <= n {
				copy(b[at:], marker)
			}
		}
		return b
	}
	var headers [][]byte
	for _, n := range []int{len(marker), 4096, 40000} {
		f := newRecord(t, alice, nil, recReader{bob, format.RightRead})
		f.V1 = sealVersion(t, f.ID, alice.ID, 1, [32]byte{}, f.ACL, f.EpochKey, alice, alice.Identity, body(n), "title "+marker)
		f.V1.ACL = f.ACL.Marshal()
		f.V1.Grants = []frameGrant{sealedGrant(t, f.ID, 1, f.EpochKey, alice, alice), sealedGrant(t, f.ID, 1, f.EpochKey, alice, bob)}
		alice.put(t, f.V1).want(t, "PUT v1", http.StatusCreated)
		v2 := sealVersion(t, f.ID, alice.ID, 2, f.V1.Header.Hash(), f.ACL, f.EpochKey, alice, alice.Identity, body(n+100), marker)
		alice.put(t, v2).want(t, "PUT v2", http.StatusCreated)
		if got := openAs(t, bob, f.ID, 2); !bytes.Contains(got, []byte(marker)) {
			t.Fatalf("bob opened version 2 without the marker: the test plants nothing")
		}
		headers = append(headers, f.V1.Header.Signature, v2.Header.Signature)
	}

	raw, err := os.ReadFile(ts.Path)
	if err != nil {
		t.Fatal(err)
	}
	var snap bytes.Buffer
	if _, err := ts.Store.Snapshot(ctx, &snap); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
	}{{"the bbolt file", raw}, {"a snapshot", snap.Bytes()}} {
		if n := bytes.Count(tc.data, []byte(marker)); n != 0 {
			t.Errorf("%s holds the marker %d times, want 0", tc.name, n)
		}
		for _, sig := range headers { // the right data was searched
			if !bytes.Contains(tc.data, sig) {
				t.Fatalf("%s (%d bytes) lacks a stored header's signature", tc.name, len(tc.data))
			}
		}
	}
	l := logs.Bytes()
	if len(l) == 0 {
		t.Fatalf("the server logged nothing; the log check checks nothing")
	}
	for what, secret := range map[string]string{"the marker": marker, "alice's token": alice.token, "bob's token": bob.token} {
		if bytes.Contains(l, []byte(secret)) {
			t.Errorf("the logs hold %s", what)
		}
	}
}
