// Package fhirtest validates documents against HL7's official FHIR R4 JSON
// schema, for tests (README.md says where the schema comes from).
package fhirtest

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed fhir.schema.json.gz
var schemaGz []byte

// r4 is the compiled schema, made once.
var r4 = sync.OnceValues(func() (*jsonschema.Schema, error) {
	zr, err := gzip.NewReader(bytes.NewReader(schemaGz))
	if err != nil {
		return nil, err
	}
	doc, err := jsonschema.UnmarshalJSON(zr)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft6)
	if err := c.AddResource("fhir.schema.json", doc); err != nil {
		return nil, err
	}
	return c.Compile("fhir.schema.json")
})

// Validate returns nil if data is one FHIR R4 resource (a Bundle, say) by the
// official R4 JSON schema, and what is wrong otherwise.
func Validate(data []byte) error {
	sch, err := r4()
	if err != nil {
		return err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return err
	}
	return sch.Validate(doc)
}
