package fhir

import "github.com/blindvault/blindvault/internal/fhir/fhirrec"

// The identifier systems and extension URLs Blindvault writes. They are URNs,
// not web addresses: nothing needs to be fetched to read a bundle.
const (
	// SystemFingerprint names an account's key fingerprint (the form
	// `blindvault whoami` shows) as an Identifier.system.
	SystemFingerprint = "urn:blindvault:v1:fingerprint"
	// SystemRecord names a Blindvault record id (64 hex digits).
	SystemRecord = "urn:blindvault:v1:record"
	// SystemExport tags (meta.tag) the resources Blindvault's export adds
	// around the patient's records: the Bundle, DocumentReferences, Binaries
	// and Provenances.
	SystemExport = "urn:blindvault:v1:export"
	// ExtVersion is a Provenance extension (valuePositiveInt): the record
	// version the target was read from.
	ExtVersion = "urn:blindvault:v1:record-version"
	// ExtVerified is a Provenance extension (valueBoolean): true when every
	// signature over the version, its ACL and its grants verified, with the
	// author's key card pinned and its write authority checked.
	ExtVerified = "urn:blindvault:v1:signatures-verified"

	// DigestTagPrefix is fhirrec's.
	DigestTagPrefix = fhirrec.DigestTagPrefix

	// participantTypes is HL7's code system for Provenance.agent.type.
	participantTypes = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
)
