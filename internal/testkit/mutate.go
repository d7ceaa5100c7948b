package testkit

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha512"
	"slices"

	"github.com/blindvault/blindvault/internal/cobble"
	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/internal/merkle"
)

// rawSign signs body as an object of kind k without any of the checks of the
// objects' Sign methods, so that a broken object still carries a good signature.
func rawSign(by *identity, k format.Kind, body []byte) []byte {
	sig := ed25519.Sign(by.priv, format.Message(k.Purpose(), body))
	return format.SignedForm(body, sig, k == format.KindKeyCard, nil)
}

// headerWith is the owner-signed header changed by f.
func (s *sealed) headerWith(f func(h *format.Header)) []byte {
	h := *s.header
	f(&h)
	return rawSign(s.owner, format.KindHeader, h.Body())
}

// aclWith is the owner-signed ACL changed by f.
func (s *sealed) aclWith(f func(a *format.ACL)) []byte {
	a := *s.acl
	a.Entries = slices.Clone(s.acl.Entries)
	f(&a)
	return rawSign(s.owner, format.KindACL, a.Body())
}

// grantWith is grant i, changed by f and signed by the owner.
func (s *sealed) grantWith(i int, f func(g *format.Grant)) []byte {
	g := *s.grants[i]
	f(&g)
	return rawSign(s.owner, format.KindGrant, g.Body())
}

// cardWith is the owner's card changed by f and self-signed.
func (s *sealed) cardWith(f func(c *format.KeyCard)) []byte {
	c := *s.owner.card
	f(&c)
	return rawSign(s.owner, format.KindKeyCard, c.Body())
}

// flip returns b with one bit of byte i changed (i < 0 counts from the end).
func flip(b []byte, i int) []byte {
	b = bytes.Clone(b)
	if i < 0 {
		i += len(b)
	}
	b[i] ^= 0x01
	return b
}

// rehash returns a layout whose leaf list, root and (owner-signed) header
// describe body, a changed body ciphertext of s, so that only the chunk tags
// can tell that it changed.
func (s *sealed) rehash(body []byte) *layout {
	var leaves []byte
	var list [][32]byte
	for off := cobble.HeaderSize; off < len(body); off += cobble.EncryptedChunkSize {
		leaf := merkle.LeafHash(body[off:min(off+cobble.EncryptedChunkSize, len(body))])
		list = append(list, leaf)
		leaves = append(leaves, leaf[:]...)
	}
	l := s.layout()
	l.body, l.leaves = body, leaves
	l.header = s.headerWith(func(h *format.Header) { h.Root = merkle.Root(list) })
	return l
}

// aead is AES-256-GCM under key.
func aead(key []byte) cipher.AEAD {
	b, err := aes.NewCipher(key)
	if err != nil {
		panic("testkit: " + err.Error()) // keys here are always 32 bytes
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		panic("testkit: " + err.Error())
	}
	return a
}

// metaKey is the metadata key of format-v1 §5, computed here from the spec.
func (s *sealed) metaKey() []byte {
	k, err := hkdf.Key(sha512.New, s.dek, nil, "blindvault.v1 meta"+string(s.bodyContext()), 32)
	if err != nil {
		panic("testkit: " + err.Error()) // only for impossible lengths
	}
	return k
}

// paddedMeta decrypts the header's sealed metadata: u16<inner> ‖ zeros.
func (s *sealed) paddedMeta() []byte {
	m := s.header.SealedMeta
	padded, err := aead(s.metaKey()).Open(nil, m[:12], m[12:], s.bodyContext())
	if err != nil {
		panic("testkit: the kit's own metadata does not open: " + err.Error())
	}
	return padded
}

// withMeta is the owner-signed header whose metadata is padded (any bytes),
// sealed as §5 says.
func (s *sealed) withMeta(padded []byte) []byte {
	nonce := derive("metadata nonce")[:12]
	sm := aead(s.metaKey()).Seal(bytes.Clone(nonce), nonce, padded, s.bodyContext())
	return s.headerWith(func(h *format.Header) { h.SealedMeta = sm })
}

// metaChanged is withMeta of the decrypted metadata changed by f.
func (s *sealed) metaChanged(f func(p []byte) []byte) []byte {
	return s.withMeta(f(s.paddedMeta()))
}
