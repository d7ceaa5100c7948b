package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TestOnline_MFAAndDevices enrols a TOTP factor through the built binary and
// logs in on a new device with it, without it (refused, with the way out
// named), and with the recovery code; then lists the devices and revokes one.
func TestOnline_MFAAndDevices(t *testing.T) {
	bin := buildCLI(t)
	url, _ := startServeBinary(t, bin)
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
	home := []string{"--home", p("laptop"), "--passphrase-file", p("pass")}

	if out := r.must(append([]string{"mfa", "ls"}, home...)...); !strings.Contains(out, "No second factor") {
		t.Fatalf("mfa ls before enrolment = %q", out)
	}
	code, out, errs := r.run(nil, append([]string{"mfa", "enroll", "totp"}, home...)...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	uri := lines[len(lines)-1]
	key, err := otp.NewKeyFromURL(uri)
	if code != 0 || err != nil || key.Type() != "totp" || !strings.Contains(errs, "recovery code still restores") {
		t.Fatalf("mfa enroll totp: exit %d, last line %q (%v), stderr %q", code, uri, err, errs)
	}
	r.secrets = append(r.secrets, key.Secret())
	now := time.Now()
	first, _ := totp.GenerateCode(key.Secret(), now)
	if out := r.must(append([]string{"mfa", "confirm", first}, home...)...); !strings.Contains(out, "Second factor on") {
		t.Fatalf("mfa confirm = %q", out)
	}
	if out := r.must(append([]string{"mfa", "ls"}, home...)...); !strings.Contains(out, "totp") || !strings.Contains(out, " on") {
		t.Fatalf("mfa ls after confirmation = %q", out)
	}

	login := func(dev string, extra ...string) (int, string) {
		args := append([]string{"login", "--server", url, "--name", "alice", "--home", p(dev), "--passphrase-file", p("pass")}, extra...)
		code, _, errs := r.run(nil, args...)
		return code, errs
	}
	if code, errs := login("phone"); code == 0 || !strings.Contains(errs, "--otp") || !strings.Contains(errs, "--recovery-code") {
		t.Fatalf("login without --otp: exit %d, %q; want refused, naming --otp and --recovery-code", code, errs)
	}
	if code, errs := login("phone", "--otp", first); code == 0 || !strings.Contains(errs, "already used") {
		t.Fatalf("login with the used code: exit %d, %q; want refused", code, errs)
	}
	next, _ := totp.GenerateCode(key.Secret(), now.Add(30*time.Second))
	if code, errs := login("phone", "--otp", next); code != 0 {
		t.Fatalf("login --otp with a current code: exit %d, %s", code, errs)
	}
	if code, errs := login("tablet", "--recovery-code", reg.RecoveryCode); code != 0 {
		t.Fatalf("login --recovery-code with a second factor on: exit %d, %s", code, errs)
	}

	// The laptop sees three devices and ends the phone's.
	var devs struct{ Devices []deviceView }
	r.mustJSON(&devs, append([]string{"devices"}, home...)...)
	if len(devs.Devices) != 3 {
		t.Fatalf("devices --json = %+v, want 3", devs)
	}
	phoneHome := []string{"--home", p("phone"), "--passphrase-file", p("pass")}
	for _, d := range devs.Devices {
		if d.LastSeen == nil || !d.Certified || d.ID[:8] != d.Name {
			t.Fatalf("device %+v: want seen, certified, named by its id", d)
		}
	}
	out = r.must(append([]string{"devices"}, home...)...)
	if !strings.Contains(out, "(this device)") || !strings.Contains(out, "LAST SEEN") {
		t.Fatalf("devices = %q", out)
	}
	// The phone's device key is in its profile.
	profile, err := os.ReadFile(filepath.Join(p("phone"), "profile.json"))
	if err != nil {
		t.Fatal(err)
	}
	phone := ""
	for _, d := range devs.Devices {
		if strings.Contains(string(profile), d.ID) {
			phone = d.Name
		}
	}
	if out := r.must(append([]string{"devices", "revoke", phone}, home...)...); !strings.Contains(out, "Revoked device "+phone) {
		t.Fatalf("devices revoke %s = %q", phone, out)
	}
	if code, _, errs := r.run(nil, append([]string{"ls"}, phoneHome...)...); code == 0 {
		t.Fatalf("ls on the revoked phone: exit 0, want refused (%s)", errs)
	}
	if code, _, errs := r.run(nil, append([]string{"devices", "revoke", phone}, home...)...); code == 0 || !strings.Contains(errs, "already revoked") {
		t.Fatalf("devices revoke (again): exit %d, %q", code, errs)
	}

	// The laptop's alerts name the new devices and the factor's enrolment,
	// once.
	var alerts struct {
		Alerts []struct{ Kind, Who, Message string }
	}
	r.mustJSON(&alerts, append([]string{"alerts"}, home...)...)
	kinds := map[string]int{}
	for _, a := range alerts.Alerts {
		kinds[a.Kind]++
	}
	if kinds["new-device"] != 2 || kinds["second-factor-change"] != 1 {
		t.Fatalf("alerts --json = %+v, want two new devices and one second-factor change", alerts)
	}
	if out := r.must(append([]string{"alerts"}, home...)...); !strings.Contains(out, "No alerts since the last look") {
		t.Fatalf("alerts (again) = %q", out)
	}
}
