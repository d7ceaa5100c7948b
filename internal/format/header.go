package format

import (
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"math"

	"golang.org/x/crypto/cryptobyte"

	"github.com/blindvault/blindvault/internal/padding"
)

// Sizes of header fields and of the body they describe (§2.7, §4, §5).
const (
	SaltSize       = 24
	WrappedDEKSize = 60 // nonce (12) ‖ DEK (32) ‖ tag (16)

	// ChunkSize is the plaintext size of every body chunk but the last.
	ChunkSize = 16384
	// MinPaddedSize is the smallest padded body plaintext.
	MinPaddedSize = padding.MinBody
	// bodyOverhead is salt ‖ commitment in front of the chunks; each chunk adds
	// a 16-byte tag.
	bodyOverhead = SaltSize + 32
	tagSize      = 16
	nonceSize    = 12
)

// SealedMetaSizes are the only lengths of sealed metadata: nonce ‖ one of the
// 512, 2048 or 8192-byte buckets ‖ tag.
var SealedMetaSizes = [3]int{
	nonceSize + 512 + tagSize,
	nonceSize + 2048 + tagSize,
	nonceSize + 8192 + tagSize,
}

// Header describes one version of a record and is signed by its author's
// identity key (§2.7); device-signed headers are refused by record.VerifyHeader
// and by the server.
type Header struct {
	RecordID       [32]byte
	Owner          [32]byte // the owner's account_id
	Version        uint64   // ≥ 1
	PrevHeaderHash [32]byte // zero iff Version = 1, else the hash of version − 1
	ACLHash        [32]byte // hash of the ACL in force
	Epoch          uint32   // that ACL's epoch, ≥ 1
	Author         [32]byte // the writer's account_id
	SignerPK       [32]byte // the Ed25519 key that signed
	Created        uint64   // Unix seconds
	Salt           [SaltSize]byte
	Commitment     [32]byte
	CiphertextLen  uint64
	ChunkCount     uint64
	Root           [32]byte // Merkle root of the chunk leaves
	WrappedDEK     []byte   // 60 bytes
	SealedMeta     []byte   // one of SealedMetaSizes
	Signature      []byte
}

// Body returns the header's body, or nil if WrappedDEK or SealedMeta is too long
// to encode.
func (h *Header) Body() []byte {
	b := newBody(KindHeader)
	b.AddBytes(h.RecordID[:])
	b.AddBytes(h.Owner[:])
	b.AddUint64(h.Version)
	b.AddBytes(h.PrevHeaderHash[:])
	b.AddBytes(h.ACLHash[:])
	b.AddUint32(h.Epoch)
	b.AddBytes(h.Author[:])
	b.AddBytes(h.SignerPK[:])
	b.AddUint64(h.Created)
	b.AddBytes(h.Salt[:])
	b.AddBytes(h.Commitment[:])
	b.AddUint64(h.CiphertextLen)
	b.AddUint64(h.ChunkCount)
	b.AddBytes(h.Root[:])
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(h.WrappedDEK) })
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(h.SealedMeta) })
	return finish(b)
}

// Marshal returns the signed form, or nil if the header cannot be encoded.
func (h *Header) Marshal() []byte {
	return SignedForm(h.Body(), h.Signature, false, nil)
}

// Hash returns hash(header), which the next version names as PrevHeaderHash.
func (h *Header) Hash() [32]byte {
	return hashBody(KindHeader, h.Body())
}

func (h *Header) validate() error {
	if err := checkKey(KindHeader, "signer_pk", h.SignerPK); err != nil {
		return err
	}
	if err := checkChain(KindHeader, h.Version, h.PrevHeaderHash); err != nil {
		return err
	}
	if h.Epoch == 0 {
		return malformed(KindHeader, "epoch 0")
	}
	if !BodySizesValid(h.CiphertextLen, h.ChunkCount) {
		return malformed(KindHeader, "ciphertext_len and chunk_count are not a padded body")
	}
	if len(h.WrappedDEK) != WrappedDEKSize {
		return malformed(KindHeader, fmt.Sprintf("wrapped_dek is %d bytes, want %d", len(h.WrappedDEK), WrappedDEKSize))
	}
	for _, n := range SealedMetaSizes {
		if len(h.SealedMeta) == n {
			return nil
		}
	}
	return malformed(KindHeader, fmt.Sprintf("sealed_meta is %d bytes, not a bucket", len(h.SealedMeta)))
}

// Sign fills in the signature. priv must be the private key of SignerPK.
func (h *Header) Sign(priv ed25519.PrivateKey) error {
	if err := checkSigner(priv, h.SignerPK, KindHeader); err != nil {
		return err
	}
	if err := h.validate(); err != nil {
		return err
	}
	sig, err := signBody(priv, KindHeader, h.Body())
	if err != nil {
		return err
	}
	h.Signature = sig
	return nil
}

// Verify checks the signature under pub, which must be SignerPK: the caller
// passes the author's identity key (record.VerifyHeader checks that SignerPK is
// one).
func (h *Header) Verify(pub [32]byte) error {
	if pub != h.SignerPK {
		return fmt.Errorf("%w: %s: key is not signer_pk", ErrBadSignature, KindHeader)
	}
	return verifyBody(pub, KindHeader, h.Body(), h.Signature)
}

// VerifySuccessor checks that h directly follows prev: same record and owner,
// version one more and PrevHeaderHash = prev.Hash(). Signatures and write
// authority are not checked.
func (h *Header) VerifySuccessor(prev *Header) error {
	switch {
	case prev == nil:
		return fmt.Errorf("%w: %s: no previous header", ErrBadChain, KindHeader)
	case h.RecordID != prev.RecordID || h.Owner != prev.Owner:
		return fmt.Errorf("%w: %s: record or owner changed", ErrBadChain, KindHeader)
	case prev.Version == math.MaxUint64 || h.Version != prev.Version+1:
		return fmt.Errorf("%w: %s: version %d after %d", ErrBadChain, KindHeader, h.Version, prev.Version)
	case h.PrevHeaderHash != prev.Hash():
		return fmt.Errorf("%w: %s: previous header hash mismatch", ErrBadChain, KindHeader)
	}
	return nil
}

// ParseHeader parses the signed form of a record header. It does not verify the
// signature.
func ParseHeader(b []byte) (*Header, error) {
	env, err := parseEnvelope(b, KindHeader, false)
	if err != nil {
		return nil, err
	}
	h := new(Header)
	var dek, meta cryptobyte.String
	s := &env.fields
	if !s.CopyBytes(h.RecordID[:]) ||
		!s.CopyBytes(h.Owner[:]) ||
		!s.ReadUint64(&h.Version) ||
		!s.CopyBytes(h.PrevHeaderHash[:]) ||
		!s.CopyBytes(h.ACLHash[:]) ||
		!s.ReadUint32(&h.Epoch) ||
		!s.CopyBytes(h.Author[:]) ||
		!s.CopyBytes(h.SignerPK[:]) ||
		!s.ReadUint64(&h.Created) ||
		!s.CopyBytes(h.Salt[:]) ||
		!s.CopyBytes(h.Commitment[:]) ||
		!s.ReadUint64(&h.CiphertextLen) ||
		!s.ReadUint64(&h.ChunkCount) ||
		!s.CopyBytes(h.Root[:]) ||
		!s.ReadUint8LengthPrefixed(&dek) ||
		!s.ReadUint16LengthPrefixed(&meta) {
		return nil, malformed(KindHeader, "truncated fields")
	}
	if err := env.done(KindHeader); err != nil {
		return nil, err
	}
	h.WrappedDEK, h.SealedMeta, h.Signature = clone(dek), clone(meta), env.sig
	if err := h.validate(); err != nil {
		return nil, err
	}
	return h, nil
}

// bodyContextLabel starts the body context.
const bodyContextLabel = "blindvault.v1 body"

// BodyContextSize is the length of a body context: 90 bytes (§3).
const BodyContextSize = len(bodyContextLabel) + 32 + 8 + 32

// BodyContext returns ctx = "blindvault.v1 body" ‖ record_id ‖ u64 version ‖
// owner (§3), which binds a version's body, DEK and metadata to their place.
func BodyContext(recordID [32]byte, version uint64, owner [32]byte) []byte {
	ctx := make([]byte, 0, BodyContextSize)
	ctx = append(ctx, bodyContextLabel...)
	ctx = append(ctx, recordID[:]...)
	ctx = binary.BigEndian.AppendUint64(ctx, version)
	return append(ctx, owner[:]...)
}

// BodySizesValid reports whether a body of ciphertextLen bytes in chunkCount
// chunks holds a padded plaintext of P bytes: P = max(Padmé(L), 4096) for some L,
// chunkCount = ⌊P / 16384⌋ + 1 and ciphertextLen = 56 + P + 16·chunkCount (§4).
func BodySizesValid(ciphertextLen, chunkCount uint64) bool {
	if chunkCount == 0 || chunkCount > (math.MaxUint64-bodyOverhead)/tagSize {
		return false
	}
	overhead := bodyOverhead + tagSize*chunkCount
	if ciphertextLen < overhead {
		return false
	}
	p := ciphertextLen - overhead
	return p >= MinPaddedSize && p/ChunkSize+1 == chunkCount && padding.Padme(p) == p
}
