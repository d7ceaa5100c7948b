package fhir

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/blindvault/blindvault/internal/fhir/fhirtest"
)

func testRecords() []*Record {
	t0 := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	alice := Agent{Fingerprint: "ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23-4567", Handle: "alice"}
	clin := Agent{Fingerprint: "2345-6723-4567-ABCD-EFGH-IJKL-MNOP-QRST", Handle: "dr <jones> & co"}
	return []*Record{
		{ID: [32]byte{1}, Version: 1, Type: "Observation", Title: "glucose",
			Body:    []byte(`{"resourceType":"Observation","id":"glu-1","status":"final","code":{"text":"glucose"},"valueQuantity":{"value":5.4,"unit":"mmol/L"}}`),
			Created: t0, Modified: t0, Author: alice, Verified: true},
		{ID: [32]byte{2}, Version: 3, Type: "application/pdf", Title: "discharge letter", Tags: []string{"hospital", " ", "2026", DigestTagPrefix + "bookkeeping"},
			Body: []byte("%PDF-1.7 not really"), Created: t0, Modified: t0.Add(time.Hour), Author: clin, Verified: true},
		{ID: [32]byte{3}, Version: 1, Type: "note", Title: "", Body: []byte("{\"not\": \"fhir\"}"), Created: t0, Modified: t0, Author: alice, Verified: true},
		{ID: [32]byte{4}, Version: 2, Type: "text/plain; charset=utf-8", Title: "empty", Body: nil, Author: alice, Verified: true},
	}
}

func export(t testing.TB, recs []*Record) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, "bundle-1", time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if err := w.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestWriter_ValidatesAsR4(t *testing.T) {
	for _, recs := range [][]*Record{testRecords(), nil} {
		if err := fhirtest.Validate(export(t, recs)); err != nil {
			t.Errorf("export of %d records is not FHIR R4 by the official schema: %v", len(recs), err)
		}
	}
}

func TestWriter_Entries(t *testing.T) {
	var b struct {
		ResourceType, Type string
		Entry              []struct {
			FullURL  string          `json:"fullUrl"`
			Resource json.RawMessage `json:"resource"`
		}
	}
	if err := json.Unmarshal(export(t, testRecords()), &b); err != nil {
		t.Fatal(err)
	}
	if b.ResourceType != "Bundle" || b.Type != "collection" {
		t.Fatalf("bundle = %s %s, want Bundle collection", b.ResourceType, b.Type)
	}
	var kinds []string
	byURL := map[string]map[string]any{}
	for _, e := range b.Entry {
		var m map[string]any
		if err := json.Unmarshal(e.Resource, &m); err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, m["resourceType"].(string))
		byURL[e.FullURL] = m
	}
	want := "Observation Provenance DocumentReference Binary Provenance DocumentReference Binary Provenance DocumentReference Binary Provenance"
	if got := strings.Join(kinds, " "); got != want {
		t.Fatalf("entries = %s, want %s", got, want)
	}
	// The FHIR record is itself.
	if !bytes.Equal(b.Entry[0].Resource, testRecords()[0].Body) {
		t.Errorf("Observation = %s, want the body unchanged", b.Entry[0].Resource)
	}
	// The PDF: a DocumentReference pointing at a Binary holding its bytes.
	doc, bin := byURL[b.Entry[2].FullURL], byURL[b.Entry[3].FullURL]
	att := doc["content"].([]any)[0].(map[string]any)["attachment"].(map[string]any)
	if att["url"] != b.Entry[3].FullURL || att["contentType"] != "application/pdf" || doc["description"] != "discharge letter" {
		t.Errorf("DocumentReference = %v", doc)
	}
	if data, _ := base64.StdEncoding.DecodeString(bin["data"].(string)); string(data) != "%PDF-1.7 not really" || bin["contentType"] != "application/pdf" {
		t.Errorf("Binary = %v", bin)
	}
	// Its Provenance names the author by fingerprint, the version, and the verification.
	prov := byURL[b.Entry[4].FullURL]
	who := prov["agent"].([]any)[0].(map[string]any)["who"].(map[string]any)["identifier"].(map[string]any)
	if who["system"] != SystemFingerprint || who["value"] != testRecords()[1].Author.Fingerprint {
		t.Errorf("Provenance agent = %v", who)
	}
	ext := prov["extension"].([]any)
	if ext[0].(map[string]any)["valuePositiveInt"] != 3.0 || ext[1].(map[string]any)["valueBoolean"] != true {
		t.Errorf("Provenance extensions = %v", ext)
	}
	if len(prov["target"].([]any)) != 2 {
		t.Errorf("Provenance targets = %v, want the DocumentReference and the Binary", prov["target"])
	}
	// The same records export to the same ids.
	if !bytes.Equal(export(t, testRecords()), export(t, testRecords())) {
		t.Errorf("two exports of the same records differ")
	}
}
