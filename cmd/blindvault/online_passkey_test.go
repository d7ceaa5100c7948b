package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blindvault/blindvault/internal/webauthntest"
	"github.com/blindvault/blindvault/sdk"
)

// TestOnline_MFAPasskeys: a passkey enrolled (as the portal would, here
// through the SDK with a software authenticator) is listed by `mfa ls`,
// `mfa enroll passkey` points to the portal, and `mfa remove passkey ID`
// removes it with the recovery code.
func TestOnline_MFAPasskeys(t *testing.T) {
	const origin = "https://vault.example"
	bin := buildCLI(t)
	url, _ := startServeBinary(t, bin, "--webauthn-origin", origin)
	r := newRunner(t, bin)
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	pass := "correct horse battery staple 42"
	if err := os.WriteFile(p("pass"), []byte(pass+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r.secrets = append(r.secrets, pass)
	var reg accountView
	r.mustJSON(&reg, "register", "--server", url, "--name", "alice", "--home", p("laptop"), "--passphrase-file", p("pass"))
	if err := os.WriteFile(p("recovery"), []byte(reg.RecoveryCode+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r.secrets = append(r.secrets, reg.RecoveryCode)
	home := []string{"--home", p("laptop"), "--passphrase-file", p("pass")}

	if code, _, errs := r.run(nil, append([]string{"mfa", "enroll", "passkey"}, home...)...); code == 0 || !strings.Contains(errs, "portal") {
		t.Fatalf("mfa enroll passkey: exit %d, %q; want refused, naming the portal", code, errs)
	}

	ctx := t.Context()
	c, err := sdk.Connect(ctx, sdk.Config{Server: url})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Login(ctx, &sdk.LoginOptions{Handle: "alice", Passphrase: []byte(pass)}); err != nil {
		t.Fatal(err)
	}
	key := webauthntest.NewPasskey(origin)
	create := func(_ context.Context, o []byte) ([]byte, error) { return key.Create(o) }
	if err := c.EnrollPasskey(ctx, "work laptop", create, nil, ""); err != nil {
		t.Fatalf("EnrollPasskey() = %v", err)
	}

	var fs struct{ Factors []factorView }
	r.mustJSON(&fs, append([]string{"mfa", "ls"}, home...)...)
	if len(fs.Factors) != 1 || fs.Factors[0].Kind != "passkey" || fs.Factors[0].Name != "work laptop" || fs.Factors[0].ID == "" {
		t.Fatalf("mfa ls --json = %+v, want the passkey", fs)
	}
	id := fs.Factors[0].ID
	if out := r.must(append([]string{"mfa", "ls"}, home...)...); !strings.Contains(out, "passkey") || !strings.Contains(out, id) || !strings.Contains(out, `"work laptop"`) {
		t.Fatalf("mfa ls = %q, want the passkey with its name and id", out)
	}
	if code, _, errs := r.run(nil, append([]string{"mfa", "remove", "passkey", id}, home...)...); code == 0 {
		t.Fatalf("mfa remove passkey without a proof: exit 0, want refused (%s)", errs)
	}
	if out := r.must(append([]string{"mfa", "remove", "passkey", id, "--recovery-code-file", p("recovery")}, home...)...); !strings.Contains(out, "Passkey removed") {
		t.Fatalf("mfa remove passkey --recovery-code-file = %q", out)
	}
	if out := r.must(append([]string{"mfa", "ls"}, home...)...); !strings.Contains(out, "No second factor") {
		t.Fatalf("mfa ls after removal = %q", out)
	}
}
