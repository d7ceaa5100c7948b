//go:build !js

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/blindvault/blindvault/sdk"
)

// run evaluates a JavaScript expression as a step.
func run(expr string) chromedp.Action[chromedp.Void] {
	ev := chromedp.Evaluate[any](expr)
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := ev(ctx, t)
		return chromedp.Void{}, err
	}
}

// watchProgress records the values the transfer's progress bar takes, and
// its label, in window.progressSeen.
const watchProgress = `(() => {
	window.progressSeen = [];
	const bar = document.getElementById('transfer-progress');
	window.progressWatch?.disconnect();
	window.progressWatch = new MutationObserver((ms) => {
		for (const m of ms) window.progressSeen.push(m.oldValue ?? 'busy');
		window.progressSeen.push((bar.getAttribute('value') ?? 'busy') + ' ' + document.getElementById('transfer-label').textContent);
	});
	window.progressWatch.observe(bar, { attributes: true, attributeFilter: ['value'], attributeOldValue: true });
	return '';
})()`

// checkProgress checks that the bar moved through values below 100 and
// ended at 100 with a label starting with done.
func (p *page) checkProgress(what, done string) {
	p.t.Helper()
	seen := strings.Split(p.eval(`window.progressSeen.join('|')`), "|")
	last := seen[len(seen)-1]
	partial := false
	for _, v := range seen {
		n, _, _ := strings.Cut(v, " ")
		partial = partial || (n != "" && n != "100" && n != "busy")
	}
	if !strings.HasPrefix(last, "100 "+done) || !partial {
		p.t.Errorf("[%s] %s: the progress bar went %q, want values below 100, then 100 and %q", p.name, what, seen, done)
	}
}

// TestBrowser_PortalViews is the portal's record views in Chromium against a
// real server, each checked with axe-core: a multi-MiB file dropped on the
// upload form, with its progress up and down; the record's versions, an
// earlier one opened; corrections asked, answered in the page with a new
// version, refused by a clinician, and disagreed with; search, a type filter
// and the timeline over the records; and the verified transparency log in
// words; all at phone width too.
func TestBrowser_PortalViews(t *testing.T) {
	axeJS, err := os.ReadFile(axePath(t))
	if err != nil {
		t.Fatalf("axe-core: %v (.ci/deps installs it with npm)", err)
	}
	axe := string(axeJS)
	s := startSite(t)
	ctx := t.Context()
	p := openPortal(t, s, "patient")
	p.signUp("ana")

	// A 4 MiB file dropped on the upload form: encrypted with its progress
	// shown, uploaded, and read back whole with its progress.
	p.eval(watchProgress)
	p.act("Uploaded", run(`(() => {
		const b = new Uint8Array((4 << 20) + 123);
		for (let i = 0; i < b.length; i += 65536) crypto.getRandomValues(b.subarray(i, i + 65536));
		const dt = new DataTransfer();
		dt.items.add(new File([b], 'scan.bin', { type: 'application/octet-stream' }));
		document.getElementById('dropzone').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
		return '';
	})()`))
	p.checkProgress("upload", `Uploaded "scan.bin"`)
	scanID := p.eval(`document.getElementById('status').dataset.recordId`)
	p.axeCheck("a finished upload's progress", axe)
	p.eval(watchProgress)
	p.act("Opened", chromedp.Click(fmt.Sprintf(`button[data-open="%s"]`, scanID)))
	p.checkProgress("download", `Downloading and checking "scan.bin"`)
	if got, want := p.text("viewer-meta"), fmt.Sprintf("application/octet-stream · %d bytes", 4<<20+123); !strings.HasPrefix(got, want) {
		t.Errorf("the dropped file opens as %q, want %q", got, want)
	}

	// A clinician, on the Go SDK.
	_, invite := registerAdmin(t, s)
	doctor := goClient(t, s)
	if _, err := doctor.Register(ctx, &sdk.RegisterOptions{Handle: "dr-er", Role: "clinician", Invite: invite,
		Passphrase: []byte(clinicianPass)}); err != nil {
		t.Fatal(err)
	}

	// Her Observation, shared with the clinician, who asks her to correct it;
	// she answers in the page with the corrected version.
	obs := `{"resourceType":"Observation","status":"final","code":{"text":"Heart rate"},"valueQuantity":{"value":61,"unit":"/min"}}`
	p.act("Uploaded", p.set("upload-fhir", obs), p.set("upload-title", "Heart rate"), click("upload"))
	obsID := p.eval(`document.getElementById('status').dataset.recordId`)
	p.act("Compare", p.set("share-record", obsID), p.set("share-handle", "dr-er"), click("share-lookup"))
	p.act("Shared with dr-er", click("share-confirm"))
	rid, _ := sdk.ParseRecordID(obsID)
	if _, err := doctor.RequestAmendment(ctx, rid, "The rate was 64, not 61."); err != nil {
		t.Fatalf("RequestAmendment: %v", err)
	}
	corrections := func(id string) chromedp.Action[chromedp.Void] {
		return chromedp.Click(fmt.Sprintf(`button[data-corrections="%s"]`, id))
	}
	steps := `Array.from(document.querySelectorAll('#corrections-list p'), (p) => p.dataset.kind + ': ' + p.textContent).join('; ')`
	p.act(`"Heart rate": one request`, corrections(obsID))
	if got := p.eval(steps); !strings.Contains(got, "request: dr-er asked on") || !strings.Contains(got, "to correct version 1: “The rate was 64, not 61.”") {
		t.Errorf("corrections = %q, want dr-er's request", got)
	}
	p.axeCheck("a record's corrections", axe)
	p.act("Answer dr-er's request", chromedp.Click(`#corrections-list button[data-answer]`))
	if got := p.eval(`document.getElementById('answer-content').value`); got != obs {
		t.Errorf("the corrected record starts as %q, want the record's text %q", got, obs)
	}
	p.axeCheck("the answer dialog", axe)
	fixed := strings.Replace(obs, "61", "64", 1)
	p.act("You corrected", p.set("answer-content", fixed), p.set("answer-text", "Corrected to 64."), click("answer-send"))
	if got := p.eval(steps); !strings.Contains(got, "amended: You corrected it on") || !strings.Contains(got, "in version 2: “Corrected to 64.”") {
		t.Errorf("corrections after the answer = %q", got)
	}
	as, err := doctor.Amendments(ctx, rid)
	if err != nil || len(as) != 2 || as[1].Decision != sdk.AmendmentAmended || as[1].Version != 2 {
		t.Fatalf("the clinician's Amendments = %+v, %v; want the request and its answer, amended in version 2", as, err)
	}
	var got bytes.Buffer
	if _, err := doctor.Get(ctx, rid, &got); err != nil || got.String() != fixed {
		t.Errorf("the clinician reads %q, %v; want the corrected %q", got.String(), err, fixed)
	}

	// Its versions: both, by her, verified; the first one opens as it was.
	p.act(`"Heart rate" has 2 versions`, chromedp.Click(fmt.Sprintf(`button[data-versions="%s"]`, obsID)))
	fp := p.text("me-fingerprint")
	rows := p.eval(`Array.from(document.querySelectorAll('#versions-list tbody tr'), (r) => Array.from(r.cells, (c) => c.textContent).slice(0, 4).join(', ')).join('; ')`)
	if !strings.HasPrefix(rows, "2 (newest), ") || !strings.Contains(rows, "ana, verified, "+fp+"; 1, ") || strings.Count(rows, fp) != 2 {
		t.Errorf("versions = %q, want 2 and 1 by ana with her fingerprint %s", rows, fp)
	}
	p.axeCheck("a record's versions", axe)
	p.act("Opened", chromedp.Click(`#versions-list button[data-open-version="1"]`))
	if got := p.text("viewer-text"); got != obs || p.eval(`document.getElementById('viewer').dataset.version`) != "1" {
		t.Errorf("version 1 opens as %q, want %q", got, obs)
	}
	p.act("Downloaded version 1", chromedp.Click(`#versions-list button[data-download-version="1"]`))

	// The clinician's note, shared with her: she asks for a correction, the
	// clinician refuses with a reason, and she adds her disagreement.
	noteInfo := shareNote(t, doctor, "ana")
	noteID := noteInfo.RecordID.String()
	p.act("Refreshing", click("refresh"))
	p.do(until(fmt.Sprintf(`!!document.querySelector('button[data-amend="%s"]')`, noteID)))
	p.do(chromedp.Click(fmt.Sprintf(`button[data-amend="%s"]`, noteID)))
	p.act("Asked dr-er to correct", p.set("amend-text", "It was three weeks."), click("amend-send"))
	as, err = doctor.Amendments(ctx, noteInfo.RecordID)
	if err != nil || len(as) != 1 {
		t.Fatalf("the author's Amendments = %+v, %v", as, err)
	}
	if _, err := doctor.AnswerAmendment(ctx, as[0].ID, sdk.AmendmentRefused, "The letter says two weeks."); err != nil {
		t.Fatalf("AnswerAmendment: %v", err)
	}
	p.act(`"discharge note": one request`, corrections(noteID))
	if got := p.eval(steps); !strings.Contains(got, "refused: dr-er refused on") || !strings.Contains(got, "“The letter says two weeks.”") {
		t.Errorf("corrections = %q, want dr-er's refusal with the reason", got)
	}
	if p.eval(`String(!!document.querySelector('#corrections-list button[data-answer]'))`) != "false" {
		t.Errorf("the requester is offered to answer her own request")
	}
	p.do(chromedp.Click(`#corrections-list button[data-disagree]`))
	p.axeCheck("the disagreement dialog", axe)
	p.act("Your statement of disagreement", p.set("disagree-text", "I was told three weeks at discharge."), click("disagree-send"))
	if got := p.eval(steps); !strings.Contains(got, "disagreement: You disagreed with the answer on") {
		t.Errorf("corrections = %q, want her disagreement", got)
	}
	if as, err := doctor.Amendments(ctx, noteInfo.RecordID); err != nil || len(as) != 3 || as[2].Kind != sdk.AmendmentDisagreement || as[2].Text != "I was told three weeks at discharge." {
		t.Errorf("the author's Amendments = %+v, %v; want request, refusal, disagreement", as, err)
	}

	// Search, filter by type, timeline: from the keyboard.
	shown := func() string { return p.eval(`document.getElementById('records').dataset.shown`) }
	if n := shown(); n != "3" {
		t.Fatalf("%s records shown, want 3", n)
	}
	p.do(chromedp.Focus("#records-search"), chromedp.SendKeys("#records-search", "DISCH"))
	if n, title := shown(), p.eval(`document.querySelector('#records tbody tr[data-id]').cells[0].textContent`); n != "1" || title != "discharge note" {
		t.Errorf("searching DISCH shows %s records, the first %q; want the discharge note", n, title)
	}
	if got := p.text("records-shown"); got != "1 of 3 records shown." {
		t.Errorf("records-shown = %q", got)
	}
	p.axeCheck("records, searched", axe)
	p.eval(`document.getElementById('records-search').value = '', document.getElementById('records-search').dispatchEvent(new Event('input')), ''`)
	if got := p.eval(`Array.from(document.getElementById('records-type').options, (o) => o.textContent).join(', ')`); got != "All types, Observation (FHIR), application/octet-stream, text/plain" {
		t.Errorf("type choices = %q", got)
	}
	p.do(chromedp.Focus("#records-type"), run(`(() => { const s = document.getElementById('records-type'); s.value = 'Observation'; s.dispatchEvent(new Event('change')); return ''; })()`))
	if n := shown(); n != "1" || p.eval(`document.querySelector('#records tbody tr[data-id]').dataset.id`) != obsID {
		t.Errorf("the Observation filter shows %s records, want the Observation", n)
	}
	p.eval(`(() => { for (const [id, v] of [['records-type', ''], ['records-order', 'timeline']]) { const s = document.getElementById(id); s.value = v; s.dispatchEvent(new Event('change')); } return ''; })()`)
	today := p.eval(`new Date().toLocaleDateString(undefined, { year: 'numeric', month: 'long', day: 'numeric' })`)
	if got := p.eval(`Array.from(document.querySelectorAll('#records tr.group'), (r) => r.textContent).join('; ')`); got != today+" (3)" {
		t.Errorf("the timeline's groups = %q, want %q", got, today+" (3)")
	}
	if got := p.eval(`Array.from(document.querySelectorAll('#records tbody tr[data-id]'), (r) => r.cells[0].textContent).join(', ')`); got != "discharge note, Heart rate, scan.bin" {
		t.Errorf("the timeline = %q, want newest first", got)
	}
	p.axeCheck("the timeline", axe)

	// The log, for auditors: its checkpoint, and what it says of her records.
	p.act("The log checks out", click("log-check"))
	note1 := p.eval(`document.getElementById('log-note').textContent.split('\n')[0]`)
	if served := p.eval(`fetch('/log/checkpoint').then((r) => r.text()).then((t) => t.split('\n')[0])`); note1 == "" || served != note1 {
		t.Errorf("the checkpoint shown is of log %q, /log/checkpoint serves %q", note1, served)
	}
	if got := p.text("log-checkpoint"); !strings.Contains(got, "Log"+note1) || !strings.Contains(got, "Witnessesnone cosigned this checkpoint") {
		t.Errorf("the checkpoint in words = %q", got)
	}
	events := p.eval(`Array.from(document.querySelectorAll('#log-events tbody tr'), (r) => r.cells[1].textContent + ': ' + r.cells[2].textContent).join('; ')`)
	for _, want := range []string{"Heart rate: You wrote version 2", "Heart rate: You shared it with dr-er", "scan.bin: You created it"} {
		if !strings.Contains(events, want) {
			t.Errorf("the log's events = %q, want %q", events, want)
		}
	}
	p.axeCheck("the transparency log", axe)

	// At phone width, with every view open, nothing scrolls sideways.
	p.act(`"Heart rate" has 2 versions`, chromedp.Click(fmt.Sprintf(`button[data-versions="%s"]`, obsID)))
	p.do(chromedp.EmulateViewport(375, 667, chromedp.EmulateMobile))
	if got := p.eval(`String(document.documentElement.scrollWidth <= window.innerWidth) + ' ' + document.documentElement.scrollWidth`); !strings.HasPrefix(got, "true") {
		wide := p.eval(`Array.from(document.querySelectorAll('body *')).filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
			.slice(0, 5).map((e) => e.tagName + '#' + e.id + '.' + e.className).join(' ')`)
		t.Errorf("on a 375 px screen the page is %s px wide: %s", strings.Fields(got)[1], wide)
	}
	p.axeCheck("the record views on a phone-sized screen", axe)
}

// registerAdmin registers the server's admin on the Go SDK and returns it
// with an invite for a clinician.
func registerAdmin(t *testing.T, s *site) (*sdk.Client, string) {
	t.Helper()
	admin := goClient(t, s)
	if _, err := admin.Register(t.Context(), &sdk.RegisterOptions{Handle: "admin", Role: "admin", Invite: s.AdminInvite,
		Passphrase: []byte("the admin's passphrase for tests 1")}); err != nil {
		t.Fatal(err)
	}
	invite, err := admin.Invite(t.Context(), "clinician", 0)
	if err != nil {
		t.Fatal(err)
	}
	return admin, invite
}

// shareNote has author write a discharge note and share it with handle.
func shareNote(t *testing.T, author *sdk.Client, handle string) *sdk.RecordInfo {
	t.Helper()
	note := []byte("Discharged; follow-up in two weeks.")
	info, err := author.Put(t.Context(), bytes.NewReader(note), &sdk.PutOptions{Title: "discharge note", Type: "text/plain", Size: int64(len(note))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := author.Share(t.Context(), info.RecordID, handle, nil); err != nil {
		t.Fatal(err)
	}
	return info
}
