// Package cobble implements Cobblestone-256, the [c2sp.org/chunked-encryption]
// scheme instantiated with HKDF-Expand-SHA-512 and AEAD_AES_256_GCM, which
// encrypts every Blindvault record body (docs/spec/format-v1.md §4).
//
// A ciphertext is salt (24) ‖ commitment (32) ‖ chunk_0 ‖ … ‖ chunk_{n−1}.
// Each chunk is at most 16 KiB of plaintext sealed with AES-256-GCM under a
// per-message key and the base nonce XOR the chunk index; the final chunk is
// always shorter than 16 KiB (possibly empty), which is what protects against
// truncation and extension. The commitment binds the input key, salt and
// context, so a ciphertext opens under one key only.
//
// On top of the scheme, [Seal] computes the leaf list of the body,
// leaf_i = SHA-256(0x00 ‖ chunk_i) with chunk_i the chunk's ciphertext
// including its tag, and its [RFC 6962] Merkle root, and [Open] can check
// every chunk against its leaf before the chunk's tag is even verified. The
// record header signs the root, so a reader knows the body came from the
// author and not from another holder of the key.
//
// Chunks are independent, so [Seal] and [Open] spread batches of chunks over
// all cores with a fixed number of batches in flight: memory use does not
// depend on the message size. Plaintext is released in order, and only once
// its chunk has passed every check.
//
// [c2sp.org/chunked-encryption]: https://c2sp.org/chunked-encryption
// [RFC 6962]: https://www.rfc-editor.org/rfc/rfc6962#section-2.1
package cobble

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
)

const (
	// ChunkSize is the plaintext size of every chunk but the final one, which
	// is always shorter.
	ChunkSize = 16384
	// TagSize is the AES-GCM tag size, the per-chunk overhead.
	TagSize = 16
	// EncryptedChunkSize is the ciphertext size of a full chunk.
	EncryptedChunkSize = ChunkSize + TagSize
	// SaltSize is the size of the random salt that starts a ciphertext.
	SaltSize = 24
	// CommitmentSize is the size of the key commitment after the salt.
	CommitmentSize = 32
	// HeaderSize is the size of salt ‖ commitment.
	HeaderSize = SaltSize + CommitmentSize
	// KeySize is the size of the input key (the record's DEK), equal to the
	// AES-256 key size as the scheme requires.
	KeySize = 32
	// NonceSize is the AES-GCM nonce size.
	NonceSize = 12
	// LeafSize is the size of one entry of the leaf list.
	LeafSize = 32

	// MaxChunks is the chunk count limit of the scheme: a chunk index must
	// stay below 2^38.
	MaxChunks = 1 << 38
	// MaxPlaintextSize is the largest plaintext that fits in MaxChunks chunks.
	MaxPlaintextSize = MaxChunks*ChunkSize - 1
)

// label is the HKDF-Expand info prefix, "c2sp.org/chunked-encryption@v1+" ‖
// AEAD name ‖ 0x00, from the spec.
const label = "c2sp.org/chunked-encryption@v1+AEAD_AES_256_GCM\x00"

// Errors. Each failure has its own sentinel; returned errors wrap them with
// the chunk index where there is one.
var (
	// ErrInvalidKeySize means the input key is not KeySize bytes.
	ErrInvalidKeySize = errors.New("cobble: invalid key size")
	// ErrCommitment means the commitment does not match the input key, salt
	// and context, or the header does not match the expected summary.
	ErrCommitment = errors.New("cobble: commitment mismatch")
	// ErrTruncated means the ciphertext ends early: in the header, inside a
	// chunk, or without its short final chunk.
	ErrTruncated = errors.New("cobble: ciphertext truncated")
	// ErrTrailingData means bytes follow the final chunk.
	ErrTrailingData = errors.New("cobble: trailing data after final chunk")
	// ErrChunkAuth means a chunk failed AES-GCM authentication: modified,
	// reordered, or under another key.
	ErrChunkAuth = errors.New("cobble: chunk authentication failed")
	// ErrLeafMismatch means a chunk does not hash to its leaf, the leaf list
	// is too short, or the leaves do not hash to the expected root.
	ErrLeafMismatch = errors.New("cobble: chunk does not match leaf")
	// ErrTooManyChunks means a chunk index reached MaxChunks.
	ErrTooManyChunks = errors.New("cobble: too many chunks")
	// ErrInvalidSummary means an expected Summary is inconsistent with itself
	// (its length and chunk count do not describe a valid ciphertext).
	ErrInvalidSummary = errors.New("cobble: invalid summary")
)

// Keys are the per-message values derived from an input key, salt and
// context. They are safe for concurrent use; treat the fields as read-only.
type Keys struct {
	// AEAD is AES-256-GCM under the derived key.
	AEAD cipher.AEAD
	// BaseNonce is XORed with the chunk index to form each chunk's nonce.
	BaseNonce [NonceSize]byte
	// Salt is the salt the keys were derived with.
	Salt [SaltSize]byte
	// Commitment is the key commitment written after the salt.
	Commitment [CommitmentSize]byte
}

// expand runs HKDF-Expand-SHA-512(prk = inputKey, info = label ‖ salt ‖
// context, 76) and returns key ‖ base nonce ‖ commitment.
func expand(inputKey, salt, context []byte) ([KeySize + NonceSize + CommitmentSize]byte, error) {
	var out [KeySize + NonceSize + CommitmentSize]byte
	if len(inputKey) != KeySize {
		return out, ErrInvalidKeySize
	}
	if len(salt) != SaltSize {
		return out, fmt.Errorf("cobble: salt size %d, want %d", len(salt), SaltSize)
	}
	info := make([]byte, 0, len(label)+SaltSize+len(context))
	info = append(info, label...)
	info = append(info, salt...)
	info = append(info, context...)
	// Expand only, no Extract: the spec presumes the input key is uniformly
	// random already (and so stays within NIST SP 800-108).
	okm, err := hkdf.Expand(sha512.New, inputKey, string(info), len(out))
	if err != nil {
		return out, fmt.Errorf("cobble: key derivation: %w", err)
	}
	copy(out[:], okm)
	clear(okm)
	return out, nil
}

// Derive derives the AEAD, base nonce and commitment for a message from the
// input key (KeySize bytes), its salt (SaltSize bytes) and context.
func Derive(inputKey, salt, context []byte) (*Keys, error) {
	okm, err := expand(inputKey, salt, context)
	if err != nil {
		return nil, err
	}
	defer clear(okm[:KeySize])
	k, err := newRawKeys(okm[:KeySize], [NonceSize]byte(okm[KeySize:KeySize+NonceSize]))
	if err != nil {
		return nil, err
	}
	copy(k.Salt[:], salt)
	copy(k.Commitment[:], okm[KeySize+NonceSize:])
	return k, nil
}

// newRawKeys builds Keys from an AEAD key and base nonce directly, the raw
// mode of the spec's appendix; the package uses it only behind Derive.
func newRawKeys(aeadKey []byte, baseNonce [NonceSize]byte) (*Keys, error) {
	block, err := aes.NewCipher(aeadKey)
	if err != nil {
		return nil, fmt.Errorf("cobble: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("cobble: %w", err)
	}
	return &Keys{AEAD: aead, BaseNonce: baseNonce}, nil
}

// Commitment returns the commitment of (inputKey, salt, context), for callers
// that must re-check a signed commitment after unwrapping a key and before
// using it for anything.
func Commitment(inputKey, salt, context []byte) ([CommitmentSize]byte, error) {
	okm, err := expand(inputKey, salt, context)
	defer clear(okm[:])
	if err != nil {
		return [CommitmentSize]byte{}, err
	}
	return [CommitmentSize]byte(okm[KeySize+NonceSize:]), nil
}

// CheckCommitment returns ErrCommitment unless want is the commitment of
// (inputKey, salt, context). The comparison is constant time.
func CheckCommitment(inputKey, salt, context []byte, want [CommitmentSize]byte) error {
	got, err := Commitment(inputKey, salt, context)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		return ErrCommitment
	}
	return nil
}

// ChunkCount returns the number of chunks of a plaintext of the given length:
// one more than the number of full chunks, since the final chunk is always
// short. It returns -1 if the length is negative or above MaxPlaintextSize.
func ChunkCount(plaintextLen int64) int64 {
	if plaintextLen < 0 || plaintextLen > MaxPlaintextSize {
		return -1
	}
	return plaintextLen/ChunkSize + 1
}

// CiphertextSize returns the ciphertext length of a plaintext of the given
// length, header included. It returns -1 if the length is negative or above
// MaxPlaintextSize.
func CiphertextSize(plaintextLen int64) int64 {
	n := ChunkCount(plaintextLen)
	if n < 0 {
		return -1
	}
	return HeaderSize + plaintextLen + n*TagSize
}

// PlaintextSize returns the plaintext length of a ciphertext of the given
// length, header included, and its chunk count. Not every length is valid:
// a body must end in a final chunk of TagSize to EncryptedChunkSize−1 bytes.
// Range reads derive their offsets from it, never from untrusted headers.
func PlaintextSize(ciphertextLen int64) (plaintextLen, chunks int64, err error) {
	if ciphertextLen < HeaderSize+TagSize {
		return 0, 0, ErrTruncated
	}
	body := ciphertextLen - HeaderSize
	full, rem := body/EncryptedChunkSize, body%EncryptedChunkSize
	if rem < TagSize {
		return 0, 0, ErrTruncated
	}
	if full >= MaxChunks {
		return 0, 0, ErrTooManyChunks
	}
	return full*ChunkSize + rem - TagSize, full + 1, nil
}

// ChunkOffset returns the ciphertext offset of chunk i, header included.
func ChunkOffset(i uint64) int64 {
	return HeaderSize + int64(i)*EncryptedChunkSize
}

// nonce returns the nonce of chunk i: the base nonce XOR i as a 12-byte
// big-endian integer. i < MaxChunks fits in the low 8 bytes.
func (k *Keys) nonce(i uint64) [NonceSize]byte {
	n := k.BaseNonce
	binary.BigEndian.PutUint64(n[4:], binary.BigEndian.Uint64(n[4:])^i)
	return n
}

// SealChunk appends the encryption of chunk index to dst and returns it. A
// plaintext of exactly ChunkSize bytes is a full chunk; a shorter one is the
// final chunk, and then index must be the last index of the message.
func (k *Keys) SealChunk(dst []byte, index uint64, plaintext []byte) ([]byte, error) {
	if index >= MaxChunks {
		return nil, fmt.Errorf("chunk %d: %w", index, ErrTooManyChunks)
	}
	if len(plaintext) > ChunkSize {
		return nil, fmt.Errorf("cobble: chunk plaintext of %d bytes, want at most %d", len(plaintext), ChunkSize)
	}
	n := k.nonce(index)
	return k.AEAD.Seal(dst, n[:], plaintext, nil), nil
}

// OpenChunk authenticates and decrypts chunk index, appending the plaintext to
// dst. A ciphertext of EncryptedChunkSize bytes is a full chunk and a shorter
// one a final chunk; a short chunk only opens at the index where its message
// ends, so a caller that takes the chunk boundaries from the signed
// ciphertext length also authenticates the message length.
func (k *Keys) OpenChunk(dst []byte, index uint64, chunkCiphertext []byte) ([]byte, error) {
	if index >= MaxChunks {
		return nil, fmt.Errorf("chunk %d: %w", index, ErrTooManyChunks)
	}
	if len(chunkCiphertext) < TagSize {
		return nil, fmt.Errorf("chunk %d: %w", index, ErrTruncated)
	}
	if len(chunkCiphertext) > EncryptedChunkSize {
		return nil, fmt.Errorf("chunk %d: %w", index, ErrTrailingData)
	}
	n := k.nonce(index)
	out, err := k.AEAD.Open(dst, n[:], chunkCiphertext, nil)
	if err != nil {
		return nil, fmt.Errorf("chunk %d: %w", index, ErrChunkAuth)
	}
	return out, nil
}
