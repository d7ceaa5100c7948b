package fhir_test

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/blindvault/blindvault/internal/fhir"
)

func ExampleParse() {
	bundle := `{"resourceType":"Bundle","type":"collection","entry":[
	  {"resource":{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"HbA1c"}}},
	  {"resource":{"resourceType":"Binary","id":"b1","contentType":"text/plain","data":"U2VlbiB0b2RheS4="}}]}`
	entries, err := fhir.Parse(strings.NewReader(bundle), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range entries {
		fmt.Printf("%s %q: %s\n", e.Type, e.Title, e.Body)
	}
	_, err = fhir.Parse(strings.NewReader(`{"resourceType":"Patient"}`), nil)
	fmt.Println(err)
	// Output:
	// Observation "Observation o1": {"resourceType":"Observation","id":"o1","status":"final","code":{"text":"HbA1c"}}
	// text/plain "Binary b1": Seen today.
	// fhir: not a FHIR Bundle: resourceType is "Patient"
}

func ExampleWriter() {
	w, err := fhir.NewWriter(os.Stdout, "b", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := w.Close(); err != nil { // no records: an empty collection
		fmt.Println(err)
	}
	// Output:
	// {"id":"b","meta":{"tag":[{"system":"urn:blindvault:v1:export","code":"blindvault-export","display":"Added by Blindvault's export"}]},"type":"collection","timestamp":"2026-01-02T03:04:05Z","resourceType":"Bundle"}
}
