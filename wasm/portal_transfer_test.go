//go:build !js

package main

import (
	"strings"
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
	ctx := t.Context()
	// bo reads ana's record on the old server, and moves after her.
	const boPass = "bo's own long passphrase 3"
	bo := goClient(t, s)
	if _, err := bo.Register(ctx, &sdk.RegisterOptions{Handle: "bo", Passphrase: []byte(boPass)}); err != nil {
		t.Fatal(err)
	}
	p.do(chromedp.Navigate(s.URL + "/"))
	p.signUp("ana")
	p.act("Uploaded", p.set("upload-fhir", `{"resourceType":"Observation","status":"final","code":{"text":"Pulse"}}`), click("upload"))
	id := p.eval(`document.getElementById('status').dataset.recordId`)
	p.act("Compare", p.set("share-record", id), p.set("share-handle", "bo"), click("share-lookup"))
	p.act("Shared with bo", click("share-confirm"))

	if got := p.act("Moved 1 record(s) to "+srvB.URL, p.set("move-url", srvB.URL), p.set("move-passphrase", patientPass), click("move")); !strings.Contains(got, "Not on the new server yet: bo (1 record(s))") {
		t.Errorf("after the move the page says %q, want bo named as waiting", got)
	}
	if got := p.eval(`String(document.querySelectorAll('button[data-open]').length) + ' ' + String(!!document.querySelector('button[data-open="` + id + `"]'))`); got != "1 true" {
		t.Errorf("records listed from the new server, and the moved one among them = %s, want 1 true", got)
	}
	if got := p.act("Gave 0 key(s)", click("grant-pending")); !strings.Contains(got, "Still waiting: bo (1 record(s))") {
		t.Errorf("before bo moves, giving waiting readers their keys says %q", got)
	}

	// bo moves; the page gives him his key, checked as a share is, and he
	// reads the record on the new server.
	boOnB, _, err := bo.Transfer(ctx, &sdk.TransferOptions{To: sdk.Config{Server: srvB.URL, Storage: &sdk.MemoryStorage{}}, Passphrase: []byte(boPass)})
	if err != nil {
		t.Fatalf("bo's transfer: %v", err)
	}
	p.act("Gave 1 key(s) to readers who joined. No one is waiting.", click("grant-pending"))
	rid, err := sdk.ParseRecordID(id)
	if err != nil {
		t.Fatal(err)
	}
	var body strings.Builder
	if _, err := boOnB.Get(ctx, rid, &body); err != nil || !strings.Contains(body.String(), "Pulse") {
		t.Fatalf("bo's Get on the new server = %q, %v", body.String(), err)
	}

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
	if _, err := onA.Register(ctx, &sdk.RegisterOptions{Handle: "cy", Passphrase: []byte("cy's own long passphrase 4")}); err != nil {
		t.Fatal(err)
	}
	if to, err := onA.MovedTo(ctx, ana.AccountID); err != nil || to != srvB.URL {
		t.Errorf("MovedTo(ana) on the old server = %q, %v; want %q", to, err, srvB.URL)
	}
}
