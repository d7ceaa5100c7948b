// Package server is Blindvault's blind storage server: the HTTP API v1 over a
// [store.Store]. It stores ciphertext, wrapped keys, signed headers and key cards,
// and it cannot read any of them: it verifies signatures and sequence numbers so
// that it can refuse garbage and order writers, but it never holds a key that
// opens a body or its metadata, and it does not import the package that opens
// record bodies (a test proves it from `go list -deps`).
//
// Every request body has a size limit, every object access an authorization check
// (the owner or an unrevoked grantee may read; only the owner may grant, revoke or
// delete; admins manage accounts but never read headers or bodies), and every
// endpoint a rate limit per account and per address. The API is documented in
// docs/api/openapi.yaml.
package server
