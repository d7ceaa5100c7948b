package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// emergencyCLI is the built binary against a served store, with the
// organisation's admin, the clinician dr-jones, the patient alice and the
// guardians gwen and gus registered.
type emergencyCLI struct {
	r    *bvRunner
	url  string
	dir  string
	home map[string][]string // --home and --passphrase-file of each
}

func newEmergencyCLI(t *testing.T) *emergencyCLI {
	bin := buildCLI(t)
	url, data := startServeBinary(t, bin)
	e := &emergencyCLI{r: newRunner(t, bin), url: url, dir: t.TempDir(), home: map[string][]string{}}
	for name, pass := range map[string]string{"admin": "admin passphrase for the clinic 1", "dr-jones": "tricky clinician passphrase 7",
		"alice": "correct horse battery staple 42", "gwen": "guardian passphrase of gwen 93", "gus": "guardian passphrase of gus 93"} {
		if err := os.WriteFile(e.path(name+".pass"), []byte(pass+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		e.r.secrets = append(e.r.secrets, pass)
		e.home[name] = []string{"--home", e.path(name), "--passphrase-file", e.path(name + ".pass")}
	}
	boot, err := os.ReadFile(filepath.Join(data, "bootstrap-invite"))
	if err != nil {
		t.Fatal(err)
	}
	e.must("admin", "register", "--server", url, "--name", "admin", "--role", "admin", "--invite", strings.TrimSpace(string(boot)))
	var inv struct{ Code string }
	e.r.mustJSON(&inv, e.as("admin", "admin", "invite", "--role", "clinician")...)
	e.must("dr-jones", "register", "--server", url, "--name", "dr-jones", "--role", "clinician", "--invite", inv.Code)
	for _, name := range []string{"alice", "gwen", "gus"} {
		e.must(name, "register", "--server", url, "--name", name)
	}
	return e
}

func (e *emergencyCLI) path(name string) string { return filepath.Join(e.dir, name) }

// as is args run as name.
func (e *emergencyCLI) as(name string, args ...string) []string {
	return append(append([]string(nil), args...), e.home[name]...)
}

func (e *emergencyCLI) must(name string, args ...string) string {
	return e.r.must(e.as(name, args...)...)
}

// put stores body as alice's record and shares it with her emergency key.
func (e *emergencyCLI) put(t *testing.T, body []byte, title string) string {
	if err := os.WriteFile(e.path(title), body, 0o644); err != nil {
		t.Fatal(err)
	}
	var put struct{ ID string }
	e.r.mustJSON(&put, e.as("alice", "put", e.path(title), "--title", title)...)
	e.must("alice", "emergency", "share", put.ID)
	return put.ID
}

// TestOnline_Emergency runs emergency access through the built binary: a
// patient names two guardians (2 of 2, no delay), shares a record with the
// key; a clinician asks; the patient is alerted and sees the request; both
// guardians approve and the clinician opens the record.
func TestOnline_Emergency(t *testing.T) {
	e := newEmergencyCLI(t)
	e.must("alice", "emergency", "setup", "--guardian", "gwen", "--guardian", "gus", "--threshold", "2", "--delay", "0s")
	body := []byte(`{"resourceType":"AllergyIntolerance","code":{"text":"penicillin"}}`)
	id := e.put(t, body, "allergies")

	var req requestView
	e.r.mustJSON(&req, e.as("dr-jones", "emergency", "request", "alice")...)
	if len(req.ID) != 64 || req.Requester != "dr-jones" || req.K != 2 {
		t.Fatalf("emergency request --json = %+v", req)
	}
	if st := e.must("alice", "emergency", "status"); !strings.Contains(st, req.ID) || !strings.Contains(st, "dr-jones") {
		t.Fatalf("owner's emergency status:\n%s", st)
	}
	if al := e.must("alice", "alerts"); !strings.Contains(al, "emergency request by dr-jones") {
		t.Fatalf("owner's alerts:\n%s", al)
	}
	if st := e.must("gwen", "emergency", "status"); !strings.Contains(st, req.ID) || !strings.Contains(st, "holder") {
		t.Fatalf("guardian's emergency status:\n%s", st)
	}
	e.must("gwen", "emergency", "approve", req.ID)
	if code, _, _ := e.r.run(nil, e.as("dr-jones", "emergency", "open", req.ID, "--out", e.path("early"))...); code == 0 {
		t.Fatalf("emergency open with 1 of 2 approvals succeeded")
	}
	e.must("gus", "emergency", "approve", req.ID)
	e.must("dr-jones", "emergency", "open", req.ID, "--out", e.path("opened"))
	if got, err := os.ReadFile(filepath.Join(e.path("opened"), id)); err != nil || string(got) != string(body) {
		t.Fatalf("opened record = %q, %v", got, err)
	}
}

// TestOnline_EmergencyTeam: a care team as the one guardian (1 of 1): a
// member approves for it and the clinician opens; once the team removed a
// member, the patient's status says to set up again.
func TestOnline_EmergencyTeam(t *testing.T) {
	e := newEmergencyCLI(t)
	var me accountView
	e.r.mustJSON(&me, e.as("admin", "whoami")...)
	org := strings.TrimPrefix(e.url, "http://")
	e.must("alice", "trust-org", org, "--admin", "admin", "--fingerprint", me.Fingerprint)
	e.must("admin", "team", "create", "Guardians", "--org", org)
	e.must("admin", "team", "add", "Guardians", "gwen")
	e.must("admin", "team", "add", "Guardians", "gus")

	e.must("alice", "emergency", "setup", "--guardian-team", org+"/Guardians", "--threshold", "1", "--delay", "0s")
	id := e.put(t, []byte("DNR: no"), "directive")
	var req requestView
	e.r.mustJSON(&req, e.as("dr-jones", "emergency", "request", "alice")...)
	if st := e.must("gus", "emergency", "status"); !strings.Contains(st, req.ID) || !strings.Contains(st, "holder") {
		t.Fatalf("team member's emergency status:\n%s", st)
	}
	e.must("gus", "emergency", "approve", req.ID)
	e.must("dr-jones", "emergency", "open", req.ID, "--out", e.path("opened"))
	if got, err := os.ReadFile(filepath.Join(e.path("opened"), id)); err != nil || string(got) != "DNR: no" {
		t.Fatalf("opened record = %q, %v", got, err)
	}
	e.must("admin", "team", "remove", "Guardians", "gus")
	if st := e.must("alice", "emergency", "status"); !strings.Contains(st, "rotated its key since set-up") ||
		!strings.Contains(st, "set up emergency access again") {
		t.Fatalf("owner's emergency status after a team removal:\n%s", st)
	}
}
