package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/servertest"
)

// TestTransfer_MovesAndPoints moves a patient between two real servers with
// the CLI: the records read on the new server, the old one's ls shows the
// signed pointer, a second run uploads nothing, and bad input is a usage
// error.
func TestTransfer_MovesAndPoints(t *testing.T) {
	srvA, srvB, dir, pass := twoServers(t)
	home := filepath.Join(dir, "alice")
	as := func(h string, args ...string) []string { return append(args, "--home", h, "--passphrase-file", pass) }
	mustCLI(t, as(home, "register", "--server", srvA.URL, "--name", "alice")...)
	note := filepath.Join(dir, "note.txt")
	os.WriteFile(note, []byte("blood pressure 120/80"), 0o600)
	id := strings.TrimSpace(lastLine(mustCLI(t, as(home, "put", note, "--title", "bp")...)))
	os.WriteFile(note, []byte("blood pressure 118/79"), 0o600)
	mustCLI(t, as(home, "put", note, "--title", "bp", "--update", id)...)
	mustCLI(t, as(home, "put", note, "--title", "second")...)

	for _, args := range [][]string{{"transfer"}, {"transfer", "--to", "ftp://x"}, {"transfer", "--to", srvB.URL, "extra"}} {
		if code, _, errs := cli(t, as(home, args...)...); code != 2 || !strings.Contains(errs, "transfer") && !strings.Contains(errs, "URL") {
			t.Errorf("blindvault %s: exit %d, %q; want a usage error", strings.Join(args, " "), code, errs)
		}
	}
	if code, _, errs := cli(t, as(home, "transfer", "--to", srvA.URL)...); code == 0 || !strings.Contains(errs, "already on") {
		t.Errorf("transfer to the same server: exit %d, %q", code, errs)
	}

	out := mustCLI(t, as(home, "transfer", "--to", srvB.URL)...)
	moved := home + "-moved"
	if !strings.Contains(out, "Moved 2 record(s) to "+srvB.URL) || lastLine(out) != moved {
		t.Fatalf("transfer printed %q", out)
	}
	var list []struct{ Title string }
	if err := json.Unmarshal([]byte(mustCLI(t, as(moved, "ls", "--json")...)), &list); err != nil || len(list) != 2 {
		t.Fatalf("ls on the new server = %+v, %v; want 2 records", list, err)
	}
	got := filepath.Join(dir, "got.txt")
	mustCLI(t, as(moved, "get", id, "-o", got)...)
	if b, _ := os.ReadFile(got); string(b) != "blood pressure 118/79" {
		t.Errorf("get on the new server = %q", b)
	}
	if code, _, errs := cli(t, as(home, "ls")...); code != 0 || !strings.Contains(errs, "moved its records to "+srvB.URL) {
		t.Errorf("ls on the old server: exit %d, stderr %q; want the moved pointer", code, errs)
	}
	var rep struct{ Records, Versions int }
	if err := json.Unmarshal([]byte(mustCLI(t, as(home, "transfer", "--to", srvB.URL, "--json")...)), &rep); err != nil ||
		rep.Records != 2 || rep.Versions != 0 {
		t.Errorf("transfer again = %+v, %v; want 2 records, nothing uploaded", rep, err)
	}
}

// twoServers starts two servers, and returns them with a directory for the
// profiles and a passphrase file in it.
func twoServers(t *testing.T) (srvA, srvB *servertest.Server, dir, pass string) {
	t.Helper()
	srvA, srvB = servertest.Start(t, server.Config{}), servertest.Start(t, server.Config{})
	dir = t.TempDir()
	pass = filepath.Join(dir, "pass")
	if err := os.WriteFile(pass, []byte("correct horse battery staple 42\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return srvA, srvB, dir, pass
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// TestTransfer_PendingReaderResume: a patient moves before her clinician;
// transfer names him as pending with his fingerprint, and transfer --resume
// with the new profile grants him once he moved, after which he reads there.
func TestTransfer_PendingReaderResume(t *testing.T) {
	srvA, srvB, dir, pass := twoServers(t)
	as := func(who string, args ...string) []string {
		return append(args, "--home", filepath.Join(dir, who), "--passphrase-file", pass)
	}
	inviteOn := func(admin, url, boot string) string {
		mustCLI(t, as(admin, "register", "--server", url, "--name", admin, "--role", "admin", "--invite", boot)...)
		return lastLine(mustCLI(t, as(admin, "admin", "invite", "--role", "clinician")...))
	}
	mustCLI(t, as("jones", "register", "--server", srvA.URL, "--name", "dr-jones", "--role", "clinician",
		"--invite", inviteOn("admin-a", srvA.URL, srvA.AdminInvite))...)
	mustCLI(t, as("alice", "register", "--server", srvA.URL, "--name", "alice")...)
	note := filepath.Join(dir, "note.txt")
	os.WriteFile(note, []byte("blood pressure 120/80"), 0o600)
	id := lastLine(mustCLI(t, as("alice", "put", note, "--title", "bp")...))
	mustCLI(t, as("alice", "share", id, "--with", "dr-jones")...)
	var me struct{ Fingerprint string }
	if err := json.Unmarshal([]byte(mustCLI(t, as("jones", "whoami", "--json")...)), &me); err != nil {
		t.Fatal(err)
	}

	out := mustCLI(t, as("alice", "transfer", "--to", srvB.URL)...)
	if !strings.Contains(out, "Moved 1 record(s)") || !strings.Contains(out, "dr-jones ("+me.Fingerprint+"): 1 record(s)") {
		t.Fatalf("transfer printed %q; want dr-jones pending with his fingerprint", out)
	}
	moved := "alice-moved"
	var res struct {
		Grants  int
		Pending []struct{ Name string }
	}
	if err := json.Unmarshal([]byte(mustCLI(t, as(moved, "transfer", "--resume", "--json")...)), &res); err != nil ||
		res.Grants != 0 || len(res.Pending) != 1 || res.Pending[0].Name != "dr-jones" {
		t.Fatalf("transfer --resume before he moved = %+v, %v", res, err)
	}
	if code, _, errs := cli(t, as(moved, "transfer", "--resume", "--to", srvB.URL)...); code != 2 {
		t.Errorf("transfer --resume --to: exit %d, %q; want a usage error", code, errs)
	}
	mustCLI(t, as("jones", "transfer", "--to", srvB.URL, "--invite", inviteOn("admin-b", srvB.URL, srvB.AdminInvite))...)
	if out := mustCLI(t, as(moved, "transfer", "--resume")...); !strings.Contains(out, "1 grant(s) sealed") {
		t.Fatalf("transfer --resume printed %q", out)
	}
	got := filepath.Join(dir, "got.txt")
	mustCLI(t, as("jones-moved", "get", id, "-o", got)...)
	if b, _ := os.ReadFile(got); string(b) != "blood pressure 120/80" {
		t.Errorf("clinician get on the new server = %q", b)
	}
}
