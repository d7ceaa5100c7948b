package format

import (
	"crypto/ed25519"
	"fmt"
	"math"

	"github.com/cloudflare/circl/kem/xwing"
	"golang.org/x/crypto/cryptobyte"
)

// Sizes of key card fields.
const (
	XWingPublicKeySize = 1216
	MaxHandleSize      = 64
)

// KeyCard is an identity's public keys, self-signed (§2.1). A card with Seq > 1
// also carries an endorsement by the previous card's identity key (or the
// account's recovery key), so a server cannot publish a card for an account
// without its owner.
type KeyCard struct {
	AccountID    [32]byte
	Handle       string // 1..64 bytes of UTF-8, no control characters
	Ed25519PK    [32]byte
	XWingPK      []byte   // XWingPublicKeySize bytes
	Seq          uint64   // ≥ 1
	PrevCardHash [32]byte // zero iff Seq = 1
	Created      uint64   // Unix seconds
	Signature    []byte   // self signature by Ed25519PK
	Endorsement  []byte   // empty iff Seq = 1, else 64 bytes
}

// Body returns the card's body. It returns nil if a field is too long for its
// length prefix, which only a hand-built card can be.
func (c *KeyCard) Body() []byte {
	b := newBody(KindKeyCard)
	b.AddBytes(c.AccountID[:])
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(c.Handle)) })
	b.AddBytes(c.Ed25519PK[:])
	b.AddBytes(c.XWingPK)
	b.AddUint64(c.Seq)
	b.AddBytes(c.PrevCardHash[:])
	b.AddUint64(c.Created)
	return finish(b)
}

// Marshal returns the signed form u24<body> ‖ u8<signature> ‖ u8<endorsement>,
// or nil if the card cannot be encoded.
func (c *KeyCard) Marshal() []byte {
	return SignedForm(c.Body(), c.Signature, true, c.Endorsement)
}

// Hash returns hash(card), which the successor names as its PrevCardHash.
func (c *KeyCard) Hash() [32]byte {
	return hashBody(KindKeyCard, c.Body())
}

// validate enforces the constraints on the card's fields.
func (c *KeyCard) validate() error {
	if err := checkKey(KindKeyCard, "ed25519_pk", c.Ed25519PK); err != nil {
		return err
	}
	if !validText(c.Handle, 1, MaxHandleSize) {
		return malformed(KindKeyCard, "handle is not 1..64 bytes of UTF-8 without control characters")
	}
	if len(c.XWingPK) != XWingPublicKeySize {
		return malformed(KindKeyCard, fmt.Sprintf("xwing_pk is %d bytes, want %d", len(c.XWingPK), XWingPublicKeySize))
	}
	// The ML-KEM half must pass the encapsulation key check of FIPS 203, or no
	// one could ever seal to this card.
	if _, err := xwing.Scheme().UnmarshalBinaryPublicKey(c.XWingPK); err != nil {
		return fmt.Errorf("%w: %s: invalid X-Wing public key: %w", ErrMalformed, KindKeyCard, err)
	}
	return checkChain(KindKeyCard, c.Seq, c.PrevCardHash)
}

// Sign fills in the self signature. priv must be the private key of Ed25519PK.
func (c *KeyCard) Sign(priv ed25519.PrivateKey) error {
	if err := checkSigner(priv, c.Ed25519PK, KindKeyCard); err != nil {
		return err
	}
	if err := c.validate(); err != nil {
		return err
	}
	sig, err := signBody(priv, KindKeyCard, c.Body())
	if err != nil {
		return err
	}
	c.Signature = sig
	return nil
}

// Endorse fills in the endorsement of a card with Seq > 1, made with the previous
// card's identity key or the account's recovery key.
func (c *KeyCard) Endorse(prevPriv ed25519.PrivateKey) error {
	if err := c.validate(); err != nil {
		return err
	}
	if c.Seq == 1 {
		return malformed(KindKeyCard, "the first card of an account has no endorsement")
	}
	sig, err := signBody(prevPriv, KindKeyCard, c.Body())
	if err != nil {
		return err
	}
	c.Endorsement = sig
	return nil
}

// ParseKeyCard parses the signed form of a key card and verifies its self
// signature. The endorsement is checked later, by VerifySuccessor or
// VerifyEndorsement.
func ParseKeyCard(b []byte) (*KeyCard, error) {
	env, err := parseEnvelope(b, KindKeyCard, true)
	if err != nil {
		return nil, err
	}
	c := new(KeyCard)
	var handle cryptobyte.String
	var xpk []byte
	s := &env.fields
	if !s.CopyBytes(c.AccountID[:]) ||
		!s.ReadUint8LengthPrefixed(&handle) ||
		!s.CopyBytes(c.Ed25519PK[:]) ||
		!s.ReadBytes(&xpk, XWingPublicKeySize) ||
		!s.ReadUint64(&c.Seq) ||
		!s.CopyBytes(c.PrevCardHash[:]) ||
		!s.ReadUint64(&c.Created) {
		return nil, malformed(KindKeyCard, "truncated fields")
	}
	if err := env.done(KindKeyCard); err != nil {
		return nil, err
	}
	c.Handle, c.XWingPK = string(handle), clone(xpk)
	c.Signature, c.Endorsement = env.sig, env.endorsement
	if err := c.validate(); err != nil {
		return nil, err
	}
	if (c.Seq == 1) != (len(c.Endorsement) == 0) {
		return nil, malformed(KindKeyCard, "endorsement must be present iff seq > 1")
	}
	if err := c.Verify(); err != nil {
		return nil, err
	}
	return c, nil
}

// Verify checks the self signature under Ed25519PK. It takes no key: a card's
// self signature only proves possession; trust in the card comes from its
// fingerprint, its log inclusion and its endorsement chain.
func (c *KeyCard) Verify() error {
	return verifyBody(c.Ed25519PK, KindKeyCard, c.Body(), c.Signature)
}

// VerifyEndorsement checks the endorsement under pub: the previous card's identity
// key or the account's recovery key.
func (c *KeyCard) VerifyEndorsement(pub [32]byte) error {
	if c.Seq <= 1 {
		return fmt.Errorf("%w: %s: seq %d has no endorsement", ErrBadSignature, KindKeyCard, c.Seq)
	}
	if err := verifyBody(pub, KindKeyCard, c.Body(), c.Endorsement); err != nil {
		return fmt.Errorf("%w: endorsement", err)
	}
	return nil
}

// VerifySuccessor checks that c directly follows prev: same account, seq one more,
// PrevCardHash = prev.Hash(), a valid self signature, and an endorsement by prev's
// identity key. A successor endorsed by the recovery key is checked with
// VerifyRecovery instead.
func (c *KeyCard) VerifySuccessor(prev *KeyCard) error {
	if err := c.followsCard(prev); err != nil {
		return err
	}
	if err := c.Verify(); err != nil {
		return err
	}
	return c.VerifyEndorsement(prev.Ed25519PK)
}

// VerifyRecovery checks that c directly follows prev like VerifySuccessor, but
// with the endorsement made by the account's recovery key.
func (c *KeyCard) VerifyRecovery(prev *KeyCard, recoveryPK [32]byte) error {
	if err := c.followsCard(prev); err != nil {
		return err
	}
	if err := c.Verify(); err != nil {
		return err
	}
	return c.VerifyEndorsement(recoveryPK)
}

func (c *KeyCard) followsCard(prev *KeyCard) error {
	switch {
	case prev == nil:
		return fmt.Errorf("%w: %s: no previous card", ErrBadChain, KindKeyCard)
	case c.AccountID != prev.AccountID:
		return fmt.Errorf("%w: %s: account changed", ErrBadChain, KindKeyCard)
	case prev.Seq == math.MaxUint64 || c.Seq != prev.Seq+1:
		return fmt.Errorf("%w: %s: seq %d after %d", ErrBadChain, KindKeyCard, c.Seq, prev.Seq)
	case c.PrevCardHash != prev.Hash():
		return fmt.Errorf("%w: %s: previous card hash mismatch", ErrBadChain, KindKeyCard)
	}
	return nil
}
