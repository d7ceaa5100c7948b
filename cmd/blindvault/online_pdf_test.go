package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestExport_PDF_Summary renders the printable summary with Debian's
// pdftotext (poppler) and reads it back: records by type with their authors'
// fingerprints, who can read each now, and the recent access history.
func TestExport_PDF_Summary(t *testing.T) {
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatal("pdftotext is not installed (Debian's poppler-utils; .ci/deps installs it)")
	}
	f := newFHIRPeople(t)
	obsID := f.putFile(t, f.pat, "obs.json", fhirObs, "--type", "Observation", "--title", "HbA1c")
	f.putFile(t, f.pat, "letter.pdf", []byte("%PDF-1.7\nnot a real pdf\n"), "--type", "application/pdf", "--title", "Discharge letter")
	noteID := f.putFile(t, f.clin, "note.txt", fhirNote, "--type", "text/plain", "--title", "Visit note")
	f.r.must(f.as(f.clin, "share", noteID, "--with", "alice")...)
	f.r.must(f.as(f.pat, "share", obsID, "--with", "dr-jones")...)
	f.r.must(f.as(f.clin, "get", obsID)...)
	var pat, clin struct{ Fingerprint string }
	f.r.mustJSON(&pat, f.as(f.pat, "whoami")...)
	f.r.mustJSON(&clin, f.as(f.clin, "whoami")...)

	// The right to correct, through the CLI: the patient asks the clinician
	// to correct the note; the clinician refuses with a reason; the patient
	// disagrees; both read the same history.
	var req struct{ ID string }
	f.r.mustJSON(&req, f.as(f.pat, "amend", "request", noteID, "--text", "The visit was on Tuesday")...)
	f.r.must(f.as(f.clin, "amend", "answer", req.ID, "--refused", "--text", "The chart says Monday")...)
	f.r.must(f.as(f.pat, "amend", "disagree", req.ID, "--text", "I was there on Tuesday")...)
	for _, who := range [][]string{f.pat, f.clin} {
		// The history is in the record's audit too.
		for _, cmd := range [][]string{{"amend", "ls", noteID}, {"audit", noteID}} {
			hist := f.r.must(f.as(who, cmd...)...)
			for _, want := range []string{"request", "answer (refused)", "The chart says Monday", "disagreement", "I was there on Tuesday"} {
				if !strings.Contains(hist, want) {
					t.Errorf("%s lacks %q:\n%s", cmd[0], want, hist)
				}
			}
		}
	}

	out := f.r.must(f.as(f.pat, "export", "--pdf", f.p("summary.pdf"))...)
	if !strings.Contains(out, "Exported 3 records") || !strings.Contains(out, "printable summary") {
		t.Fatalf("export --pdf printed %q", out)
	}
	text, err := exec.Command(pdftotext, "-layout", f.p("summary.pdf"), "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	got := strings.Join(strings.Fields(string(text)), " ") // lines wrap where the page ends
	for _, want := range []string{
		"Health records of alice",
		"Account fingerprint: " + pat.Fingerprint,
		"Observation (1)", "application/pdf (1)", "text/plain (1)",
		"HbA1c", "Discharge letter", "Visit note",
		"Written by alice, fingerprint " + pat.Fingerprint,
		"Written by dr-jones, fingerprint " + clin.Fingerprint,
		"Shared with you by dr-jones",
		"Can read it now: you; dr-jones (unattested, fingerprint " + clin.Fingerprint + ")",
		"alice gave dr-jones access",
		"read: dr-jones",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the summary lacks %q:\n%s", want, got)
		}
	}
	if st, err := os.Stat(f.p("summary.pdf")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("summary.pdf: %v, mode %v; want 0600", err, st)
	}
}
