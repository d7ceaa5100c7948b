package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOnline_Emergency runs emergency access through the built binary: a
// patient names two guardians (2 of 2, no delay), shares a record with the
// key; a clinician asks; the patient is alerted and sees the request; both
// guardians approve and the clinician opens the record.
func TestOnline_Emergency(t *testing.T) {
	bin := buildCLI(t)
	url, data := startServeBinary(t, bin)
	r := newRunner(t, bin)
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	who := func(name, pass string) []string {
		if err := os.WriteFile(p(name+".pass"), []byte(pass+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		r.secrets = append(r.secrets, pass)
		return []string{"--home", p(name), "--passphrase-file", p(name + ".pass")}
	}
	with := func(args []string, who []string) []string { return append(append([]string(nil), args...), who...) }
	admin := who("admin", "admin passphrase for the clinic 1")
	clin := who("clin", "tricky clinician passphrase 7")
	pat := who("pat", "correct horse battery staple 42")
	gwen := who("gwen", "guardian passphrase of gwen 93")
	gus := who("gus", "guardian passphrase of gus 93")

	boot, err := os.ReadFile(filepath.Join(data, "bootstrap-invite"))
	if err != nil {
		t.Fatal(err)
	}
	r.must(with([]string{"register", "--server", url, "--name", "admin", "--role", "admin", "--invite", strings.TrimSpace(string(boot))}, admin)...)
	var inv struct{ Code string }
	r.mustJSON(&inv, with([]string{"admin", "invite", "--role", "clinician"}, admin)...)
	r.must(with([]string{"register", "--server", url, "--name", "dr-jones", "--role", "clinician", "--invite", inv.Code}, clin)...)
	r.must(with([]string{"register", "--server", url, "--name", "alice"}, pat)...)
	r.must(with([]string{"register", "--server", url, "--name", "gwen"}, gwen)...)
	r.must(with([]string{"register", "--server", url, "--name", "gus"}, gus)...)

	r.must(with([]string{"emergency", "setup", "--guardian", "gwen", "--guardian", "gus", "--threshold", "2", "--delay", "0s"}, pat)...)
	body := []byte(`{"resourceType":"AllergyIntolerance","code":{"text":"penicillin"}}`)
	os.WriteFile(p("allergy.json"), body, 0o644)
	var put struct{ ID string }
	r.mustJSON(&put, with([]string{"put", p("allergy.json"), "--title", "allergies"}, pat)...)
	r.must(with([]string{"emergency", "share", put.ID}, pat)...)

	var req requestView
	r.mustJSON(&req, with([]string{"emergency", "request", "alice"}, clin)...)
	if len(req.ID) != 64 || req.Requester != "dr-jones" || req.K != 2 {
		t.Fatalf("emergency request --json = %+v", req)
	}
	if st := r.must(with([]string{"emergency", "status"}, pat)...); !strings.Contains(st, req.ID) || !strings.Contains(st, "dr-jones") {
		t.Fatalf("owner's emergency status:\n%s", st)
	}
	if al := r.must(with([]string{"alerts"}, pat)...); !strings.Contains(al, "emergency request by dr-jones") {
		t.Fatalf("owner's alerts:\n%s", al)
	}
	if st := r.must(with([]string{"emergency", "status"}, gwen)...); !strings.Contains(st, req.ID) || !strings.Contains(st, "holder") {
		t.Fatalf("guardian's emergency status:\n%s", st)
	}
	r.must(with([]string{"emergency", "approve", req.ID}, gwen)...)
	if code, _, _ := r.run(nil, with([]string{"emergency", "open", req.ID, "--out", p("early")}, clin)...); code == 0 {
		t.Fatalf("emergency open with 1 of 2 approvals succeeded")
	}
	r.must(with([]string{"emergency", "approve", req.ID}, gus)...)
	r.must(with([]string{"emergency", "open", req.ID, "--out", p("opened")}, clin)...)
	if got, err := os.ReadFile(filepath.Join(p("opened"), put.ID)); err != nil || string(got) != string(body) {
		t.Fatalf("opened record = %q, %v", got, err)
	}
}

// TestOnline_EmergencyTeam: a care team as the one guardian (1 of 1): a
// member approves for it and the clinician opens; once the team removed a
// member, the patient's status says to set up again.
func TestOnline_EmergencyTeam(t *testing.T) {
	bin := buildCLI(t)
	url, data := startServeBinary(t, bin)
	r := newRunner(t, bin)
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	who := func(name, pass string) []string {
		if err := os.WriteFile(p(name+".pass"), []byte(pass+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		r.secrets = append(r.secrets, pass)
		return []string{"--home", p(name), "--passphrase-file", p(name + ".pass")}
	}
	with := func(args []string, who []string) []string { return append(append([]string(nil), args...), who...) }
	admin := who("admin", "admin passphrase for the clinic 1")
	clin := who("clin", "tricky clinician passphrase 7")
	pat := who("pat", "correct horse battery staple 42")
	gwen := who("gwen", "guardian passphrase of gwen 93")
	gus := who("gus", "guardian passphrase of gus 93")
	boot, err := os.ReadFile(filepath.Join(data, "bootstrap-invite"))
	if err != nil {
		t.Fatal(err)
	}
	r.must(with([]string{"register", "--server", url, "--name", "admin", "--role", "admin", "--invite", strings.TrimSpace(string(boot))}, admin)...)
	var inv struct{ Code string }
	r.mustJSON(&inv, with([]string{"admin", "invite", "--role", "clinician"}, admin)...)
	r.must(with([]string{"register", "--server", url, "--name", "dr-jones", "--role", "clinician", "--invite", inv.Code}, clin)...)
	for name, w := range map[string][]string{"alice": pat, "gwen": gwen, "gus": gus} {
		r.must(with([]string{"register", "--server", url, "--name", name}, w)...)
	}
	var me accountView
	r.mustJSON(&me, with([]string{"whoami"}, admin)...)
	org := strings.TrimPrefix(url, "http://")
	r.must(with([]string{"trust-org", org, "--admin", "admin", "--fingerprint", me.Fingerprint}, pat)...)
	r.must(with([]string{"team", "create", "Guardians", "--org", org}, admin)...)
	r.must(with([]string{"team", "add", "Guardians", "gwen"}, admin)...)
	r.must(with([]string{"team", "add", "Guardians", "gus"}, admin)...)

	r.must(with([]string{"emergency", "setup", "--guardian-team", org + "/Guardians", "--threshold", "1", "--delay", "0s"}, pat)...)
	os.WriteFile(p("note.txt"), []byte("DNR: no"), 0o644)
	var put struct{ ID string }
	r.mustJSON(&put, with([]string{"put", p("note.txt"), "--title", "directive"}, pat)...)
	r.must(with([]string{"emergency", "share", put.ID}, pat)...)
	var req requestView
	r.mustJSON(&req, with([]string{"emergency", "request", "alice"}, clin)...)
	if st := r.must(with([]string{"emergency", "status"}, gus)...); !strings.Contains(st, req.ID) || !strings.Contains(st, "holder") {
		t.Fatalf("team member's emergency status:\n%s", st)
	}
	r.must(with([]string{"emergency", "approve", req.ID}, gus)...)
	r.must(with([]string{"emergency", "open", req.ID, "--out", p("opened")}, clin)...)
	if got, err := os.ReadFile(filepath.Join(p("opened"), put.ID)); err != nil || string(got) != "DNR: no" {
		t.Fatalf("opened record = %q, %v", got, err)
	}
	r.must(with([]string{"team", "remove", "Guardians", "gus"}, admin)...)
	if st := r.must(with([]string{"emergency", "status"}, pat)...); !strings.Contains(st, "rotated its key since set-up") ||
		!strings.Contains(st, "set up emergency access again") {
		t.Fatalf("owner's emergency status after a team removal:\n%s", st)
	}
}
