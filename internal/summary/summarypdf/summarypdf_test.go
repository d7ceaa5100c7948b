package summarypdf

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/blindvault/blindvault/internal/summary"
)

// testData is a summary with one of everything the page prints.
func testData() *summary.Data {
	at := time.Date(2026, 11, 3, 9, 30, 0, 0, time.UTC)
	pat := summary.Agent{Handle: "alice", Fingerprint: "alice-fp-0123"}
	clin := summary.Agent{Handle: "dr-jones", Fingerprint: "jones-fp-4567"}
	return &summary.Data{
		Account: pat,
		Time:    at,
		Records: []summary.Record{
			{Type: "Observation", Title: "HbA1c", Version: 2, Modified: at.AddDate(0, 0, -1), Author: &pat, Owner: &pat,
				Readers: []summary.Reader{
					{Contact: &clin, ContactStatus: "verified doctor of Clinic", KeyID: "aa"},
					{Owner: true, Contact: &pat, ContactStatus: "unattested", KeyID: "bb"},
					{Team: "cardio", TeamStatus: "verified care team cardio of Clinic, 2 members", KeyID: "cc"},
					{KeyID: "0123456789abcdef0123"},
				}},
			{Type: "Observation", Title: "Older reading\u202e", Version: 1, Modified: at.AddDate(0, -1, 0), Author: &pat, Owner: &pat},
			{Type: "text/plain", Title: "Visit note", Version: 1, Modified: at.AddDate(0, 0, -2), Author: &clin, Owner: &clin},
			{Modified: at},
		},
		History: []summary.History{{Title: "HbA1c", Events: []summary.Event{
			{Time: at.Add(-time.Hour), Action: "grant created", Who: "alice", Whom: "dr-jones"},
			{Time: at.Add(-time.Minute), Action: "read", Who: "dr-jones", Version: 2},
			{Time: at, Action: "grant revoked", Who: "alice", Whom: "dr-jones"},
		}}},
		HistoryLeftOut: 3,
	}
}

// TestWrite_Text prints a summary and reads it back with Debian's pdftotext
// (poppler): the records by type, newest first, with their authors'
// fingerprints, the readers owner first, the history in words, and no
// control characters from a title.
func TestWrite_Text(t *testing.T) {
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatal("pdftotext is not installed (Debian's poppler-utils; .ci/deps installs it)")
	}
	var buf bytes.Buffer
	if err := Write(&buf, testData()); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(pdftotext, "-layout", "-", "-")
	cmd.Stdin = &buf
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	got := strings.Join(strings.Fields(string(out)), " ")
	for _, want := range []string{
		"Health records of alice",
		"Account fingerprint: alice-fp-0123",
		"4 records, as of 3 November 2026 09:30 UTC.",
		"(no type) (1) (untitled) - 2026-11-03, version 0 Written by unknown",
		"Observation (2) HbA1c - 2026-11-02, version 2 Written by alice, fingerprint alice-fp-0123",
		"Can read it now: you; dr-jones (verified doctor of Clinic, fingerprint jones-fp-4567); " +
			"team cardio (verified care team cardio of Clinic, 2 members); a key this device cannot name (0123456789abcdef...)",
		"Older reading",
		"text/plain (1) Visit note - 2026-11-01, version 1 Written by dr-jones, fingerprint jones-fp-4567 Shared with you by dr-jones",
		"Recent access history HbA1c",
		"2026-11-03 08:30 alice gave dr-jones access",
		"2026-11-03 09:29 read: dr-jones (version 2)",
		"2026-11-03 09:30 alice withdrew dr-jones's access",
		"The history of 3 older records is left out",
		"alice - page 1 - every entry verified by the Blindvault client on 2026-11-03 09:30 UTC",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the summary lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "\u202e") {
		t.Errorf("a title's right-to-left override reached the page:\n%q", got)
	}
	if i, j := strings.Index(got, "HbA1c -"), strings.Index(got, "Older reading"); i < 0 || j < i {
		t.Errorf("within a type the newest record comes first: HbA1c at %d, the older at %d", i, j)
	}
}

// TestWrite_Empty prints an account with no records.
func TestWrite_Empty(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, &summary.Data{Account: summary.Agent{Handle: "bob"}}); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) {
		t.Fatalf("Write wrote %.20q, want a PDF", buf.Bytes())
	}
}

// FuzzWrite prints any summary the browser's PDF module could be handed
// (JSON, as wasm/pdf decodes it): no panic, and no error but the writer's.
func FuzzWrite(f *testing.F) {
	seed, err := json.Marshal(testData())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"Records":[{"Readers":[{"KeyID":""}]}],"History":[{"Events":[{}]}]}`))
	f.Add([]byte(`{"Account":{"Handle":"\u0000\u202e\ud800"},"Records":[{"Title":"` + strings.Repeat("x", 5000) + `"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var d summary.Data
		if json.Unmarshal(data, &d) != nil {
			return
		}
		if err := Write(io.Discard, &d); err != nil {
			t.Fatalf("Write = %v", err)
		}
	})
}
