package record

import (
	"fmt"

	"github.com/blindvault/blindvault/internal/cobble"
	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/internal/merkle"
	"github.com/blindvault/blindvault/internal/padding"
)

// An External is a version whose body is padded, sealed and hashed outside
// this package, by a browser's WebCrypto, say, while the DEK, the salt, the
// derived keys, the metadata and the signed header stay here. The body must
// be exactly what [Seal] would write under the same keys: the plaintext padded
// to padding.BodySize(length) with zeros, sealed with Cobblestone-256 under
// Keys (chunk i with Keys.BaseNonce XOR i, the final chunk the only short
// one), behind Salt ‖ Keys.Commitment, and its leaf list SHA-256(0x00 ‖
// chunk ciphertext) per chunk.
type External struct {
	s    *sealing
	Salt [cobble.SaltSize]byte
	Keys *cobble.RawKeys
}

// SealExternal draws a fresh DEK and salt for a version and derives its body
// keys. Close the External when done, whether Finish was called or not.
func SealExternal(p *SealParams) (*External, error) {
	s, err := newSealing(p)
	if err != nil {
		return nil, err
	}
	e := &External{s: s}
	if err := s.draw(e.Salt[:]); err != nil {
		s.close()
		return nil, err
	}
	if e.Keys, err = cobble.DeriveRaw(s.dek, e.Salt[:], s.ctx); err != nil {
		s.close()
		return nil, err
	}
	return e, nil
}

// Finish checks that ciphertextLen and the leaf list describe the padded body
// of a plaintext of length bytes, and returns the signed header. It cannot see
// the body: the leaves and the root the header signs are what bind it.
func (e *External) Finish(length, ciphertextLen uint64, leaves []byte) (*format.Header, error) {
	if length > cobble.MaxPlaintextSize {
		return nil, fmt.Errorf("%w: body of %d bytes", ErrLayout, length)
	}
	padded := int64(padding.BodySize(length))
	chunks := cobble.ChunkCount(padded)
	if chunks < 0 || ciphertextLen != uint64(cobble.CiphertextSize(padded)) || len(leaves) != cobble.LeafSize*int(chunks) {
		return nil, fmt.Errorf("%w: %d bytes and %d leaves for a body of %d bytes", ErrLayout, ciphertextLen, len(leaves)/cobble.LeafSize, length)
	}
	var hs merkle.Hasher
	for i := 0; i < len(leaves); i += cobble.LeafSize {
		hs.Add([cobble.LeafSize]byte(leaves[i:]))
	}
	sum := &cobble.Summary{Salt: e.Salt, Commitment: e.Keys.Commitment, CiphertextLen: ciphertextLen,
		ChunkCount: uint64(chunks), Root: hs.Root()}
	return e.s.header(sum, length)
}

// Close forgets the DEK and the derived key.
func (e *External) Close() {
	e.s.close()
	e.Keys.Clear()
}

// RawKeys derives the body keys of an unlocked version, for opening its body
// outside this package. The caller clears them once handed over. Whoever opens
// the body must check, as [Unlocked.Open] does, that it starts with the signed
// salt and commitment, that every chunk hashes to its leaf (leaves checked with
// [CheckLeaves]) before it is decrypted, that the chunks end where the signed
// length says, and that the padding after Meta.Length is zero.
func (u *Unlocked) RawKeys() (*cobble.RawKeys, error) {
	return cobble.DeriveRaw(u.dek, u.Header.Salt[:], u.ctx)
}
