//go:build !js

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/blindvault/blindvault/internal/fhir/fhirtest"
	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// TestBrowser_Portal_FHIR: "Download my records" gives a FHIR R4 bundle
// (valid by the official schema) of what the patient holds, built by
// fhir.wasm from the records blindvault.wasm verified; "Import records" of
// another system's bundle adds its resources, skips them on a second import,
// and a bundle that is not one stores nothing and says so in words.
func TestBrowser_Portal_FHIR(t *testing.T) {
	s := startSite(t)
	p := openPortal(t, s, "patient")
	p.signUp("fay")
	obs := `{"resourceType":"Observation","status":"final","code":{"text":"Heart rate"},"valueQuantity":{"value":58,"unit":"/min"}}`
	p.act("Uploaded", p.set("upload-fhir", obs), click("upload"))
	dir := t.TempDir()
	letter := filepath.Join(dir, "letter.txt")
	if err := os.WriteFile(letter, []byte("Discharged on Tuesday."), 0o600); err != nil {
		t.Fatal(err)
	}
	p.act("Uploaded", chromedp.SetUploadFiles("#upload-file", []string{letter}), click("upload"))

	// The bundle is saved as a download, as a patient's browser would.
	data := p.download(func() { p.act("Your records are in a FHIR bundle", click("export-fhir")) })
	if err := fhirtest.Validate(data); err != nil {
		t.Fatalf("the portal's bundle is not FHIR R4: %v\n%.2000s", err, data)
	}
	var bundle struct {
		ResourceType string
		Entry        []struct{ Resource json.RawMessage }
	}
	if err := json.Unmarshal(data, &bundle); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, e := range bundle.Entry {
		var r struct{ ResourceType string }
		json.Unmarshal(e.Resource, &r)
		kinds[r.ResourceType]++
	}
	// The Observation as itself; the letter as a Binary with its
	// DocumentReference; a Provenance for each record.
	if bundle.ResourceType != "Bundle" || kinds["Observation"] != 1 || kinds["Binary"] != 1 || kinds["DocumentReference"] != 1 || kinds["Provenance"] != 2 {
		t.Fatalf("bundle holds %v, want an Observation, a Binary, a DocumentReference and 2 Provenances", kinds)
	}
	if !bytes.Contains(data, []byte("Heart rate")) || !bytes.Contains(data, []byte("signatures-verified")) {
		t.Fatalf("bundle lacks the observation or its provenance:\n%.2000s", data)
	}

	// Another system's bundle: two resources, imported once.
	other := filepath.Join(dir, "other.json")
	if err := os.WriteFile(other, []byte(`{"resourceType":"Bundle","type":"collection","entry":[`+
		`{"resource":{"resourceType":"Condition","id":"c1","code":{"text":"Asthma"},"subject":{"display":"Fay"}}},`+
		`{"resource":{"resourceType":"Immunization","id":"i1","status":"completed","vaccineCode":{"text":"Influenza"},`+
		`"patient":{"display":"Fay"},"occurrenceDateTime":"2026-10-01"}}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	p.act("Imported 2 records", chromedp.SetUploadFiles("#import-file", []string{other}), click("import-fhir"))
	p.act("Imported 0 records; 2 you already had were skipped", chromedp.SetUploadFiles("#import-file", []string{other}), click("import-fhir"))
	rows := func() string { return p.eval(`String(document.querySelectorAll('#records button[data-open]').length)`) }
	if got := rows(); got != "4" {
		t.Fatalf("%s records listed after the import, want 4", got)
	}

	// Not a bundle: an error in words, and nothing stored.
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"resourceType":"Patient","id":"x"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	got := p.act("ERROR INVALID", chromedp.SetUploadFiles("#import-file", []string{bad}), click("import-fhir"))
	if !strings.Contains(got, "not a valid file") {
		t.Errorf("a refused bundle says %q, want it in words", got)
	}
	p.act("Refreshing", click("refresh"))
	p.do(until(`!document.getElementById('status').textContent.startsWith('Refreshing')`))
	if n := rows(); n != "4" {
		t.Fatalf("%s records after a refused import, want 4", n)
	}
}

// download runs act, which makes the page save a file, and returns the
// file's bytes once the browser has written it.
func (p *page) download(act func()) []byte {
	p.t.Helper()
	dir := p.t.TempDir()
	ctx, cancel := context.WithTimeout(p.ctx, 90*time.Second)
	defer cancel()
	progress := chromedp.Events(ctx, cdpbrowser.DownloadProgress)
	events := true
	p.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
			Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: &events})
		return err
	}))
	act()
	for ev, err := range progress {
		if err != nil {
			p.t.Fatalf("[%s] waiting for the download: %v", p.name, err)
		}
		switch ev.State {
		case cdpbrowser.DownloadProgressStateCompleted:
			data, err := os.ReadFile(filepath.Join(dir, ev.GUID))
			if err != nil {
				p.t.Fatal(err)
			}
			return data
		case cdpbrowser.DownloadProgressStateCanceled:
			p.t.Fatalf("[%s] the download was cancelled", p.name)
		}
	}
	p.t.Fatalf("[%s] no download", p.name)
	return nil
}
