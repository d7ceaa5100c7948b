package fhir

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"
)

// IsResourceType reports whether name is a concrete FHIR R4 resource type:
// one of the ValueSet resource-types, less the abstract Resource and
// DomainResource.
func IsResourceType(name string) bool {
	if name == "" || len(name) > 64 || name == "Resource" || name == "DomainResource" {
		return false
	}
	for _, c := range []byte(name) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	var t fhir.ResourceType
	return t.UnmarshalJSON([]byte(`"`+name+`"`)) == nil
}

// ResourceType returns the resourceType of body if body is one JSON object
// with an R4 resource type, and "" otherwise.
func ResourceType(body []byte) string {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' || !json.Valid(body) {
		return ""
	}
	var head struct {
		ResourceType string `json:"resourceType"`
	}
	if err := json.Unmarshal(body, &head); err != nil || !IsResourceType(head.ResourceType) {
		return ""
	}
	return head.ResourceType
}

// Digest is SHA-256 of a resource's canonical form: its JSON with object
// keys sorted, numbers as written, no insignificant whitespace and no
// meta (which the system that exported it may stamp anew each time). A
// Binary is identified by its contentType and bytes alone: its id is the
// exporter's.
func Digest(resource []byte) ([32]byte, error) {
	d := json.NewDecoder(bytes.NewReader(resource))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return [32]byte{}, err
	}
	delete(m, "meta")
	if m["resourceType"] == "Binary" {
		ct, _ := m["contentType"].(string)
		b64, _ := m["data"].(string)
		data, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return [32]byte{}, err
		}
		return binaryDigest(ct, data), nil
	}
	var buf bytes.Buffer
	e := json.NewEncoder(&buf)
	e.SetEscapeHTML(false)
	if err := e.Encode(m); err != nil {
		return [32]byte{}, err
	}
	return sha256.Sum256(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), nil
}
