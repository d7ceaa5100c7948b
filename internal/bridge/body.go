package bridge

import (
	"bytes"
	"context"
	"io"
)

// Bodies sealed and opened outside Go.
//
// In a browser, Go compiled to WebAssembly runs AES-GCM at about 30 MB/s, and
// WebCrypto at hundreds. PutSealed and GetEncrypted (in the SDK's browser
// build) let the bulk work on a body's chunks run elsewhere while everything
// else stays in Go: the DEK, the key derivation (WebCrypto has no expand-only
// HKDF), the metadata, the signatures, the grants and every check of what the
// server says. Only the
// per-body AES key, the base nonce, the salt and commitment, and the leaf
// list cross; the body's bytes never pass through Go.

// BodyKeys are what seals or opens the chunks of one body (Cobblestone-256,
// docs/spec/format-v1.md §4): chunk i is AES-256-GCM under AEADKey with the
// nonce BaseNonce XOR i (i as a 12-byte big-endian integer), and the body
// starts with Salt ‖ Commitment. Import AEADKey where it is used, then Clear.
type BodyKeys struct {
	AEADKey    [32]byte
	BaseNonce  [12]byte
	Salt       [24]byte
	Commitment [32]byte
}

// Clear zeroes the AEAD key.
func (k *BodyKeys) Clear() { clear(k.AEADKey[:]) }

// A BodySealer seals a record body for the SDK's PutSealed.
type BodySealer interface {
	// SealBody reads the whole plaintext, pads it with zeros to
	// padding.BodySize(length) bytes (internal/padding), and seals it under keys: Salt ‖ Commitment,
	// then 16 KiB chunks of ciphertext and tag, the final chunk always
	// shorter (empty when the padded length is a multiple of 16 KiB). The
	// leaf of chunk i is SHA-256(0x00 ‖ chunk i ciphertext and tag). keys are
	// cleared when SealBody returns.
	SealBody(ctx context.Context, keys *BodyKeys) (*SealedBody, error)
}

// SealedBody is a body sealed by a BodySealer.
type SealedBody struct {
	// Length is the plaintext length before padding.
	Length uint64
	// CiphertextLen counts the salt, the commitment and every chunk.
	CiphertextLen uint64
	// Leaves holds the leaf of every chunk, 32 bytes each, in order.
	Leaves []byte
	// Ciphertext returns a reader of the ciphertext from its start; it is
	// called again when an upload is retried. The reader is sent as the Tail
	// of a SplicedBody, so a Transport that knows its type can send it
	// without reading it through Go.
	Ciphertext func() (io.Reader, error)
}

// SplicedBody is a request body: Head, then Tail. A Transport that recognises
// Tail's type may send it without reading it through Go, as the browser's
// fetch bridge does with the ciphertext Blob of a the SDK's PutSealed; to any other
// Transport it is an io.Reader.
type SplicedBody struct {
	Head []byte
	Tail io.Reader
	r    io.Reader
}

func (b *SplicedBody) Read(p []byte) (int, error) {
	if b.r == nil {
		b.r = io.MultiReader(bytes.NewReader(b.Head), b.Tail)
	}
	return b.r.Read(p)
}

// EncryptedBody is the body of a verified version, still encrypted, with what
// it takes to open it elsewhere. Whoever opens it must check, in this order,
// that it starts with Keys.Salt ‖ Keys.Commitment; that chunk i hashes to
// leaf i before it is decrypted; that the chunks end exactly at
// CiphertextLen, the last one short; and that the plaintext after Length is
// all zero. Plaintext may be released in order, chunk by chunk, once its
// checks pass. Close it when done.
type EncryptedBody struct {
	Keys BodyKeys
	// Length is the plaintext's true length, from the verified metadata.
	Length uint64
	// CiphertextLen and ChunkCount are the header's, as signed.
	CiphertextLen, ChunkCount uint64
	// Leaves is the leaf list, already checked against the signed root.
	Leaves []byte
	// Body is the server's answer as the Transport returned it, not yet
	// verified.
	Body io.ReadCloser
}

// Close zeroes the key and closes Body.
func (b *EncryptedBody) Close() error {
	b.Keys.Clear()
	return b.Body.Close()
}
