//go:build !js

package sdk_test

import (
	"bytes"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/blindvault/blindvault/internal/summary"
	"github.com/blindvault/blindvault/sdk"
)

// TestClient_SummaryData checks what the printable summary shows, as the CLI
// and the browser both gather it: every record with its author and owner,
// who can read each of the patient's own now (and nobody's for a record
// shared with her), and the history of the 25 owned records changed last,
// their last 6 events each, without the owner's own bookkeeping.
func TestClient_SummaryData(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	pat, clin := w.patient, w.clinician
	const owned = summary.MaxHistoryRecords + 2
	var last *sdk.RecordInfo
	for i := range owned {
		last = put(t, pat, []byte(fmt.Sprintf(`{"resourceType":"Observation","id":"o%d"}`, i)), fmt.Sprintf("reading %02d", i))
	}
	if _, err := pat.Share(ctx, last.RecordID, "dr-jones", nil); err != nil {
		t.Fatal(err)
	}
	for range summary.MaxHistoryEvents + 1 {
		if _, _, err := get(t, clin, last.RecordID); err != nil {
			t.Fatalf("the clinician reads the shared record: %v", err)
		}
	}
	note := put(t, clin, []byte(`{"resourceType":"Observation","id":"visit"}`), "visit note")
	if _, err := clin.Share(ctx, note.RecordID, "alice", nil); err != nil {
		t.Fatal(err)
	}

	d, err := sdk.SummaryData(pat, ctx)
	if err != nil {
		t.Fatal(err)
	}
	me, dr := pat.Card().Fingerprint().String(), clin.Card().Fingerprint().String()
	if d.Account != (summary.Agent{Handle: "alice", Fingerprint: me}) || len(d.Records) != owned+1 {
		t.Fatalf("SummaryData = account %+v, %d records; want alice (%s) and %d", d.Account, len(d.Records), me, owned+1)
	}
	byTitle := map[string]summary.Record{}
	for _, r := range d.Records {
		byTitle[r.Title] = r
	}
	got := byTitle[note.Title]
	if got.Author == nil || got.Author.Fingerprint != dr || got.Owner == nil || got.Owner.Handle != "dr-jones" || got.Readers != nil {
		t.Errorf("the clinician's note = %+v; want dr-jones's, with no readers listed", got)
	}
	got = byTitle[last.Title]
	var readers []string
	for _, r := range got.Readers {
		switch {
		case r.Owner:
			readers = append(readers, "owner")
		case r.Contact != nil:
			readers = append(readers, r.Contact.Handle+" "+r.Contact.Fingerprint+" "+r.ContactStatus)
		}
	}
	slices.Sort(readers) // in the ACL's order; the renderer puts the owner first
	want := []string{"dr-jones " + dr + " verified clinician of " + org, "owner"}
	if got.Author == nil || got.Author.Fingerprint != me || fmt.Sprint(readers) != fmt.Sprint(want) {
		t.Errorf("readers of %q = %q (author %+v); want %q", last.Title, readers, got.Author, want)
	}

	if len(d.History) != summary.MaxHistoryRecords || d.HistoryLeftOut != owned-summary.MaxHistoryRecords {
		t.Fatalf("history of %d records, %d left out; want %d and %d", len(d.History), d.HistoryLeftOut, summary.MaxHistoryRecords, owned-summary.MaxHistoryRecords)
	}
	// The 25 changed last: no record left out changed after one printed.
	printed := map[string]bool{}
	for _, h := range d.History {
		printed[h.Title] = true
	}
	for _, r := range d.Records {
		if r.Owner == nil || r.Owner.Fingerprint != me || printed[r.Title] {
			continue
		}
		for _, h := range d.History {
			if byTitle[h.Title].Modified.Before(r.Modified) {
				t.Errorf("%q (changed %v) is left out of the history, but %q (changed %v) is in it", r.Title, r.Modified, h.Title, byTitle[h.Title].Modified)
			}
		}
	}
	if !printed[last.Title] {
		t.Fatalf("the history leaves out %q, changed last", last.Title)
	}
	var h summary.History
	for _, h = range d.History {
		if h.Title == last.Title {
			break
		}
	}
	if len(h.Events) != summary.MaxHistoryEvents {
		t.Fatalf("the history of %q has %d events, want %d", h.Title, len(h.Events), summary.MaxHistoryEvents)
	}
	for _, e := range h.Events {
		if e.Action != "body read" || e.Who != "dr-jones" {
			t.Errorf("event %+v; want the last %d events, the clinician's reads", e, summary.MaxHistoryEvents)
		}
	}
	for _, h := range d.History {
		for _, e := range h.Events {
			if e.Action == "ACL changed" || (e.Action == "grant created" && e.Whom == "alice") {
				t.Errorf("the owner's bookkeeping is in the history of %q: %+v", h.Title, e)
			}
		}
	}
}

// TestClient_ExportSummary prints what SummaryData gathers, read back with
// Debian's pdftotext.
func TestClient_ExportSummary(t *testing.T) {
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatal("pdftotext is not installed (Debian's poppler-utils; .ci/deps installs it)")
	}
	w := newWorld(t)
	put(t, w.patient, []byte(`{"resourceType":"Observation"}`), "HbA1c")
	var buf bytes.Buffer
	n, err := w.patient.ExportSummary(t.Context(), &buf)
	if err != nil || n != 1 {
		t.Fatalf("ExportSummary = %d, %v; want 1 record", n, err)
	}
	cmd := exec.Command(pdftotext, "-", "-")
	cmd.Stdin = &buf
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	text := strings.Join(strings.Fields(string(out)), " ")
	for _, want := range []string{"Health records of alice", "Observation (1)", "HbA1c", "Written by alice, fingerprint " + w.patient.Card().Fingerprint().String(), "Can read it now: you"} {
		if !strings.Contains(text, want) {
			t.Errorf("the summary lacks %q:\n%s", want, text)
		}
	}
}

// The summary's requests do not grow with the records: the readers of every
// own record come with the views, api.MaxViews a request, not with a fetch
// of each record (and its owner's chain) one by one.
func TestClient_SummaryRequestsPerRecord(t *testing.T) {
	_, p, alice := newPatient(t)
	ctx := t.Context()
	const n = 60
	for i := range n {
		put(t, alice, fmt.Appendf(nil, "weight %d kg", 60+i), fmt.Sprintf("weight %02d", i))
	}
	if _, err := alice.List(ctx); err != nil {
		t.Fatalf("List: %v", err)
	}
	mark := p.mark()
	var buf bytes.Buffer
	if _, err := alice.ExportSummary(ctx, &buf); err != nil {
		t.Fatalf("ExportSummary: %v", err)
	}
	all := p.since(mark, func(exchange) bool { return true })
	single := countRequests(p, mark, "GET /v1/records/")
	if single != 0 || len(all) > 12 {
		t.Fatalf("summary of %d records: %d requests, %d of them single record fetches; want at most 12 and none:\n%s",
			n, len(all), single, strings.Join(all, "\n"))
	}
	t.Logf("summary of %d records: %d requests", n, len(all))
}
