package testkit_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"testing"

	"github.com/blindvault/blindvault/internal/testkit"
	"github.com/blindvault/blindvault/sdk"
)

// kitDir is where the kit is checked in.
var kitDir = filepath.Join("..", "..", "testdata", "conformance")

// checkedIn returns every file of the kit on disk by its slash path, but the
// hand-written README.md.
func checkedIn(t testing.TB) map[string][]byte {
	t.Helper()
	files := make(map[string][]byte)
	err := filepath.WalkDir(kitDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(kitDir, p)
		if err != nil || rel == "README.md" {
			return err
		}
		files[filepath.ToSlash(rel)], err = os.ReadFile(p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestGenerate_MatchesCheckedIn(t *testing.T) {
	want, err := testkit.Generate()
	if err != nil {
		t.Fatal(err)
	}
	got := checkedIn(t)
	for name, data := range want {
		if !bytes.Equal(got[name], data) {
			t.Errorf("%s differs from the generator's output; run go generate ./internal/testkit", name)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s is not made by the generator any more; delete it", name)
		}
	}
}

// TestKit_Decrypt runs every vector through the reader of record files,
// sdk.Decrypt, and checks the outcome its header names.
func TestKit_Decrypt(t *testing.T) {
	files := checkedIn(t)
	seen := map[string]bool{}
	for name, data := range files {
		if path.Dir(name) != "." {
			continue
		}
		v, err := testkit.Parse(name, data)
		if err != nil {
			t.Error(err)
			continue
		}
		seen[v.Expect] = true
		t.Run(name, func(t *testing.T) {
			id, err := sdk.ParseIdentity(files["keys/"+v.Identity+".key"], nil)
			if err != nil {
				t.Fatalf("identity %s: %v", v.Identity, err)
			}
			opts := &sdk.DecryptOptions{Workers: 2}
			if v.Signer != "" {
				if opts.Signer, err = sdk.ParseKeyCard(files["keys/"+v.Signer+".card"]); err != nil {
					t.Fatalf("signer %s: %v", v.Signer, err)
				}
			}
			var out bytes.Buffer
			info, err := sdk.Decrypt(context.Background(), &out, bytes.NewReader(v.File), id, opts)
			if v.Expect == testkit.Success {
				checkSuccess(t, v, info, out.Bytes(), err)
				return
			}
			checkError(t, v, err)
		})
	}
	for _, name := range testkit.ErrorNames {
		if !seen[name] {
			t.Errorf("no vector expects %s", name)
		}
	}
}

func checkSuccess(t *testing.T, v *testkit.Vector, info *sdk.RecordInfo, out []byte, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("Decrypt(%s) error = %v, want success (%s)", v.Name, err, v.Comment)
	}
	sum := sha256.Sum256(out)
	if got := hex.EncodeToString(sum[:]); got != v.Payload {
		t.Errorf("Decrypt(%s) plaintext SHA-256 = %s, want %s", v.Name, got, v.Payload)
	}
	fp := info.Author.Fingerprint()
	if got := hex.EncodeToString(fp[:]); got != v.Author {
		t.Errorf("Decrypt(%s) author = %s, want %s", v.Name, got, v.Author)
	}
}

// checkError checks that err is the vector's error and no other one of §7.1
// but those alsoMatches allows.
func checkError(t *testing.T, v *testkit.Vector, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("Decrypt(%s) succeeded, want %s (%s)", v.Name, v.Expect, v.Comment)
	}
	for _, name := range testkit.ErrorNames {
		is := errors.Is(err, goErrors[name])
		switch {
		case name == v.Expect && !is:
			t.Errorf("Decrypt(%s) error = %v, want %s (%s)", v.Name, err, v.Expect, v.Comment)
		case name != v.Expect && is && !slices.Contains(alsoMatches[v.Expect], name):
			t.Errorf("Decrypt(%s) error = %v, matches %s too, want only %s", v.Name, err, name, v.Expect)
		}
	}
}

// Every error name has its Go error.
func TestErrorNames_Mapped(t *testing.T) {
	for _, name := range testkit.ErrorNames {
		if goErrors[name] == nil {
			t.Errorf("error name %s has no Go error", name)
		}
	}
}
