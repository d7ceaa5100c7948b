package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// buildCLI builds the blindvault binary into a temporary directory.
func buildCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "blindvault")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// bvRunner runs the built binary with a clean environment and checks that no
// secret it knows of ever appears in an output.
type bvRunner struct {
	t       *testing.T
	bin     string
	env     []string
	secrets []string
}

func newRunner(t *testing.T, bin string) *bvRunner {
	env := []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}
	return &bvRunner{t: t, bin: bin, env: env}
}

// run runs one command and returns its exit code, stdout and stderr.
func (r *bvRunner) run(env []string, args ...string) (int, string, string) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.bin, args...)
	cmd.Env = append(append([]string(nil), r.env...), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		r.t.Fatalf("blindvault %s: %v", strings.Join(args, " "), err)
	}
	for _, s := range r.secrets {
		if strings.Contains(out.String(), s) || strings.Contains(errb.String(), s) {
			r.t.Fatalf("blindvault %s printed a secret", strings.Join(args, " "))
		}
	}
	return code, out.String(), errb.String()
}

func (r *bvRunner) must(args ...string) string {
	r.t.Helper()
	code, out, errs := r.run(nil, args...)
	if code != 0 {
		r.t.Fatalf("blindvault %s: exit %d\n%s", strings.Join(args, " "), code, errs)
	}
	return out
}

func (r *bvRunner) mustJSON(v any, args ...string) {
	r.t.Helper()
	out := r.must(append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		r.t.Fatalf("blindvault %s --json: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// startServeBinary runs "blindvault serve" on a loopback port until the test
// ends and returns its URL and data directory.
func startServeBinary(t *testing.T, bin string, extra ...string) (string, string) {
	t.Helper()
	data := filepath.Join(t.TempDir(), "data")
	cmd := exec.Command(bin, append([]string{"serve", "--data", data, "--addr", "127.0.0.1:0", "--insecure-http"}, extra...)...)
	var errb syncBuffer
	cmd.Stdout, cmd.Stderr = &errb, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("serve after interrupt: %v\n%s", err, errb.String())
			}
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			t.Errorf("serve did not shut down")
		}
	})
	re := regexp.MustCompile(`listening on (http://\S+)`)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(errb.String()); m != nil {
			return m[1], data
		}
		select {
		case err := <-exited:
			t.Fatalf("serve exited: %v\n%s", err, errb.String())
		default:
		}
	}
	t.Fatalf("serve did not start: %s", errb.String())
	return "", ""
}

// TestOnline_Story runs the whole online story through the built binary: an
// admin, a clinician with an invite, a patient who signs up, trusts the
// organisation, stores, shares, revokes and deletes; a second device; a wrong
// passphrase; a service account restored with its recovery code.
func TestOnline_Story(t *testing.T) {
	start := time.Now()
	bin := buildCLI(t)
	url, data := startServeBinary(t, bin)
	r := newRunner(t, bin)
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	secret := func(name, pass string) string {
		if err := os.WriteFile(p(name), []byte(pass+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		r.secrets = append(r.secrets, pass)
		return p(name)
	}
	adminPass := secret("admin.pass", "admin passphrase for the clinic 1")
	clinPass := secret("clin.pass", "tricky clinician passphrase 7")
	patPass := secret("pat.pass", "correct horse battery staple 42")
	wrongPass := secret("wrong.pass", "not the passphrase at all 9")
	admin := []string{"--home", p("admin"), "--passphrase-file", adminPass}
	clin := []string{"--home", p("clin"), "--passphrase-file", clinPass}
	pat := []string{"--home", p("pat"), "--passphrase-file", patPass}
	with := func(args []string, who []string) []string { return append(append([]string(nil), args...), who...) }

	// The first admin registers with the server's bootstrap invite.
	boot, err := os.ReadFile(filepath.Join(data, "bootstrap-invite"))
	if err != nil {
		t.Fatal(err)
	}
	out := r.must(with([]string{"register", "--server", url, "--name", "admin", "--role", "admin",
		"--invite", strings.TrimSpace(string(boot))}, admin)...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !strings.Contains(out, "shown once") || !regexp.MustCompile(`^[A-Z2-7]{4}(-[A-Z2-7]{4})+$`).MatchString(lines[len(lines)-1]) {
		t.Fatalf("register output lacks the recovery code alone on the last line, or the once-only warning:\n%s", out)
	}
	if st, err := os.Stat(filepath.Join(p("admin"), "keys")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("profile keys: %v, mode %v; want 0600", err, st)
	}
	var me accountView
	r.mustJSON(&me, with([]string{"whoami"}, admin)...)
	if me.Handle != "admin" || me.Role != "admin" || me.Server != url || me.Fingerprint == "" {
		t.Fatalf("whoami = %+v", me)
	}

	// An invite for the clinician, who registers with it.
	var inv struct{ Code string }
	r.mustJSON(&inv, with([]string{"admin", "invite", "--role", "clinician"}, admin)...)
	if inv.Code == "" {
		t.Fatalf("admin invite --json gave no code")
	}
	r.must(with([]string{"register", "--server", url, "--name", "dr-jones", "--role", "clinician", "--invite", inv.Code}, clin)...)

	// The patient signs up alone, through BLINDVAULT_HOME and _PASSPHRASE_FILE,
	// pinning the log key the server printed (it is in DATA/log-key). Another
	// key is refused before anything is stored.
	keyFile, err := os.ReadFile(filepath.Join(data, "log-key"))
	if err != nil {
		t.Fatal(err)
	}
	logKey := strings.Fields(string(keyFile))[1]
	wrongKey := strings.Replace(logKey, logKey[len(logKey)-8:], "AAAAAAA=", 1)
	if code, _, errs := r.run([]string{"BLINDVAULT_HOME=" + p("mallory"), "BLINDVAULT_PASSPHRASE_FILE=" + patPass},
		"register", "--server", url, "--name", "mallory", "--log-key", wrongKey); code != 1 || !strings.Contains(errs, "log key") {
		t.Fatalf("register with another log key pinned: exit %d, %s", code, errs)
	}
	if _, err := os.Stat(p("mallory")); !os.IsNotExist(err) {
		t.Fatalf("register with another log key left a profile behind (%v)", err)
	}
	var reg accountView
	code, out, errs := r.run([]string{"BLINDVAULT_HOME=" + p("pat"), "BLINDVAULT_PASSPHRASE_FILE=" + patPass},
		"register", "--server", url, "--name", "alice", "--json", "--log-key", logKey)
	if code != 0 || json.Unmarshal([]byte(out), &reg) != nil || reg.RecoveryCode == "" || reg.Role != "patient" {
		t.Fatalf("patient register: exit %d, %s\n%s", code, out, errs)
	}

	// The patient trusts the organisation's admin; the admin attests the
	// clinician for the default organisation, the server's host.
	org := strings.TrimPrefix(url, "http://")
	r.must(with([]string{"trust-org", org, "--admin", "admin", "--fingerprint", me.Fingerprint}, pat)...)
	r.must(with([]string{"admin", "attest", "dr-jones", "--role", "clinician"}, admin)...)

	// Two records: a FHIR resource and a 2 MB document.
	obs := []byte(`{"resourceType":"Observation","status":"final","code":{"text":"HbA1c"},"valueQuantity":{"value":6.1,"unit":"%"}}`)
	doc := make([]byte, 2<<20+123)
	rand.Read(doc)
	os.WriteFile(p("obs.json"), obs, 0o644)
	os.WriteFile(p("letter.pdf"), doc, 0o644)
	out = r.must(with([]string{"put", p("obs.json"), "--type", "Observation", "--title", "HbA1c 2026-11", "--tag", "lab"}, pat)...)
	lines = strings.Split(strings.TrimSpace(out), "\n")
	obsID := lines[len(lines)-1]
	var put struct{ ID string }
	r.mustJSON(&put, with([]string{"put", p("letter.pdf"), "--title", "discharge letter", "--type", "application/pdf"}, pat)...)
	docID := put.ID
	if len(obsID) != 64 || len(docID) != 64 {
		t.Fatalf("put printed ids %q and %q", obsID, docID)
	}
	var list []recordView
	r.mustJSON(&list, with([]string{"ls"}, pat)...)
	titles := map[string]string{}
	for _, v := range list {
		titles[v.ID] = v.Title
	}
	if len(list) != 2 || titles[obsID] != "HbA1c 2026-11" || titles[docID] != "discharge letter" {
		t.Fatalf("ls --json = %+v", list)
	}
	if table := r.must(with([]string{"ls"}, pat)...); !strings.Contains(table, "HbA1c 2026-11") || !strings.Contains(table, "OWNER") {
		t.Fatalf("ls table:\n%s", table)
	}

	// Sharing shows the clinician as verified by the trusted organisation.
	code, out, errs = r.run(nil, with([]string{"share", docID, "--with", "dr-jones"}, pat)...)
	if code != 0 || !strings.Contains(out, "verified clinician of "+org) || !strings.Contains(errs, "first contact") {
		t.Fatalf("share: exit %d\n%s\n%s", code, out, errs)
	}
	var sh struct{ Recipient, Fingerprint, Status string }
	r.mustJSON(&sh, with([]string{"share", obsID, "--with", "dr-jones", "--role", "clinician"}, pat)...)
	if sh.Recipient != "dr-jones" || sh.Status != "verified clinician of "+org || sh.Fingerprint == "" {
		t.Fatalf("share --json = %+v", sh)
	}

	// Who can read it now: the patient and the verified clinician.
	readers := r.must(with([]string{"readers", obsID}, pat)...)
	if !strings.Contains(readers, "dr-jones") || !strings.Contains(readers, sh.Fingerprint) ||
		!strings.Contains(readers, "verified clinician of "+org) || !strings.Contains(readers, "owner") {
		t.Fatalf("readers of the shared record:\n%s", readers)
	}

	// A care team of the organisation, with the clinician as its member: the
	// patient shares with the team as verified, and sees it among the readers.
	r.must(with([]string{"team", "create", "Cardiology", "--org", org}, admin)...)
	r.must(with([]string{"team", "add", "Cardiology", "dr-jones"}, admin)...)
	out = r.must(with([]string{"share", obsID, "--team", org + "/Cardiology"}, pat)...)
	if !strings.Contains(out, "verified care team Cardiology of "+org+", 1 member") || !strings.Contains(out, "dr-jones") {
		t.Fatalf("share --team:\n%s", out)
	}
	var teams struct {
		Teams []teamView `json:"teams"`
	}
	r.mustJSON(&teams, with([]string{"team", "ls"}, clin)...)
	if len(teams.Teams) != 1 || teams.Teams[0].Name != "Cardiology" || !teams.Teams[0].Verified && teams.Teams[0].Org != org {
		t.Fatalf("member's team ls --json = %+v", teams)
	}
	if readers := r.must(with([]string{"readers", obsID}, pat)...); !strings.Contains(readers, "team Cardiology") {
		t.Fatalf("readers after share --team:\n%s", readers)
	}
	r.must(with([]string{"revoke", obsID, "--team", org + "/Cardiology"}, pat)...)

	// A collection of lab results, shared with the team once: a lab result
	// written later is in it, and the team's member reads it.
	r.must(with([]string{"collection", "create", "Labs", "--type", "Observation"}, pat)...)
	r.must(with([]string{"collection", "share", "Labs", "--team", org + "/Cardiology"}, pat)...)
	out = r.must(with([]string{"put", p("obs.json"), "--type", "Observation", "--title", "HbA1c 2026-12"}, pat)...)
	lines = strings.Split(strings.TrimSpace(out), "\n")
	resultID := lines[len(lines)-1]
	if got := r.must(with([]string{"get", resultID}, clin)...); got != string(obs) {
		t.Fatalf("team member get of a collection record = %q", got)
	}
	if ls := r.must(with([]string{"collection", "ls"}, pat)...); !strings.Contains(ls, "Labs") || !strings.Contains(ls, "type Observation") {
		t.Fatalf("collection ls:\n%s", ls)
	}
	r.must(with([]string{"rm", resultID}, pat)...)

	// A restricted record joins no collection, and a person only when confirmed.
	r.must(with([]string{"restrict", obsID}, pat)...)
	if code, _, errs := r.run(nil, with([]string{"collection", "add", "Labs", obsID}, pat)...); code != 1 || !strings.Contains(errs, "restricted") {
		t.Fatalf("collection add of a restricted record: exit %d, %s", code, errs)
	}
	if code, _, errs := r.run(nil, with([]string{"share", obsID, "--with", "dr-jones"}, pat)...); code != 1 || !strings.Contains(errs, "--confirm-restricted") {
		t.Fatalf("share of a restricted record: exit %d, %s", code, errs)
	}
	r.must(with([]string{"unrestrict", obsID}, pat)...)
	if code, _, errs := r.run(nil, with([]string{"share", obsID, "--team", "Elsewhere/Cardiology"}, pat)...); code != 1 || !strings.Contains(errs, "trust") {
		t.Fatalf("share --team of an untrusted organisation: exit %d, %s", code, errs)
	}

	// The clinician reads both: same bytes, to a file and to stdout.
	r.must(with([]string{"get", docID, "-o", p("doc.out")}, clin)...)
	if got, _ := os.ReadFile(p("doc.out")); !bytes.Equal(got, doc) {
		t.Fatalf("clinician get -o: %d bytes, differ from the %d put", len(got), len(doc))
	}
	if got := r.must(with([]string{"get", obsID}, clin)...); got != string(obs) {
		t.Fatalf("clinician get to stdout = %q", got)
	}

	// The patient's audit names the clinician's reads, from the verified log.
	audit := r.must(with([]string{"audit", docID}, pat)...)
	if !strings.Contains(audit, "body read") || !strings.Contains(audit, "dr-jones") || !strings.Contains(audit, "grant created") {
		t.Fatalf("audit of the shared record lacks dr-jones's read or the share:\n%s", audit)
	}
	if out := r.must(with([]string{"log", "verify"}, pat)...); !strings.Contains(out, "OK") {
		t.Fatalf("log verify:\n%s", out)
	}
	// The patient exports everything, decrypted and verified.
	r.must(with([]string{"export", p("export")}, pat)...)
	if got, err := os.ReadFile(filepath.Join(p("export"), docID)); err != nil || !bytes.Equal(got, doc) {
		t.Fatalf("export of the document: %d bytes, %v", len(got), err)
	}
	if idx, err := os.ReadFile(filepath.Join(p("export"), "index.json")); err != nil || !strings.Contains(string(idx), "HbA1c 2026-11") {
		t.Fatalf("export index: %s, %v", idx, err)
	}

	// Revoked: the clinician's get fails clearly and creates no file.
	r.must(with([]string{"revoke", docID, "--from", "dr-jones"}, pat)...)
	code, _, errs = r.run(nil, with([]string{"get", docID, "-o", p("doc.revoked")}, clin)...)
	if code != 1 || !strings.Contains(errs, "revoked") {
		t.Fatalf("clinician get after revoke: exit %d, %q; want exit 1 and a revocation message", code, errs)
	}
	if _, err := os.Stat(p("doc.revoked")); !os.IsNotExist(err) {
		t.Fatalf("get after revoke created its -o file (%v)", err)
	}

	// Deleted: gone from the patient's list.
	r.must(with([]string{"rm", docID}, pat)...)
	r.mustJSON(&list, with([]string{"ls"}, pat)...)
	if len(list) != 1 || list[0].ID != obsID {
		t.Fatalf("ls after rm = %+v", list)
	}

	// A second device logs in with the passphrase and reads.
	laptop := []string{"--home", p("laptop"), "--passphrase-file", patPass}
	r.must(with([]string{"login", "--server", url, "--name", "alice"}, laptop)...)
	if got := r.must(with([]string{"get", obsID}, laptop)...); got != string(obs) {
		t.Fatalf("get on the second device = %q", got)
	}

	// A wrong passphrase: exit 1, said plainly, and no profile left behind.
	code, _, errs = r.run(nil, "login", "--server", url, "--name", "alice", "--home", p("wrong"), "--passphrase-file", wrongPass)
	if code != 1 || !strings.Contains(errs, "wrong passphrase") {
		t.Fatalf("login with a wrong passphrase: exit %d, %q", code, errs)
	}
	if _, err := os.Stat(p("wrong")); !os.IsNotExist(err) {
		t.Fatalf("a failed login left a profile directory (%v)", err)
	}
	code, _, errs = r.run(nil, "ls", "--home", p("pat"), "--passphrase-file", wrongPass)
	if code != 1 || !strings.Contains(errs, "wrong passphrase") {
		t.Fatalf("ls with a wrong passphrase: exit %d, %q", code, errs)
	}

	// A service account has no passphrase; its recovery code restores it.
	r.mustJSON(&inv, with([]string{"admin", "invite", "--role", "service"}, admin)...)
	out = r.must("register", "--server", url, "--name", "lab", "--role", "service", "--invite", inv.Code, "--home", p("lab"))
	lines = strings.Split(strings.TrimSpace(out), "\n")
	os.WriteFile(p("lab.code"), []byte(lines[len(lines)-1]+"\n"), 0o600)
	labID := strings.TrimSpace(r.must("put", "--home", p("lab"), p("obs.json")))
	r.must("login", "--server", url, "--name", "lab", "--home", p("lab2"), "--recovery-code-file", p("lab.code"), "--no-passphrase")
	if got := r.must("get", labID, "--home", p("lab2")); got != string(obs) {
		t.Fatalf("service account restored with its recovery code reads %q", got)
	}

	// How long it takes is a benchmark's question on this shared machine,
	// not a test's; the log keeps it for whoever wonders.
	t.Logf("the story took %v", time.Since(start))
}

// TestOnline_Usage checks mistakes that need no server.
func TestOnline_Usage(t *testing.T) {
	home := t.TempDir()
	t.Setenv("BLINDVAULT_HOME", home)
	t.Setenv("BLINDVAULT_PASSPHRASE_FILE", "")
	for _, args := range [][]string{
		{"register", "--name", "x"},
		{"register", "--server", "ftp://x", "--name", "x"},
		{"register", "--server", "http://127.0.0.1:1", "--name", "x", "--role", "root"},
		{"register", "--server", "http://127.0.0.1:1", "--name", "x", "--role", "service", "--passphrase-file", "f"},
		{"login", "--server", "http://127.0.0.1:1", "--name", "x", "--no-passphrase"},
		{"get"},
		{"get", "not-an-id"},
		{"get", strings.Repeat("ab", 32), "--json"},
		{"share", strings.Repeat("ab", 32)},
		{"admin"},
		{"admin", "nope"},
	} {
		if code, _, errs := cli(t, args...); code != 2 {
			t.Errorf("blindvault %s = exit %d (%s), want 2", strings.Join(args, " "), code, errs)
		}
	}
	code, _, errs := cli(t, "ls")
	if code != 1 || !strings.Contains(errs, "no account in "+home) {
		t.Errorf("ls without an account = exit %d, %q", code, errs)
	}
}
