// Package fhir turns a patient's decrypted records into an HL7 FHIR R4 Bundle
// and a FHIR R4 Bundle from another system into records, with no network and
// no keys: the SDK fetches and verifies, this package only writes and parses.
//
// Export writes a Bundle of type "collection" (Writer). A record whose body
// is a FHIR resource (a JSON object whose resourceType is an R4 resource
// type) goes in as itself, byte for byte apart from whitespace; any other
// body goes in as a Binary, described by a DocumentReference (type, title,
// dates, tags, and an attachment that references the Binary). Every record
// also gets a Provenance naming its author by key fingerprint (an
// Identifier in the system [SystemFingerprint]), the record and version it
// came from, and that every signature verified before it was written.
//
// Import (Parse) reads a whole Bundle and checks it before the caller writes
// anything: size, nesting depth and string lengths are bounded (Limits), the
// top level must be a Bundle, and every entry must carry an R4 resource
// type. Each entry resource becomes one record, with a digest of its
// canonical form for finding duplicates on a second import; Binary entries
// become raw bodies with their contentType. The DocumentReferences and
// Provenances that Blindvault's own export adds (tagged with
// [SystemExport]) are not imported as records: a DocumentReference lends its
// title and tags to the Binary it describes, and a Provenance describes
// signatures that the importing account re-makes with its own key.
//
// Types come from github.com/samply/golang-fhir-models (R4, 4.0.1). Tests
// validate exported bundles against HL7's R4 JSON schema (testdata/README.md).
package fhir
