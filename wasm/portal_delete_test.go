//go:build !js

package main

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// TestBrowser_Portal_DeleteAccount: "Delete my account" asks for the name
// typed out in a dialog; a wrong name deletes nothing; the right one
// schedules the deletion and forgets the profile; signing in again and
// "Restore my account" cancel it.
func TestBrowser_Portal_DeleteAccount(t *testing.T) {
	s := startSite(t)
	p := openPortal(t, s, "patient")
	p.signUp("eve")

	p.act("The name typed does not match", click("delete-account-open"), p.set("delete-account-handle", "someone else"), click("delete-account-confirm"))
	if got := directoryStatus(t, s, "eve"); got != "active" {
		t.Fatalf("eve's status after a refused confirmation = %q, want active", got)
	}
	p.act("Your account is scheduled for deletion", click("delete-account-open"), p.set("delete-account-handle", "eve"), click("delete-account-confirm"))
	if got := directoryStatus(t, s, "eve"); got != "deleting" {
		t.Fatalf("eve's status after the confirmed deletion = %q, want deleting", got)
	}
	if got := p.eval(`String(document.getElementById('account-view').hidden)`); got != "false" {
		t.Fatalf("after the deletion the page does not show the sign-in view")
	}
	p.act("Signed in on this device", p.set("login-handle", "eve"), p.set("login-passphrase", patientPass), click("login"))
	p.act("Your account is restored", click("restore-account"))
	if got := directoryStatus(t, s, "eve"); got != "active" {
		t.Fatalf("eve's status after the restore = %q, want active", got)
	}
}

// directoryStatus is the account status the key directory shows for handle.
func directoryStatus(t *testing.T, s *site, handle string) string {
	t.Helper()
	resp, err := http.Get(s.URL + "/v1/directory/" + handle)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct{ Status string }
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&v); err != nil {
		t.Fatalf("directory %s: %d, %v", handle, resp.StatusCode, err)
	}
	return v.Status
}
