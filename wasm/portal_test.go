//go:build !js

package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/blindvault/blindvault/sdk"
)

const (
	patientPass   = "a long patient passphrase 2026"
	clinicianPass = "the clinician's own passphrase 77"
)

func goClient(t *testing.T, s *site) *sdk.Client {
	t.Helper()
	c, err := sdk.Connect(t.Context(), sdk.Config{Server: s.URL})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestBrowser_Portal is the patient portal in two Chromium profiles, a
// patient and a clinician: register, upload a FHIR resource and a file,
// share with the clinician after comparing fingerprints, the clinician
// reads, the patient sees the read in the access history, revokes, and the
// clinician is refused. Records cross
// between the page and the Go SDK both ways, and the server's database
// never holds a byte of plaintext.
func TestBrowser_Portal(t *testing.T) {
	s := startSite(t)
	ctx := t.Context()
	marker := "bv-plaintext-marker-" + hex.EncodeToString(random(8))

	admin, invite := registerAdmin(t, s)

	patient := openPortal(t, s, "patient")
	clinician := openPortal(t, s, "clinician")
	for _, p := range []*page{patient, clinician} {
		p.do(until(`document.getElementById('status').textContent.startsWith('Create an account')`))
	}
	patient.act("Account created", patient.set("register-handle", "ana"), patient.set("register-passphrase", patientPass),
		click("register"))
	clinician.act("Account created", clinician.set("register-handle", "dr-lee"), clinician.set("register-passphrase", clinicianPass),
		clinician.set("register-role", "clinician"), clinician.set("register-invite", invite), click("register"))
	// The recovery code is shown once, in a dialog that stays until the
	// patient says it is written down, and then leaves the page.
	for _, p := range []*page{patient, clinician} {
		if code := p.text("recovery-code"); len(code) < 20 || p.eval(`String(document.getElementById('recovery').open && document.getElementById('recovery-done').disabled)`) != "true" {
			t.Errorf("[%s] recovery code shown = %q, or the dialog lets it go unconfirmed", p.name, code)
		}
		p.do(click("recovery-saved"), click("recovery-done"))
		if code := p.text("recovery-code"); code != "" || p.eval(`String(document.getElementById('recovery').open)`) != "false" {
			t.Errorf("[%s] after Done the recovery code is still on the page: %q", p.name, code)
		}
	}
	drLeeFP := clinician.text("me-fingerprint")

	// Uploads, encrypted in the page: a FHIR resource and a 3 MiB file.
	fhir := fmt.Sprintf(`{"resourceType":"Observation","status":"final","code":{"text":"Blood pressure"},`+
		`"valueQuantity":{"value":128,"unit":"mmHg"},"referenceRange":[{"high":{"value":120,"unit":"mmHg"}}],"note":[{"text":%q}]}`, marker)
	patient.act("Uploaded", patient.set("upload-fhir", fhir), click("upload"))
	fhirID := patient.eval(`document.getElementById('status').dataset.recordId`)
	file := append([]byte(marker), random(3<<20+123)...)
	path := filepath.Join(t.TempDir(), "scan.bin")
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}
	patient.act("Uploaded", chromedp.SetUploadFiles("#upload-file", []string{path}), click("upload"))
	fileID := patient.eval(`document.getElementById('status').dataset.recordId`)

	// Share: the fingerprint the page shows is the clinician's.
	patient.act("Compare", patient.set("share-record", fhirID), patient.set("share-handle", "dr-lee"), click("share-lookup"))
	if got := patient.text("share-fingerprint"); got != drLeeFP {
		t.Fatalf("fingerprint shown to the patient = %q, the clinician's is %q", got, drLeeFP)
	}
	patient.act("Shared with dr-lee", click("share-confirm"))

	// The clinician reads it.
	clinician.act("Refreshing", click("refresh")) // the status passes through "Refreshing…"
	clinician.do(until(fmt.Sprintf(`!!document.querySelector('button[data-open="%s"]')`, fhirID)))
	clinician.act("Opened", chromedp.Click(fmt.Sprintf(`button[data-open="%s"]`, fhirID)))
	if got := clinician.text("viewer-text"); got != fhir {
		t.Errorf("clinician read %q, want %q", got, fhir)
	}
	// The Observation is shown in words, the raw JSON a click away.
	if got := clinician.text("viewer-summary"); got != "ObservationBlood pressureValue128 mmHgReference rangeat most 120 mmHgStatusfinal" {
		t.Errorf("the clinician sees the Observation as %q", got)
	}

	// Interop: the Go SDK, on a new device of the patient, opens what the
	// page sealed, and the page opens what Go sealed.
	goPatient := goClient(t, s)
	if _, err := goPatient.Login(ctx, &sdk.LoginOptions{Handle: "ana", Passphrase: []byte(patientPass)}); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string][]byte{fileID: file, fhirID: []byte(fhir)} {
		rid, _ := sdk.ParseRecordID(id)
		var got bytes.Buffer
		info, err := goPatient.Get(ctx, rid, &got)
		if err != nil {
			t.Fatalf("Go SDK Get(record sealed in the page) = %v", err)
		}
		if !bytes.Equal(got.Bytes(), want) || !info.AuthorVerified {
			t.Errorf("Go SDK read %d bytes of record %s (author verified %v), want the %d the page sealed", got.Len(), id[:8], info.AuthorVerified, len(want))
		}
	}
	letter := strings.Repeat("Discharge letter, sealed by the Go SDK. "+marker+"\n", 2500) // ~170 KiB, 11 chunks
	info, err := goPatient.Put(ctx, strings.NewReader(letter), &sdk.PutOptions{Title: "Discharge letter", Type: "text/plain", Size: int64(len(letter))})
	if err != nil {
		t.Fatal(err)
	}
	patient.act("Refreshing", click("refresh"))
	patient.do(until(fmt.Sprintf(`!!document.querySelector('button[data-open="%s"]')`, info.RecordID.String())))
	patient.act("Opened", chromedp.Click(fmt.Sprintf(`button[data-open="%s"]`, info.RecordID.String())))
	sum := sha256.Sum256([]byte(letter))
	if got := patient.eval(`crypto.subtle.digest('SHA-256', new TextEncoder().encode(document.getElementById('viewer-text').textContent))
		.then((d) => Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, '0')).join(''))`); got != hex.EncodeToString(sum[:]) {
		t.Errorf("the page read the Go-sealed letter with SHA-256 %s, want %x", got, sum)
	}

	// The patient reads who read the record: the clinician's read is in the
	// verified log.
	patient.act("Access history", chromedp.Click(fmt.Sprintf(`button[data-history="%s"]`, fhirID)))
	events := patient.eval(`Array.from(document.querySelectorAll('#history-events tbody tr'), (r) => r.cells[1].textContent).join('; ')`)
	for _, want := range []string{"dr-lee opened it", "You shared it with dr-lee", "You created it"} {
		if !strings.Contains(events, want) {
			t.Errorf("access history = %q, want %q", events, want)
		}
	}
	if strings.Contains(events, "shared it with you") || strings.Contains(events, "ACL") {
		t.Errorf("access history = %q: the owner's own grants and ACL changes are bookkeeping, not news", events)
	}

	// Who can read it now, and revoke from there (asked first).
	patient.act("2 people can read", chromedp.Click(fmt.Sprintf(`button[data-readers="%s"]`, fhirID)))
	if got := patient.eval(`Array.from(document.querySelectorAll('#readers-list tbody tr'), (r) => r.cells[0].textContent + ':' + r.cells[1].textContent + ':' + r.cells[3].textContent).join('; ')`); !strings.Contains(got, "ana (you):") || !strings.Contains(got, "dr-lee:"+drLeeFP+":read") {
		t.Errorf("readers = %q, want ana and dr-lee with the fingerprint compared at sharing", got)
	}
	revokeLee := chromedp.Click(`#readers-list button[data-revoke="dr-lee"]`)
	patient.act("Stop sharing", revokeLee)
	patient.act("You stopped sharing", revokeLee)
	if got := patient.eval(`String(document.querySelectorAll('#readers-list tbody tr').length)`); got != "1" {
		t.Errorf("after the revoke %s readers are listed, want 1", got)
	}
	clinician.act("ERROR REVOKED", chromedp.Click(fmt.Sprintf(`button[data-open="%s"]`, fhirID)))
	if got := clinician.text("status"); got != "The owner of this record stopped sharing it with you." {
		t.Errorf("the clinician reads %q for a revoked record, want it in words", got)
	}

	// A care team: the clinic's admin puts dr-lee in its team; the patient
	// trusts the clinic (its admin's fingerprint), checks the team's members,
	// and shares once with the team; dr-lee reads through the team.
	if _, err := admin.CreateTeam(ctx, "Cardiology", &sdk.TeamOptions{Org: "Example Clinic"}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.AddTeamMember(ctx, "Cardiology", "dr-lee", nil); err != nil {
		t.Fatal(err)
	}
	patient.act("You trust Example Clinic", patient.set("trust-org", "Example Clinic"), patient.set("trust-admin", "admin"),
		patient.set("trust-fingerprint", admin.Card().Fingerprint().String()), click("trust"))
	patient.act("Check the team", patient.set("team-record", fhirID), patient.set("team-name", "Example Clinic/Cardiology"), click("team-lookup"))
	if got, want := patient.text("team-status"), "verified care team Cardiology of Example Clinic, 1 member"; got != want || patient.text("team-members") != "dr-lee" {
		t.Errorf("team shown to the patient = %q with members %q, want %q with dr-lee", got, patient.text("team-members"), want)
	}
	patient.act("Shared with the team Cardiology", click("team-confirm"))
	clinician.act("Opened", chromedp.Click(fmt.Sprintf(`button[data-open="%s"]`, fhirID)))
	if got := clinician.text("viewer-text"); got != fhir {
		t.Errorf("team member read %q, want %q", got, fhir)
	}
	patient.act("2 people can read", chromedp.Click(fmt.Sprintf(`button[data-readers="%s"]`, fhirID)))
	if got := patient.eval(`Array.from(document.querySelectorAll('#readers-list tbody tr'), (r) => r.cells[0].textContent + ':' + r.cells[2].textContent).join('; ')`); !strings.Contains(got, "team Cardiology (dr-lee):verified care team Cardiology of Example Clinic") {
		t.Errorf("readers = %q, want the team with its member and status", got)
	}
	revokeTeam := chromedp.Click(`#readers-list button[data-revoke="team Cardiology"]`)
	patient.act("Stop sharing", revokeTeam)
	patient.act("You stopped sharing", revokeTeam)

	// The patient unlocks again after a reload, and signs in on the
	// clinician's browser as a new device (after it forgets dr-lee).
	patient.do(chromedp.Reload())
	patient.settle(`document.getElementById('status').textContent.startsWith('Unlock')`)
	patient.act("Welcome back, ana", patient.set("unlock-passphrase", patientPass), click("unlock"))
	clinician.do(chromedp.Click("#logout"))
	clinician.settle(`document.getElementById('status').textContent.startsWith('Unlock')`)
	clinician.do(chromedp.Click("#forget"))
	clinician.settle(`document.getElementById('status').textContent.startsWith('Create an account')`)
	got := clinician.act("Signed in on this device", clinician.set("login-handle", "ana"), clinician.set("login-passphrase", patientPass), click("login"))
	t.Logf("portal: %s", got)
	clinician.do(until(`document.getElementById('records').dataset.count === '3'`))

	// Deleting asks first: one click asks, the second deletes.
	deleteFile := chromedp.Click(fmt.Sprintf(`button[data-delete="%s"]`, fileID))
	patient.act(`Delete "`, deleteFile)
	if n := patient.eval(`document.getElementById('records').dataset.count`); n != "3" {
		t.Fatalf("one click on Delete left %s records, want 3", n)
	}
	patient.act("Record deleted", deleteFile)
	patient.do(until(`document.getElementById('records').dataset.count === '2'`))

	// The server is blind: no plaintext in its database.
	db, err := os.ReadFile(s.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(db, []byte(marker)); n != 0 {
		t.Errorf("the server's database holds the plaintext marker %d times", n)
	}
	if bytes.Contains(db, []byte("Blood pressure")) || bytes.Contains(db, file[len(marker):len(marker)+64]) {
		t.Errorf("the server's database holds plaintext")
	}
}
