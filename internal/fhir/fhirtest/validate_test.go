package fhirtest

import "testing"

// The validator must be able to say no, or passing it proves nothing.
func TestValidate_RefusesInvalid(t *testing.T) {
	for name, doc := range map[string]string{
		"no resourceType":         `{"type":"collection"}`,
		"unknown bundle type":     `{"resourceType":"Bundle","type":"pile"}`,
		"provenance, bad instant": `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Provenance","recorded":"yesterday","target":[{"reference":"urn:uuid:1"}],"agent":[{"who":{"display":"x"}}]}}]}`,
		"binary, unknown field":   `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Binary","contentType":"text/plain","colour":"red"}}]}`,
		"unknown resourceType":    `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Spaceship"}}]}`,
	} {
		if err := Validate([]byte(doc)); err == nil {
			t.Errorf("%s: Validate(%s) = nil, want an error", name, doc)
		}
	}
}

func TestValidate_AcceptsValid(t *testing.T) {
	for _, doc := range []string{
		`{"resourceType":"Binary","contentType":"text/plain","data":"aGk="}`,
		`{"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"urn:uuid:0b1f8e4c-2f7a-4c1e-9a57-5a3a1d7f0c11","resource":{"resourceType":"Observation","status":"final","code":{"text":"glucose"}}}]}`,
	} {
		if err := Validate([]byte(doc)); err != nil {
			t.Errorf("Validate(%s) = %v, want nil", doc, err)
		}
	}
}
