package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blindvault/blindvault/internal/fhir/fhirtest"
)

// fhirPeople is a server with an admin, a clinician (dr-jones) and a patient
// (alice), each with a profile directory, for the FHIR tests.
type fhirPeople struct {
	r                *bvRunner
	url              string
	p                func(string) string
	admin, clin, pat []string
}

func newFHIRPeople(t *testing.T) *fhirPeople {
	bin := buildCLI(t)
	url, data := startServeBinary(t, bin)
	r := newRunner(t, bin)
	dir := t.TempDir()
	f := &fhirPeople{r: r, url: url, p: func(n string) string { return filepath.Join(dir, n) }}
	f.admin = f.account(t, "admin", "admin passphrase for the clinic 1")
	f.clin = f.account(t, "clin", "tricky clinician passphrase 7")
	f.pat = f.account(t, "pat", "correct horse battery staple 42")
	boot, err := os.ReadFile(filepath.Join(data, "bootstrap-invite"))
	if err != nil {
		t.Fatal(err)
	}
	r.must(append([]string{"register", "--server", url, "--name", "admin", "--role", "admin", "--invite", strings.TrimSpace(string(boot))}, f.admin...)...)
	var inv struct{ Code string }
	r.mustJSON(&inv, append([]string{"admin", "invite", "--role", "clinician"}, f.admin...)...)
	r.must(append([]string{"register", "--server", url, "--name", "dr-jones", "--role", "clinician", "--invite", inv.Code}, f.clin...)...)
	r.must(append([]string{"register", "--server", url, "--name", "alice"}, f.pat...)...)
	return f
}

// account makes a profile directory and passphrase file, and returns the
// flags that select them.
func (f *fhirPeople) account(t *testing.T, name, pass string) []string {
	if err := os.WriteFile(f.p(name+".pass"), []byte(pass+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f.r.secrets = append(f.r.secrets, pass)
	return []string{"--home", f.p(name), "--passphrase-file", f.p(name + ".pass")}
}

func (f *fhirPeople) as(who []string, args ...string) []string {
	return append(append([]string(nil), args...), who...)
}

// putFile stores data as a record of who and returns its id.
func (f *fhirPeople) putFile(t *testing.T, who []string, name string, data []byte, flags ...string) string {
	t.Helper()
	if err := os.WriteFile(f.p(name), data, 0o600); err != nil {
		t.Fatal(err)
	}
	var put struct{ ID string }
	f.r.mustJSON(&put, f.as(who, append([]string{"put", f.p(name)}, flags...)...)...)
	return put.ID
}

// bundleEntries reads an exported bundle's resources, keyed by fullUrl.
type bundleDoc struct {
	ResourceType, Type string
	Entry              []struct {
		FullURL  string          `json:"fullUrl"`
		Resource json.RawMessage `json:"resource"`
	}
}

func readBundle(t *testing.T, path string) (*bundleDoc, []byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var b bundleDoc
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &b, data
}

var (
	fhirObs  = []byte(`{"resourceType":"Observation","status":"final","code":{"text":"HbA1c"},"valueQuantity":{"value":6.1,"unit":"%"}}`)
	fhirNote = []byte("Seen today. Continue metformin.\n")
)

func TestExport_FHIR_ValidR4WithProvenance(t *testing.T) {
	f := newFHIRPeople(t)
	f.putFile(t, f.pat, "obs.json", fhirObs, "--type", "Observation", "--title", "HbA1c")
	f.putFile(t, f.pat, "letter.pdf", []byte("%PDF-1.7\nnot a real pdf\n"), "--type", "application/pdf", "--title", "discharge letter", "--tag", "hospital")
	noteID := f.putFile(t, f.clin, "note.txt", fhirNote, "--type", "text/plain", "--title", "visit note")
	f.r.must(f.as(f.clin, "share", noteID, "--with", "alice")...)
	var clinician struct{ Fingerprint string }
	f.r.mustJSON(&clinician, f.as(f.clin, "whoami")...)

	out := f.r.must(f.as(f.pat, "export", "--fhir", f.p("bundle.json"))...)
	if !strings.Contains(out, "Exported 3 records") {
		t.Fatalf("export --fhir printed %q", out)
	}
	if st, err := os.Stat(f.p("bundle.json")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("bundle.json: %v, mode %v; want 0600", err, st)
	}
	b, data := readBundle(t, f.p("bundle.json"))
	if err := fhirtest.Validate(data); err != nil {
		t.Fatalf("export --fhir is not FHIR R4 by the official schema: %v", err)
	}
	var obs, note, noteProv bool
	for _, e := range b.Entry {
		var m map[string]any
		json.Unmarshal(e.Resource, &m)
		switch m["resourceType"] {
		case "Observation":
			obs = bytes.Equal(e.Resource, fhirObs)
		case "Binary":
			if d, _ := base64.StdEncoding.DecodeString(m["data"].(string)); bytes.Equal(d, fhirNote) {
				note = m["contentType"] == "text/plain"
			}
		case "Provenance":
			who, _ := json.Marshal(m["agent"])
			noteProv = noteProv || strings.Contains(string(who), clinician.Fingerprint) && strings.Contains(string(who), "dr-jones")
		}
	}
	if !obs || !note || !noteProv {
		t.Fatalf("bundle: Observation as itself %v, the shared note as a Binary %v, its Provenance naming dr-jones %v\n%s", obs, note, noteProv, data)
	}

	// A directory is not also accepted; an existing file is not overwritten.
	if code, _, errs := f.r.run(nil, f.as(f.pat, "export", "--fhir", f.p("b2.json"), f.p("dir"))...); code != 2 {
		t.Errorf("export --fhir FILE DIR: exit %d, %s; want 2", code, errs)
	}
	if code, _, errs := f.r.run(nil, f.as(f.pat, "export", "--fhir", f.p("bundle.json"))...); code != 1 || !strings.Contains(errs, "already exists") {
		t.Errorf("export --fhir over an existing file: exit %d, %s; want 1, already exists", code, errs)
	}
	if again, _ := os.ReadFile(f.p("bundle.json")); !bytes.Equal(again, data) {
		t.Errorf("export --fhir changed an existing file")
	}
}

func TestImport_FHIR_RoundTripAndRefusals(t *testing.T) {
	f := newFHIRPeople(t)
	f.putFile(t, f.pat, "obs.json", fhirObs, "--type", "Observation", "--title", "HbA1c")
	f.putFile(t, f.pat, "note.txt", fhirNote, "--type", "text/plain", "--title", "visit note", "--tag", "gp")
	f.r.must(f.as(f.pat, "export", "--fhir", f.p("alice.json"))...)

	// Another patient imports alice's bundle: two records, then none again.
	bob := f.account(t, "bob", "bob's own long passphrase 314")
	f.r.must(append([]string{"register", "--server", f.url, "--name", "bob"}, bob...)...)
	var res struct {
		Imported []recordView
		Skipped  int
	}
	f.r.mustJSON(&res, f.as(bob, "import", f.p("alice.json"))...)
	if len(res.Imported) != 2 || res.Skipped != 0 {
		t.Fatalf("import --json = %+v, want 2 imported", res)
	}
	out := f.r.must(f.as(bob, "import", f.p("alice.json"))...)
	if !strings.Contains(out, "Imported 0 records; 2 already here, skipped.") {
		t.Fatalf("second import printed %q", out)
	}
	f.r.must(f.as(bob, "export", "--fhir", f.p("bob.json"))...)
	_, bobData := readBundle(t, f.p("bob.json"))
	if err := fhirtest.Validate(bobData); err != nil {
		t.Fatalf("bob's export is not R4: %v", err)
	}
	if got := f.r.must(f.as(bob, "get", res.Imported[0].ID)...); got != string(fhirObs) && got != string(fhirNote) {
		t.Fatalf("imported record reads %q", got)
	}

	// Hostile or wrong bundles: exit 1, a clear reason, nothing written.
	deep := `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Basic","extension":` +
		strings.Repeat("[", 200) + strings.Repeat("]", 200) + `}}]}`
	for _, tc := range []struct{ name, doc, want string }{
		{"not a bundle", `{"resourceType":"Patient","id":"p1"}`, "not a FHIR Bundle"},
		{"wrong resourceType", `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient"}},{"resource":{"resourceType":"Spaceship"}}]}`, "not an R4 resource type"},
		{"deep nesting", deep, "nested deeper than 32"},
		{"huge string", `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Basic","id":"` + strings.Repeat("x", 2<<20) + `"}}]}`, "limit"},
	} {
		if err := os.WriteFile(f.p("bad.json"), []byte(tc.doc), 0o600); err != nil {
			t.Fatal(err)
		}
		code, _, errs := f.r.run(nil, f.as(bob, "import", f.p("bad.json"))...)
		if code != 1 || !strings.Contains(errs, tc.want) {
			t.Errorf("%s: import exit %d, %q; want 1 and %q", tc.name, code, errs, tc.want)
		}
	}
	var list []recordView
	f.r.mustJSON(&list, f.as(bob, "ls")...)
	if len(list) != 2 {
		t.Fatalf("after refused imports bob has %d records, want 2", len(list))
	}
}
