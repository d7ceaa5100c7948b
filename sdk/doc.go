// Package sdk is Blindvault's client: it encrypts and signs records on the user's
// device so that the server that stores them, and anyone who steals its disk, cannot
// read them.
//
// An [Identity] holds an Ed25519 signing key and an X-Wing (X25519 + ML-KEM-768)
// decryption key; its public [KeyCard] is what others encrypt to. [Encrypt] seals a
// record into a self-contained file readable by the author and the listed
// recipients; [Decrypt] verifies every signature and checksum before and while it
// releases plaintext; [Inspect] shows what anyone can see without a key.
//
// # Defaults
//
// There is one suite and no negotiation: X-Wing and HPKE (HKDF-SHA256, AES-256-GCM)
// for key wrapping, Ed25519 for signatures, Cobblestone-256 (c2sp.org/chunked-
// encryption with HKDF-SHA-512 and AES-256-GCM, 16 KiB chunks) for bodies, sealed on
// all cores. Bodies are padded to max(Padmé(L), 4 KiB) and metadata to fixed buckets.
//
// # Key management
//
// Identity files should be protected with a passphrase ([Identity.MarshalProtected]):
// Argon2id at t=3, m=64 MiB, p=4 at least, and AES-256-GCM. Compare [Fingerprint]
// values out of band before trusting a key card; pass the expected author to
// [DecryptOptions].Signer, or the author is reported as unverified.
//
// # Backwards compatibility
//
// Format v1 is specified byte for byte in docs/spec/format-v1.md, with vectors in
// testdata/. Readers reject unknown versions, kinds and suites with their own errors
// rather than guessing; a later format will use a new version number and v1 files
// will keep opening.
package sdk
