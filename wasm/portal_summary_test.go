//go:build !js

package main

import (
	"bytes"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/blindvault/blindvault/sdk"
)

// TestBrowser_Portal_Summary: "Download summary (PDF)" saves the printable
// summary, printed by pdf.wasm (fetched only then) from what blindvault.wasm
// verified: read back with Debian's pdftotext and rendered with pdftoppm, it
// names the records by type, their authors by key fingerprint, who can read
// the patient's record now and the clinician's read of it.
func TestBrowser_Portal_Summary(t *testing.T) {
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatal("pdftotext is not installed (Debian's poppler-utils; .ci/deps installs it)")
	}
	pdftoppm, err := exec.LookPath("pdftoppm")
	if err != nil {
		t.Fatal("pdftoppm is not installed (Debian's poppler-utils; .ci/deps installs it)")
	}
	axe, err := os.ReadFile(axePath(t))
	if err != nil {
		t.Fatalf("axe-core: %v (.ci/deps installs it with npm)", err)
	}
	ctx := t.Context()
	s := startSite(t)
	_, invite := registerAdmin(t, s)
	doctor := goClient(t, s)
	if _, err := doctor.Register(ctx, &sdk.RegisterOptions{Handle: "dr-lee", Role: "clinician", Invite: invite,
		Passphrase: []byte(clinicianPass)}); err != nil {
		t.Fatal(err)
	}
	drLeeFP := doctor.Card().Fingerprint().String()

	p := openPortal(t, s, "patient")
	p.signUp("fay")
	fayFP := p.text("me-fingerprint")
	obs := `{"resourceType":"Observation","status":"final","code":{"text":"Heart rate"},"valueQuantity":{"value":58,"unit":"/min"}}`
	p.act("Uploaded", p.set("upload-fhir", obs), p.set("upload-title", "Resting heart rate"), click("upload"))
	obsID := p.eval(`document.getElementById('status').dataset.recordId`)
	p.act("Compare", p.set("share-record", obsID), p.set("share-handle", "dr-lee"), click("share-lookup"))
	p.act("Shared with dr-lee", click("share-confirm"))
	shareNote(t, doctor, "fay")
	rid, err := sdk.ParseRecordID(obsID)
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	if _, err := doctor.Get(ctx, rid, &body); err != nil {
		t.Fatalf("the clinician reads the shared record: %v", err)
	}

	// pdf.wasm is fetched for the summary, not with the page.
	fetched := func() string {
		return p.eval(`String(performance.getEntriesByType('resource').filter((e) => e.name.endsWith('/pdf.wasm')).length)`)
	}
	if n := fetched(); n != "0" {
		t.Fatalf("pdf.wasm fetched %s times before the summary was asked for", n)
	}
	start := time.Now()
	data := p.download(func() { p.act("Your summary is a PDF", click("export-pdf")) })
	first := time.Since(start)
	start = time.Now()
	p.download(func() { p.act("Your summary is a PDF", click("export-pdf")) })
	t.Logf("summary of 2 records: %v the first time (pdf.wasm fetched and started), %v the second", first, time.Since(start))
	if n := fetched(); n != "1" {
		t.Errorf("pdf.wasm fetched %s times for two summaries, want once", n)
	}
	if !bytes.HasPrefix(data, []byte("%PDF-")) {
		t.Fatalf("the download starts %.20q, want a PDF", data)
	}
	file := filepath.Join(t.TempDir(), "summary.pdf")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	text, err := exec.Command(pdftotext, "-layout", file, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	got := strings.Join(strings.Fields(string(text)), " ") // lines wrap where the page ends
	for _, want := range []string{
		"Health records of fay",
		"Account fingerprint: " + fayFP,
		"2 records",
		"Observation (1)", "text/plain (1)",
		"Resting heart rate", "discharge note",
		"Written by fay, fingerprint " + fayFP,
		"Written by dr-lee, fingerprint " + drLeeFP,
		"Shared with you by dr-lee",
		"Can read it now: you; dr-lee (",
		"fingerprint " + drLeeFP + ")",
		"fay gave dr-lee access",
		"read: dr-lee",
		"every entry verified by the Blindvault client",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the portal's summary lacks %q:\n%s", want, got)
		}
	}

	// Rendered: a page of an A4 image with ink on it.
	prefix := filepath.Join(t.TempDir(), "page")
	if out, err := exec.Command(pdftoppm, "-png", "-r", "40", "-f", "1", "-l", "1", "-singlefile", file, prefix).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	f, err := os.Open(prefix + ".png")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("pdftoppm's page: %v", err)
	}
	b := img.Bounds()
	dark := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, _, _, _ := img.At(x, y).RGBA(); r < 0x8000 {
				dark++
			}
		}
	}
	if ratio := float64(b.Dy()) / float64(b.Dx()); ratio < 1.40 || ratio > 1.43 || dark < 500 {
		t.Errorf("page 1 renders %dx%d (want A4's 1:1.414) with %d dark pixels (want text)", b.Dx(), b.Dy(), dark)
	}
	p.axeCheck("records, after a summary download", string(axe))
}
