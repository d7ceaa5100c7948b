package fhir

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParse_ExportRoundTrip(t *testing.T) {
	recs := testRecords()
	entries, err := Parse(bytes.NewReader(export(t, recs)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(recs) {
		t.Fatalf("Parse(export of %d records) = %d entries: %+v", len(recs), len(entries), entries)
	}
	obs := entries[0]
	if obs.ResourceType != "Observation" || obs.Type != "Observation" || !bytes.Equal(obs.Body, recs[0].Body) || obs.Title != "Observation glu-1" {
		t.Errorf("entry 0 = %+v, want the Observation as it was", obs)
	}
	pdf := entries[1]
	if pdf.ResourceType != "Binary" || string(pdf.Body) != string(recs[1].Body) || pdf.Type != "application/pdf" ||
		pdf.Title != "discharge letter" || strings.Join(pdf.Tags, ",") != "hospital,2026" {
		t.Errorf("entry 1 = %+v, want the PDF with its title, type and tags", pdf)
	}
	// A type that is no MIME type travels in the DocumentReference.
	if note := entries[2]; note.Type != "note" || string(note.Body) != string(recs[2].Body) {
		t.Errorf("entry 2 = %+v, want type note", note)
	}
	if empty := entries[3]; len(empty.Body) != 0 || empty.Type != "text/plain" { // a record type has no spaces
		t.Errorf("entry 3 = %+v, want an empty text/plain body (no parameters)", empty)
	}
	// Exporting again (other ids, other times) gives the same digests.
	for _, r := range recs {
		r.ID[31], r.Version = 9, r.Version+1
	}
	again, err := Parse(bytes.NewReader(export(t, recs)), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range entries {
		if again[i].Digest != entries[i].Digest {
			t.Errorf("entry %d: digest changed between two exports of the same content", i)
		}
	}
}

func TestParse_ForeignBundle(t *testing.T) {
	doc := `{"resourceType":"Bundle","type":"searchset","entry":[
	  {"fullUrl":"http://ehr.example/Patient/p1","resource":{"resourceType":"Patient","id":"p1","name":[{"family":"Doe"}]},"search":{"mode":"match"}},
	  {"resource":{"resourceType":"Patient","id":"p1","name":[{"family":"Doe"}]}},
	  {"resource":{"resourceType":"DocumentReference","status":"current","content":[{"attachment":{"url":"Binary/b1"}}]}},
	  {"fullUrl":"Binary/b1","resource":{"resourceType":"Binary","id":"b1","contentType":"image/png","data":"iVBORw0KGgo="}}]}`
	entries, err := Parse(strings.NewReader(doc), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.ResourceType+":"+e.Title)
	}
	if want := "Patient:Patient p1 DocumentReference:DocumentReference Binary:Binary b1"; strings.Join(got, " ") != want {
		t.Errorf("entries = %s, want %s (the duplicate Patient once)", strings.Join(got, " "), want)
	}
}

func TestParse_Refuses(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 40)
	wide := `{"resourceType":"Bundle","type":"collection","entry":[` + strings.TrimSuffix(strings.Repeat(`{"resource":{"resourceType":"Basic","code":{"text":"x"}}},`, 11), ",") + `]}`
	for _, tc := range []struct {
		name, doc string
		want      error
	}{
		{"empty", ``, ErrMalformed},
		{"not JSON", `<Bundle/>`, ErrMalformed},
		{"truncated", `{"resourceType":"Bundle","type":"collection","entry":[`, ErrMalformed},
		{"two values", `{"resourceType":"Bundle","type":"collection"} {}`, ErrMalformed},
		{"array", `[{"resourceType":"Bundle"}]`, ErrNotBundle},
		{"not a bundle", `{"resourceType":"Patient","id":"p1"}`, ErrNotBundle},
		{"no resourceType", `{"type":"collection"}`, ErrNotBundle},
		{"deep nesting", deep, ErrTooLarge},
		{"deep in an entry", `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Basic","extension":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}}]}`, ErrTooLarge},
		{"huge string", `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Basic","id":"` + strings.Repeat("x", 2<<10) + `"}}]}`, ErrTooLarge},
		{"huge key", `{"` + strings.Repeat("k", 2<<10) + `":1}`, ErrTooLarge},
		{"huge number", `{"resourceType":"Bundle","total":1` + strings.Repeat("0", 2<<10) + `}`, ErrTooLarge},
		{"too many entries", wide, ErrTooLarge},
		{"unknown resourceType", `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Spaceship"}}]}`, ErrMalformed},
		{"abstract resourceType", `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"DomainResource"}}]}`, ErrMalformed},
		{"resource not an object", `{"resourceType":"Bundle","type":"collection","entry":[{"resource":"Patient"}]}`, ErrMalformed},
		{"entry without resource", `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"DELETE","url":"Patient/1"}}]}`, ErrMalformed},
		{"unknown bundle type", `{"resourceType":"Bundle","type":"pile"}`, ErrMalformed},
		{"binary, bad base64", `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Binary","contentType":"text/plain","data":"%%%"}}]}`, ErrMalformed},
		{"binary, no contentType", `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Binary","data":"aGk="}}]}`, ErrMalformed},
		{"too large", `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Binary","contentType":"text/plain","data":"` + strings.Repeat("A", 4<<10) + `"}}]}`, ErrTooLarge},
	} {
		lim := &Limits{MaxString: 1 << 10, MaxData: 8 << 10, MaxBytes: 4 << 10, MaxEntries: 10}
		entries, err := Parse(strings.NewReader(tc.doc), lim)
		if !errors.Is(err, tc.want) || entries != nil {
			t.Errorf("%s: Parse = %d entries, %v; want %v", tc.name, len(entries), err, tc.want)
		}
	}
}

func TestParse_DataMayExceedMaxString(t *testing.T) {
	doc := fmt.Sprintf(`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Binary","contentType":"text/plain","data":"%s"}}]}`, strings.Repeat("QUFB", 600))
	entries, err := Parse(strings.NewReader(doc), &Limits{MaxString: 1 << 10})
	if err != nil || len(entries) != 1 || len(entries[0].Body) != 1800 {
		t.Fatalf("Parse of a 2,400-byte Binary data with MaxString 1 KiB = %d entries, %v", len(entries), err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(export(f, testRecords()))
	f.Add([]byte(`{"resourceType":"Bundle","type":"searchset","entry":[{"fullUrl":"Binary/b1","resource":{"resourceType":"Binary","id":"b1","contentType":"image/png","data":"iVBORw0KGgo="}},{"resource":{"resourceType":"Patient","id":"p1"}}]}`))
	f.Add([]byte(`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Basic","extension":[[[[]]]]}}]}`))
	f.Add([]byte(`{"resourceType":"Patient"}`))
	f.Add([]byte(`[1,2,{"a":"b"}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := &Limits{MaxDepth: 8, MaxString: 256, MaxData: 1024, MaxBytes: 64 << 10, MaxEntries: 20}
		entries, err := Parse(bytes.NewReader(data), lim)
		if err != nil {
			if entries != nil {
				t.Fatalf("Parse returned entries with an error")
			}
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrNotBundle) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("Parse error %v wraps none of the package's errors", err)
			}
			return
		}
		for _, e := range entries {
			if !IsResourceType(e.ResourceType) || len(e.Body) > len(data) {
				t.Fatalf("entry %+v from a bundle of %d bytes", e.ResourceType, len(data))
			}
		}
	})
}
