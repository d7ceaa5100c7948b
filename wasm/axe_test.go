//go:build !js

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/blindvault/blindvault/sdk"
)

// axePath is where .ci/deps installs axe-core (npm), unless $AXE_CORE names
// another axe.min.js.
func axePath(t *testing.T) string {
	if p := os.Getenv("AXE_CORE"); p != "" {
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(home, ".cache", "blindvault-axe", "node_modules", "axe-core", "axe.min.js")
}

// axeCheck runs axe-core on the page as it is and fails the test on every
// serious or critical violation, naming the rule and the elements.
func (p *page) axeCheck(view string, axe string) {
	p.t.Helper()
	if p.eval(`String(typeof axe)`) == "undefined" {
		p.eval(axe + `;''`)
	}
	out := p.eval(`axe.run(document, {resultTypes: ['violations']}).then((r) => JSON.stringify(r.violations
		.filter((v) => v.impact === 'serious' || v.impact === 'critical')
		.map((v) => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5)}))))`)
	var vs []struct {
		ID, Impact, Help string
		Nodes            []string
	}
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		p.t.Fatalf("[%s] axe: %v (%s)", p.name, err, out)
	}
	for _, v := range vs {
		p.t.Errorf("[%s] %s: axe %s (%s): %s, at %s", p.name, view, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "; "))
	}
}

// TestBrowser_PortalAccessible runs axe-core (the accessibility engine of
// browsers' developer tools) on every view of the portal a patient meets: no
// serious or critical violation in the sign-up view, the recovery-code
// dialog, the records view with its forms, an opened FHIR record, who can
// read it, its history, and the delete-account dialog.
func TestBrowser_PortalAccessible(t *testing.T) {
	axe, err := os.ReadFile(axePath(t))
	if err != nil {
		t.Fatalf("axe-core: %v (.ci/deps installs it with npm)", err)
	}
	s := startSite(t)
	p := openPortal(t, s, "patient")
	p.do(until(`document.getElementById('status').textContent.startsWith('Create an account')`))
	p.axeCheck("sign-up", string(axe))
	p.act("Account created", p.set("register-handle", "ana"), p.set("register-passphrase", patientPass), click("register"))
	p.axeCheck("recovery-code dialog", string(axe))
	p.do(click("recovery-saved"), click("recovery-done"))
	p.axeCheck("records", string(axe))

	fhir := `{"resourceType":"Observation","status":"final","code":{"text":"Heart rate"},"valueQuantity":{"value":61,"unit":"/min"}}`
	p.act("Uploaded", p.set("upload-fhir", fhir), click("upload"))
	id := p.eval(`document.getElementById('status').dataset.recordId`)
	p.axeCheck("records, with one", string(axe))
	p.act("Opened", chromedp.Click(fmt.Sprintf(`button[data-open="%s"]`, id)))
	p.axeCheck("an opened record", string(axe))
	p.act("Only you can read", chromedp.Click(fmt.Sprintf(`button[data-readers="%s"]`, id)))
	p.axeCheck("who can read it", string(axe))
	p.act("Access history", chromedp.Click(fmt.Sprintf(`button[data-history="%s"]`, id)))
	p.axeCheck("its history", string(axe))
	p.act("Restricted", chromedp.Click(fmt.Sprintf(`button[data-restrict="%s"]`, id)))
	if got := p.eval(fmt.Sprintf(`document.querySelector('button[data-restrict="%s"]').textContent`, id)); got != "Lift restriction" {
		t.Errorf("after Restrict the record's button reads %q, want Lift restriction", got)
	}
	// An emergency request for her records shows at the top of the page,
	// with a way to refuse it; refused, no guardian may approve it.
	ctx := t.Context()
	register := func(handle, role, invite string) *sdk.Client {
		c := goClient(t, s)
		if _, err := c.Register(ctx, &sdk.RegisterOptions{Handle: handle, Role: role, Invite: invite,
			Passphrase: []byte("the passphrase of " + handle + " for tests 5")}); err != nil {
			t.Fatalf("Register %s: %v", handle, err)
		}
		return c
	}
	admin := register("admin", "admin", s.AdminInvite)
	invite, err := admin.Invite(ctx, "clinician", 0)
	if err != nil {
		t.Fatal(err)
	}
	doctor := register("dr-er", "clinician", invite)
	register("guardian-1", "", "")
	register("guardian-2", "", "")
	ana := goClient(t, s)
	if _, err := ana.Login(ctx, &sdk.LoginOptions{Handle: "ana", Passphrase: []byte(patientPass)}); err != nil {
		t.Fatal(err)
	}
	if _, err := ana.SetUpEmergency(ctx, []string{"guardian-1", "guardian-2"}, 2, time.Hour); err != nil {
		t.Fatalf("SetUpEmergency: %v", err)
	}
	req, err := doctor.RequestEmergency(ctx, "ana")
	if err != nil {
		t.Fatalf("RequestEmergency: %v", err)
	}
	// The doctor's note, shared with her: listed under its author, and she
	// can ask for a correction, which reaches the author encrypted.
	noteInfo := shareNote(t, doctor, "ana")
	p.act("2 records", click("refresh")) // the emergency key's own record is not one to list
	if got := p.eval(`Array.from(document.querySelectorAll('#records tr.group'), (r) => r.textContent).join('; ')`); got != "Yours (1); Shared with you by dr-er (1)" {
		t.Errorf("record groups = %q", got)
	}
	p.do(chromedp.Click(fmt.Sprintf(`button[data-amend="%s"]`, noteInfo.RecordID)))
	p.axeCheck("the correction dialog", string(axe))
	p.act("Asked dr-er to correct", p.set("amend-text", "It was three weeks."), click("amend-send"))
	steps, err := doctor.Amendments(ctx, noteInfo.RecordID)
	if err != nil || len(steps) != 1 || steps[0].Text != "It was three weeks." || steps[0].By.Handle() != "ana" {
		t.Fatalf("the author's Amendments = %+v, %v; want ana's request", steps, err)
	}
	if got := p.eval(`document.getElementById('emergency').hidden ? 'hidden' : document.querySelector('#emergency-list tbody tr').cells[0].textContent`); got != "dr-er" {
		t.Fatalf("the emergency request shown = %q, want dr-er's", got)
	}
	// ... and among the alerts the page computed from the verified log.
	if got := p.eval(`document.querySelector('#alerts-list li[data-kind="emergency-request"][data-severity="high"]')?.textContent ?? 'none'`); !strings.Contains(got, "dr-er") {
		t.Errorf("the emergency request's alert = %q, want one naming dr-er", got)
	}
	p.axeCheck("an emergency request", string(axe))
	// Her devices: this browser and the Go client she signed in on; that
	// one is revoked from here.
	if got := p.eval(`document.getElementById('devices').dataset.count`); got != "2" {
		t.Errorf("devices listed = %s, want this browser and the Go client", got)
	}
	revokeDev := chromedp.Click(`#devices button[data-revoke-device]`)
	p.act("Revoke the device", revokeDev)
	p.act("Revoked the device", revokeDev)
	refuse := chromedp.Click(fmt.Sprintf(`#emergency-list button[data-refuse="%s"]`, req.ID))
	p.act("Refuse dr-er", refuse)
	p.act("You refused", refuse)
	st, err := doctor.EmergencyStatus(ctx)
	if err != nil || len(st) != 1 || !st[0].Refused {
		t.Fatalf("the requester's EmergencyStatus after the refusal = %+v, %v", st, err)
	}

	p.do(click("delete-account-open"))
	p.axeCheck("delete-account dialog", string(axe))

	p.eval(`document.getElementById('delete-account').close(), ''`)

	// A phone-sized screen: nothing wider than the screen, so nothing scrolls
	// sideways, in the records view with a record open and its readers shown.
	p.do(chromedp.EmulateViewport(375, 667, chromedp.EmulateMobile))
	if got := p.eval(`String(document.documentElement.scrollWidth <= window.innerWidth) + ' ' + document.documentElement.scrollWidth`); !strings.HasPrefix(got, "true") {
		wide := p.eval(`Array.from(document.querySelectorAll('body *')).filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
			.slice(0, 5).map((e) => e.tagName + '#' + e.id + '.' + e.className).join(' ')`)
		t.Errorf("on a 375 px screen the page is %s px wide: %s", strings.Fields(got)[1], wide)
	}
	p.axeCheck("a phone-sized screen", string(axe))

	// The check itself: an image without a text alternative is a critical
	// violation that axe must report.
	got := p.eval(`(() => { const i = document.createElement('img'); i.id = 'axe-probe'; i.src = 'data:,';
		document.querySelector('main').append(i);
		return axe.run(document).then((r) => { i.remove(); return r.violations.map((v) => v.id + ':' + v.impact).join(' '); }); })()`)
	if !strings.Contains(got, "image-alt:critical") {
		t.Fatalf("axe did not report an image without alt text: %q", got)
	}

	// The automatic lock: set to about a second in this browser's storage
	// (the page's setting takes whole minutes), the unlocked page forgets its
	// keys by itself and asks for the passphrase again.
	p.eval(`localStorage.setItem('blindvault.lockMinutes', '0.02'), ''`)
	p.do(chromedp.Reload())
	p.settle(`document.getElementById('status').textContent.startsWith('Unlock')`)
	p.act("Welcome back, ana", p.set("unlock-passphrase", patientPass), click("unlock"))
	p.settle(`document.getElementById('status').textContent.startsWith('Unlock') && !document.getElementById('unlock-view').hidden`)
}
