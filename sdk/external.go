package sdk

import (
	"bytes"
	"context"
	"io"

	"github.com/blindvault/blindvault/internal/cobble"
	"github.com/blindvault/blindvault/internal/padding"
	"github.com/blindvault/blindvault/internal/record"
)

// Bodies sealed and opened outside Go.
//
// In a browser, Go compiled to WebAssembly runs AES-GCM at about 30 MB/s, and
// WebCrypto at hundreds. PutSealed and GetEncrypted let the bulk work on a
// body's chunks run elsewhere while everything else stays here: the DEK, the
// key derivation (WebCrypto has no expand-only HKDF), the metadata, the
// signatures, the grants and every check of what the server says. Only the
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

// PaddedSize is the length a body of length bytes is padded to with zeros
// before it is sealed: max(Padmé(length), 4 KiB).
func PaddedSize(length uint64) uint64 { return padding.BodySize(length) }

// A BodySealer seals a record body for PutSealed.
type BodySealer interface {
	// SealBody reads the whole plaintext, pads it with zeros to
	// PaddedSize(length) bytes, and seals it under keys: Salt ‖ Commitment,
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

// PutSealed is Put with the body sealed by s instead of in Go: it writes a new
// record, or a new version of opts.Update, whose header signs the leaves and
// length s reports. opts.Size is not used.
func (c *Client) PutSealed(ctx context.Context, s BodySealer, opts *PutOptions) (*RecordInfo, error) {
	if opts == nil {
		opts = &PutOptions{}
	}
	return c.putRecord(ctx, externalSealer{s}, opts)
}

// externalSealer seals a version's body with a BodySealer.
type externalSealer struct{ s BodySealer }

func (x externalSealer) seal(ctx context.Context, p *record.SealParams) (*sealedVersion, error) {
	e, err := record.SealExternal(p)
	if err != nil {
		return nil, err
	}
	defer e.Close()
	keys := &BodyKeys{AEADKey: e.Keys.AEADKey, BaseNonce: e.Keys.BaseNonce, Salt: e.Salt, Commitment: e.Keys.Commitment}
	sb, err := x.s.SealBody(ctx, keys)
	keys.Clear()
	if err != nil {
		return nil, err
	}
	h, err := e.Finish(sb.Length, sb.CiphertextLen, sb.Leaves)
	if err != nil {
		return nil, err
	}
	frame := func(head []byte) (io.Reader, error) {
		ct, err := sb.Ciphertext()
		if err != nil {
			return nil, err
		}
		return &SplicedBody{Head: append(bytes.Clone(head), sb.Leaves...), Tail: ct}, nil
	}
	return &sealedVersion{header: h, length: sb.Length, frame: frame, close: func() {}}, nil
}

// SplicedBody is a request body: Head, then Tail. A Transport that recognises
// Tail's type may send it without reading it through Go, as the browser's
// fetch bridge does with the ciphertext Blob of a PutSealed; to any other
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

// GetEncrypted verifies the newest version of record id as Get does, and
// checks its leaf list against the signed root, but leaves the body encrypted
// for the caller to open (see EncryptedBody).
func (c *Client) GetEncrypted(ctx context.Context, id [32]byte) (_ *RecordInfo, _ *EncryptedBody, err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return nil, nil, err
	}
	v, err := c.fetch(ctx, id, 0)
	if err != nil {
		return nil, nil, err
	}
	defer v.close()
	leaves, body, err := c.bodyStreams(ctx, v)
	if err != nil {
		return nil, nil, err
	}
	defer leaves.Close()
	lr, err := leaves.Reader()
	var list []byte
	if err == nil {
		list, err = io.ReadAll(lr)
	}
	var raw *cobble.RawKeys
	if err == nil {
		raw, err = v.unlocked.RawKeys()
	}
	if err != nil {
		body.Body.Close()
		return nil, nil, err
	}
	h := v.header
	b := &EncryptedBody{Keys: BodyKeys{AEADKey: raw.AEADKey, BaseNonce: raw.BaseNonce, Salt: h.Salt, Commitment: h.Commitment},
		Length: v.unlocked.Meta.Length, CiphertextLen: h.CiphertextLen, ChunkCount: h.ChunkCount, Leaves: list, Body: body.Body}
	raw.Clear()
	return v.info(), b, nil
}
