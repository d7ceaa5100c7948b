// Package fhirrec holds what FHIR export and import hand between the SDK and
// package fhir: the records to write into a bundle and the entries parsed
// from one. It links nothing else, so the SDK's browser build, which writes
// and parses bundles in a module of its own (wasm/fhir), can use the types
// without linking the FHIR models.
package fhirrec

import "time"

// DigestTagPrefix starts the record tag an import adds to find the
// resource again (the SDK's ImportTagPrefix). Such tags are bookkeeping:
// an export leaves them out and an import drops them.
const DigestTagPrefix = "fhir-sha256:"

// Record is one decrypted, verified record version to export.
type Record struct {
	ID          [32]byte
	Version     uint64
	Type, Title string
	Tags        []string
	Created     time.Time
	Modified    time.Time
	Body        []byte
	Author      Agent
	// Verified is true when every signature and check over this version
	// passed (the SDK exports nothing else).
	Verified bool
}

// Agent names an account by its key fingerprint, and its handle for people.
type Agent struct {
	Fingerprint string
	Handle      string
}

// Entry is one record to import from a bundle.
type Entry struct {
	// ResourceType is the entry's R4 resource type.
	ResourceType string
	// Body is the resource's JSON (whitespace removed), or a Binary's bytes.
	Body []byte
	// Type is the record type: the resource type, or for a Binary its
	// contentType (or the type its Blindvault DocumentReference names).
	// Type, Title and Tags fit a record's limits, with room for one more tag.
	Type  string
	Title string
	Tags  []string
	// Digest identifies the resource on a later import (Digest).
	Digest [32]byte
}
