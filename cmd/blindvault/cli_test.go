package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blindvault/blindvault/sdk"
)

// cli runs one command in-process and returns its exit code, stdout and stderr.
func cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func mustCLI(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errs := cli(t, args...)
	if code != 0 {
		t.Fatalf("blindvault %s: exit %d, stderr %s", strings.Join(args, " "), code, errs)
	}
	return out
}

// people creates alice (passphrase-protected) and bob, with their cards, in dir.
func people(t *testing.T, dir string) (pass string) {
	t.Helper()
	pass = filepath.Join(dir, "alice.pass")
	os.WriteFile(pass, []byte("correct horse battery staple\n"), 0o600)
	mustCLI(t, "keygen", "-o", filepath.Join(dir, "alice.key"), "--passphrase-file", pass)
	mustCLI(t, "keygen", "-o", filepath.Join(dir, "bob.key"))
	os.WriteFile(filepath.Join(dir, "bob.card"), []byte(mustCLI(t, "pubkey", filepath.Join(dir, "bob.key"))), 0o644)
	os.WriteFile(filepath.Join(dir, "alice.card"), []byte(mustCLI(t, "pubkey", filepath.Join(dir, "alice.key"), "--passphrase-file", pass)), 0o644)
	return pass
}

func TestCLI_EncryptDecrypt_Files(t *testing.T) {
	dir := t.TempDir()
	pass := people(t, dir)
	p := func(n string) string { return filepath.Join(dir, n) }
	if st, _ := os.Stat(p("alice.key")); st.Mode().Perm() != 0o600 {
		t.Fatalf("keygen mode = %v, want 0600", st.Mode().Perm())
	}
	plain := bytes.Repeat([]byte("lab result "), 20000)
	os.WriteFile(p("in"), plain, 0o644)
	mustCLI(t, "encrypt", "-i", p("alice.key"), "--passphrase-file", pass, "-r", p("bob.card"), "--title", "Lab", "-o", p("in.bv"), p("in"))

	var fi struct {
		Author struct{ Handle string } `json:"author"`
		Grants int                     `json:"grants"`
	}
	if err := json.Unmarshal([]byte(mustCLI(t, "inspect", p("in.bv"))), &fi); err != nil || fi.Author.Handle != "alice" || fi.Grants != 2 {
		t.Fatalf("inspect = %+v, %v, want author alice with 2 grants", fi, err)
	}

	_, _, errs := cli(t, "decrypt", "-i", p("bob.key"), "--signer", p("alice.card"), "-o", p("out"), p("in.bv"))
	if got, _ := os.ReadFile(p("out")); !bytes.Equal(got, plain) {
		t.Fatalf("decrypt output differs from the input (stderr %s)", errs)
	}
	if !strings.Contains(errs, "Verified author: alice") {
		t.Fatalf("decrypt --signer stderr = %q, want a verified author line", errs)
	}
	_, _, errs = cli(t, "decrypt", "-i", p("bob.key"), "-o", p("out2"), p("in.bv"))
	if !strings.Contains(errs, "not verified") {
		t.Fatalf("decrypt without --signer stderr = %q, want an unverified warning", errs)
	}
}

func TestCLI_Decrypt_TamperedCreatesNoOutput(t *testing.T) {
	dir := t.TempDir()
	pass := people(t, dir)
	p := func(n string) string { return filepath.Join(dir, n) }
	os.WriteFile(p("in"), bytes.Repeat([]byte{7}, 100000), 0o644)
	mustCLI(t, "encrypt", "-i", p("alice.key"), "--passphrase-file", pass, "-r", p("bob.card"), "-o", p("in.bv"), p("in"))
	file, _ := os.ReadFile(p("in.bv"))
	file[len(file)-20] ^= 1 // in the last chunk: earlier chunks verify and stream first
	os.WriteFile(p("bad.bv"), file, 0o644)
	code, _, errs := cli(t, "decrypt", "-i", p("bob.key"), "-o", p("out"), p("bad.bv"))
	if code == 0 {
		t.Fatalf("decrypt of a tampered file exited 0")
	}
	if _, err := os.Stat(p("out")); !os.IsNotExist(err) {
		t.Fatalf("decrypt of a tampered file created -o OUT (stat error %v); stderr %s", err, errs)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), "partial") {
			t.Fatalf("decrypt left a temporary file behind: %s", e.Name())
		}
	}
}

func TestCLI_Decrypt_WrongSigner(t *testing.T) {
	dir := t.TempDir()
	pass := people(t, dir)
	p := func(n string) string { return filepath.Join(dir, n) }
	os.WriteFile(p("in"), []byte("x"), 0o644)
	mustCLI(t, "encrypt", "-i", p("alice.key"), "--passphrase-file", pass, "-r", p("bob.card"), "-o", p("in.bv"), p("in"))
	code, _, errs := cli(t, "decrypt", "-i", p("bob.key"), "--signer", p("bob.card"), "-o", p("out"), p("in.bv"))
	if code != 1 || !strings.Contains(errs, "not the expected signer") {
		t.Fatalf("decrypt --signer bob.card = exit %d, %q; want exit 1 and a signer error", code, errs)
	}
}

func TestCLI_WrongPassphrase(t *testing.T) {
	dir := t.TempDir()
	people(t, dir)
	bad := filepath.Join(dir, "bad.pass")
	os.WriteFile(bad, []byte("not the passphrase at all\n"), 0o600)
	code, _, errs := cli(t, "pubkey", filepath.Join(dir, "alice.key"), "--passphrase-file", bad)
	if code != 1 || !strings.Contains(errs, "wrong passphrase") {
		t.Fatalf("pubkey with a wrong passphrase = exit %d, %q", code, errs)
	}
}

func TestCLI_Usage(t *testing.T) {
	if code, _, _ := cli(t, "encrypt"); code != 2 {
		t.Fatalf("encrypt without -i = exit %d, want 2", code)
	}
	if code, _, _ := cli(t, "nope"); code != 2 {
		t.Fatalf("unknown command = exit %d, want 2", code)
	}
	// Arguments are checked before the profile is opened (and a passphrase
	// asked for): a bad record id is a usage error even with no account.
	for _, cmd := range [][]string{{"audit", "zz"}, {"get", "zz"}, {"rm", "zz"}} {
		code, _, errs := cli(t, append(append([]string{}, cmd[0], "--home", t.TempDir()), cmd[1:]...)...)
		if code != 2 || !strings.Contains(errs, "not a record id") {
			t.Errorf("blindvault %s with no account: exit %d, %q; want 2 and 'not a record id'", cmd, code, errs)
		}
	}
}

func TestCLI_Demo(t *testing.T) {
	code, out, errs := cli(t, "demo")
	if code != 0 {
		t.Fatalf("demo exit %d: %s", code, errs)
	}
	for _, want := range []string{"verified clinician of Example Clinic", "identical", "Dr Jones is refused",
		"sees her 2 records", "found in the server's", ": 0 of 4 searched",
		"body read          dr-jones", "grant revoked      alice → dr-jones"} {
		if !strings.Contains(out, want) {
			t.Fatalf("demo output lacks %q", want)
		}
	}
}

// Every error that means the server answered falsely is said as a security
// problem, the transparency log's included; an ordinary failure is not.
func TestFriendly_SecurityErrors(t *testing.T) {
	for _, err := range []error{sdk.CheckRollback, sdk.CheckEquivocation, sdk.CheckLogFork, sdk.CheckLogMismatch,
		sdk.CheckNotLogged, sdk.CheckUnexpectedKey, sdk.CheckLeafMismatch, sdk.CheckWrongACL, sdk.CheckOPRF} {
		got := friendly(fmt.Errorf("reading x: %w", err))
		if !strings.HasPrefix(got.Error(), "SECURITY:") || !errors.Is(got, err) {
			t.Errorf("friendly(%v) = %q, want a SECURITY message that still matches the error", err, got)
		}
	}
	if got := friendly(fmt.Errorf("get: %w", sdk.ErrNotFound)); strings.Contains(got.Error(), "SECURITY") {
		t.Errorf("friendly(ErrNotFound) = %q, a security message", got)
	}
}
