// Package format encodes and parses the signed objects of Blindvault format v1:
// key cards, role attestations, device certificates and revocations, ACLs,
// grants, record headers and session auth objects, as specified in
// docs/spec/format-v1.md (§1–§3).
//
// Every object is a canonical, length-prefixed binary body
// (u8 version ‖ u8 kind ‖ u16 suite ‖ fields) and an Ed25519 signature over
// "blindvault.v1 " ‖ purpose ‖ 0x00 ‖ body, where the purpose is fixed by the
// kind. An object's hash is SHA-256 of that same message, so it covers the body
// but not the signature.
//
// Parsers bound their input before reading it, check the version, then the kind,
// then the suite, reject trailing bytes, and enforce every field constraint, so
// that anything they accept re-encodes to the same bytes. They never panic. Only
// ParseKeyCard verifies a signature (the card's self signature); for every other
// object the caller chooses the trusted key and calls Verify.
//
// # Backwards compatibility
//
// There is one version and one suite; anything else is rejected with
// ErrUnknownVersion or ErrUnknownSuite, never negotiated. A change of any byte
// layout is a new version.
package format
