//go:build !js

package main

import (
	"fmt"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/blindvault/blindvault/server"
)

// addAuthenticator gives the page's browser a virtual platform authenticator
// (CTAP 2.1, internal transport, resident keys, user verification that
// succeeds), as a laptop's built-in passkey store would be.
func (p *page) addAuthenticator() webauthn.AuthenticatorID {
	p.t.Helper()
	if _, err := chromedp.Call(p.ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		p.t.Fatalf("[%s] WebAuthn.enable: %v", p.name, err)
	}
	r, err := chromedp.Call(p.ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21,
			Transport: webauthn.AuthenticatorTransportInternal, HasResidentKey: true, HasUserVerification: true,
			IsUserVerified: true, AutomaticPresenceSimulation: true,
			// Only so that WebAuthn.addCredential, which always sends the
			// generateCmtgKeyOnNextOperation field, is accepted.
			HasCmtgKey: true,
		},
	})
	if err != nil {
		p.t.Fatalf("[%s] WebAuthn.addVirtualAuthenticator: %v", p.name, err)
	}
	return r.AuthenticatorID
}

// credentials returns the passkeys the authenticator holds.
func (p *page) credentials(id webauthn.AuthenticatorID) []*webauthn.Credential {
	p.t.Helper()
	r, err := chromedp.Call(p.ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: id})
	if err != nil {
		p.t.Fatalf("[%s] WebAuthn.getCredentials: %v", p.name, err)
	}
	return r.Credentials
}

// carry puts a copy of cred on another browser's authenticator: the passkey
// travels to the new device, as a synced passkey or a security key would.
func (p *page) carry(id webauthn.AuthenticatorID, cred *webauthn.Credential) {
	p.t.Helper()
	c := &webauthn.Credential{CredentialID: cred.CredentialID, IsResidentCredential: cred.IsResidentCredential, RpID: cred.RpID,
		PrivateKey: cred.PrivateKey, UserHandle: cred.UserHandle, SignCount: cred.SignCount, UserName: cred.UserName, UserDisplayName: cred.UserDisplayName}
	if _, err := chromedp.Call(p.ctx, webauthn.AddCredential, webauthn.AddCredentialParams{AuthenticatorID: id, Credential: c}); err != nil {
		p.t.Fatalf("[%s] WebAuthn.addCredential: %v", p.name, err)
	}
}

// TestBrowser_PasskeyLogin: a patient adds a passkey in the portal (a
// virtual authenticator in Chromium), signs in on a new device (a fresh
// browser profile: new IndexedDB) with the passphrase and the passkey, and
// reads her record there; a page on another origin that gets the same
// passkey to answer is refused by the server.
func TestBrowser_PasskeyLogin(t *testing.T) {
	// WebAuthn needs a host name: the site is http://localhost:PORT, the
	// relying party id "localhost".
	s := startSiteWith(t, server.Config{Origin: "http://localhost"})
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	fhir := `{"resourceType":"Observation","status":"final","code":{"text":"Heart rate"},"valueQuantity":{"value":61,"unit":"/min"}}`

	laptop := openPortal(t, s, "laptop")
	laptopKeys := laptop.addAuthenticator()
	laptop.signUp("ana")
	laptop.act("Uploaded", laptop.set("upload-fhir", fhir), click("upload"))
	recordID := laptop.eval(`document.getElementById('status').dataset.recordId`)

	laptop.act(`Passkey "laptop key" added`, laptop.set("passkey-name", "laptop key"), click("passkey-add"))
	if got := laptop.eval(`Array.from(document.querySelectorAll('#factors tbody tr'), (r) => r.cells[0].textContent + ':' + r.cells[1].textContent).join('; ')`); got != "Passkey:laptop key" {
		t.Fatalf("second factors shown = %q, want the passkey", got)
	}
	creds := laptop.credentials(laptopKeys)
	if len(creds) != 1 || creds[0].RpID != "localhost" {
		t.Fatalf("the authenticator holds %d passkeys (%+v), want one for localhost", len(creds), creds)
	}

	// A new device with the passkey: passphrase, then the passkey.
	phone := openPortal(t, s, "phone")
	phone.carry(phone.addAuthenticator(), creds[0])
	phone.do(until(`document.getElementById('status').textContent.startsWith('Create an account')`))
	got := phone.act("Signed in on this device", phone.set("login-handle", "ana"), phone.set("login-passphrase", patientPass), click("login"))
	t.Logf("passkey login: %s", got)
	phone.do(until(`document.getElementById('records').dataset.count === '1'`))
	phone.act("Opened", chromedp.Click(fmt.Sprintf(`button[data-open="%s"]`, recordID)))
	if got := phone.text("viewer-text"); got != fhir {
		t.Errorf("the new device read %q, want %q", got, fhir)
	}
	if n := phone.eval(`document.getElementById('factors').dataset.count`); n != "1" {
		t.Errorf("the new device lists %s second factors, want 1", n)
	}

	// The same portal at another origin (a phishing page on another port of
	// the same host, relaying to the real server), with the same passkey:
	// the browser lets it ask for the relying party "localhost", the
	// authenticator answers with that origin in its client data, and the
	// server refuses the answer.
	relay := httptest.NewServer(httputil.NewSingleHostReverseProxy(u))
	t.Cleanup(relay.Close)
	ru, err := url.Parse(relay.URL)
	if err != nil {
		t.Fatal(err)
	}
	phish := &page{t: t, name: "phish", ctx: browser(t, "phish")}
	phish.carry(phish.addAuthenticator(), creds[0])
	phish.do(chromedp.Navigate(fmt.Sprintf("http://localhost:%s/", ru.Port())))
	phish.do(until(`document.getElementById('status').textContent.startsWith('Create an account')`))
	got = phish.act("ERROR SECOND_FACTOR", phish.set("login-handle", "ana"), phish.set("login-passphrase", patientPass), click("login"))
	if title := phish.eval(`document.getElementById('status').title`); !strings.Contains(title, "refused the passkey") {
		t.Fatalf("phishing origin: status %q (%s), want the server's refusal of the passkey", got, title)
	}
}
