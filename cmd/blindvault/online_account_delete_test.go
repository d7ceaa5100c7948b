package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/servertest"
)

func TestConfirmDeletion_TypedHandle(t *testing.T) {
	keepConfirmInput(t)
	var out, errb strings.Builder
	s := stdio{&out, &errb}
	confirmInput = strings.NewReader("alice\n")
	if err := confirmDeletion(s, "alice"); err != nil {
		t.Fatalf("confirmDeletion(typed alice) = %v, want nil", err)
	}
	for _, typed := range []string{"", "alic\n", "bob\n", "yes\n"} {
		confirmInput = strings.NewReader(typed)
		if err := confirmDeletion(s, "alice"); err == nil {
			t.Fatalf("confirmDeletion(typed %q) = nil, want a refusal", typed)
		}
	}
}

// TestAccount_DeleteRestorePurge runs account deletion through the CLI
// against a real server: refused without a confirmation, scheduled with
// --yes (the profile is removed), restored after a new login, scheduled
// again and purged, after which the handle no longer logs in.
func TestAccount_DeleteRestorePurge(t *testing.T) {
	srv := servertest.Start(t, server.Config{DeletionRetention: server.NoRetention})
	dir := t.TempDir()
	pass := filepath.Join(dir, "pass")
	if err := os.WriteFile(pass, []byte("correct horse battery staple 42\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(dir, "alice")
	as := func(args ...string) []string { return append(args, "--home", home, "--passphrase-file", pass) }
	mustCLI(t, as("register", "--server", srv.URL, "--name", "alice")...)
	note := filepath.Join(dir, "note.txt")
	os.WriteFile(note, []byte("blood pressure 120/80"), 0o600)
	mustCLI(t, as("put", note, "--title", "bp")...)

	keepConfirmInput(t)
	confirmInput = devNull(t)
	if code, _, errs := cli(t, as("account", "delete")...); code == 0 || !strings.Contains(errs, "--yes") {
		t.Fatalf("account delete without a terminal or --yes: exit %d, %s", code, errs)
	}
	mustCLI(t, as("whoami")...)
	out := mustCLI(t, as("account", "delete", "--yes")...)
	if !strings.Contains(out, "scheduled for deletion") || !strings.Contains(out, "account restore") {
		t.Fatalf("account delete --yes printed %q", out)
	}
	if _, err := os.Stat(filepath.Join(home, "keys")); !os.IsNotExist(err) {
		t.Fatalf("profile keys after account delete: %v, want removed", err)
	}
	if code, _, _ := cli(t, as("ls")...); code == 0 {
		t.Fatal("ls after account delete succeeded, want no profile")
	}

	mustCLI(t, as("login", "--server", srv.URL, "--name", "alice")...)
	mustCLI(t, as("account", "restore")...)
	if n, err := srv.API.PurgeDeletedAccounts(context.Background()); err != nil || n != 0 {
		t.Fatalf("PurgeDeletedAccounts() after restore = %d, %v; want 0", n, err)
	}
	var list []struct{ Title string }
	if err := json.Unmarshal([]byte(mustCLI(t, as("ls", "--json")...)), &list); err != nil || len(list) != 1 || list[0].Title != "bp" {
		t.Fatalf("ls after restore = %+v, %v; want the one record", list, err)
	}

	var d struct{ Due string }
	if err := json.Unmarshal([]byte(mustCLI(t, as("account", "delete", "--yes", "--json")...)), &d); err != nil || d.Due == "" {
		t.Fatalf("account delete --json: %+v, %v", d, err)
	}
	if n, err := srv.API.PurgeDeletedAccounts(context.Background()); err != nil || n != 1 {
		t.Fatalf("PurgeDeletedAccounts() = %d, %v; want 1", n, err)
	}
	if code, _, errs := cli(t, as("login", "--server", srv.URL, "--name", "alice")...); code == 0 {
		t.Fatalf("login to a purged account succeeded: %s", errs)
	}
}

// keepConfirmInput puts confirmInput back when the test ends.
func keepConfirmInput(t *testing.T) {
	old := confirmInput
	t.Cleanup(func() { confirmInput = old })
}

func devNull(t *testing.T) *os.File {
	t.Helper()
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}
