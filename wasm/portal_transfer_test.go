//go:build !js

package main

import (
	"testing"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/servertest"
)

// TestBrowser_Portal_Transfer: "Move my records to another server" moves
// the patient's record to a second server; the page then works with the new
// server, which holds the record, and the old one shows the pointer the
// patient signed. The new server allows the portal's origin
// (Config.CORSOrigins, serve --cors-origin), and the browser enforces CORS as
// it would in a deployment. The portal's own policy would name the new server
// in connect-src (serve --web-connect, tested in server/web); the two sites'
// addresses are chosen at start, so this browser bypasses that policy only.
func TestBrowser_Portal_Transfer(t *testing.T) {
	s := startSite(t)
	srvB := servertest.Start(t, server.Config{CORSOrigins: []string{s.URL}})
	p := &page{t: t, name: "patient", ctx: browser(t, "patient")}
	if _, err := chromedp.Call(p.ctx, cdppage.SetBypassCSP, cdppage.SetBypassCSPParams{Enabled: true}); err != nil {
		t.Fatalf("Page.setBypassCSP: %v", err)
	}
	p.do(chromedp.Navigate(s.URL + "/"))
	p.signUp("ana")
	p.act("Uploaded", p.set("upload-fhir", `{"resourceType":"Observation","status":"final","code":{"text":"Pulse"}}`), click("upload"))
	id := p.eval(`document.getElementById('status').dataset.recordId`)

	p.act("Moved 1 record(s) to "+srvB.URL, p.set("move-url", srvB.URL), p.set("move-passphrase", patientPass), click("move"))
	if got := p.eval(`String(document.querySelectorAll('button[data-open]').length) + ' ' + String(!!document.querySelector('button[data-open="` + id + `"]'))`); got != "1 true" {
		t.Errorf("records listed from the new server, and the moved one among them = %s, want 1 true", got)
	}

	ctx := t.Context()
	onB, err := sdk.Connect(ctx, sdk.Config{Server: srvB.URL})
	if err != nil {
		t.Fatal(err)
	}
	ana, err := onB.Login(ctx, &sdk.LoginOptions{Handle: "ana", Passphrase: []byte(patientPass)})
	if err != nil {
		t.Fatalf("Login on the new server: %v", err)
	}
	if list, err := onB.List(ctx); err != nil || len(list) != 1 {
		t.Fatalf("List on the new server = %d records, %v; want 1", len(list), err)
	}
	onA := goClient(t, s)
	if _, err := onA.Register(ctx, &sdk.RegisterOptions{Handle: "bo", Passphrase: []byte("bo's own long passphrase 3")}); err != nil {
		t.Fatal(err)
	}
	if to, err := onA.MovedTo(ctx, ana.AccountID); err != nil || to != srvB.URL {
		t.Errorf("MovedTo(ana) on the old server = %q, %v; want %q", to, err, srvB.URL)
	}
}
