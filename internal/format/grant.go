package format

import (
	"crypto/ed25519"
	"fmt"

	"golang.org/x/crypto/cryptobyte"
)

// Sizes of a grant's HPKE output: an X-Wing encapsulation, and the 32-byte epoch
// key sealed with AES-256-GCM.
const (
	GrantEncSize = 1120
	GrantCTSize  = 48
)

// Grant carries the key of one epoch of a record to one recipient, sealed with
// HPKE (package grant), and signed by the granter's identity key (§2.6).
type Grant struct {
	RecordID  [32]byte
	Epoch     uint32   // ≥ 1
	Recipient [32]byte // KeyID of the recipient's X-Wing public key
	Granter   [32]byte // the signer's account_id
	SignerPK  [32]byte // the granter's identity key
	Enc       []byte   // 1120 bytes
	CT        []byte   // 48 bytes
	Signature []byte
}

// Body returns the grant's body, or nil if Enc or CT is too long to encode.
func (g *Grant) Body() []byte {
	b := newBody(KindGrant)
	b.AddBytes(g.RecordID[:])
	b.AddUint32(g.Epoch)
	b.AddBytes(g.Recipient[:])
	b.AddBytes(g.Granter[:])
	b.AddBytes(g.SignerPK[:])
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(g.Enc) })
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(g.CT) })
	return finish(b)
}

// Marshal returns the signed form, or nil if the grant cannot be encoded.
func (g *Grant) Marshal() []byte {
	return SignedForm(g.Body(), g.Signature, false, nil)
}

// Hash returns hash(grant).
func (g *Grant) Hash() [32]byte {
	return hashBody(KindGrant, g.Body())
}

func (g *Grant) validate() error {
	if err := checkKey(KindGrant, "signer_pk", g.SignerPK); err != nil {
		return err
	}
	switch {
	case g.Epoch == 0:
		return malformed(KindGrant, "epoch 0")
	case len(g.Enc) != GrantEncSize:
		return malformed(KindGrant, fmt.Sprintf("enc is %d bytes, want %d", len(g.Enc), GrantEncSize))
	case len(g.CT) != GrantCTSize:
		return malformed(KindGrant, fmt.Sprintf("ct is %d bytes, want %d", len(g.CT), GrantCTSize))
	}
	return nil
}

// Sign fills in the signature. priv must be the private key of SignerPK.
func (g *Grant) Sign(priv ed25519.PrivateKey) error {
	if err := checkSigner(priv, g.SignerPK, KindGrant); err != nil {
		return err
	}
	if err := g.validate(); err != nil {
		return err
	}
	sig, err := signBody(priv, KindGrant, g.Body())
	if err != nil {
		return err
	}
	g.Signature = sig
	return nil
}

// Verify checks the signature under pub, which must be SignerPK: the caller
// passes the granter's identity key from a card it trusts.
func (g *Grant) Verify(pub [32]byte) error {
	if pub != g.SignerPK {
		return fmt.Errorf("%w: %s: key is not signer_pk", ErrBadSignature, KindGrant)
	}
	return verifyBody(pub, KindGrant, g.Body(), g.Signature)
}

// ParseGrant parses the signed form of a grant. It does not verify the signature.
func ParseGrant(b []byte) (*Grant, error) {
	env, err := parseEnvelope(b, KindGrant, false)
	if err != nil {
		return nil, err
	}
	g := new(Grant)
	var enc, ct cryptobyte.String
	s := &env.fields
	if !s.CopyBytes(g.RecordID[:]) ||
		!s.ReadUint32(&g.Epoch) ||
		!s.CopyBytes(g.Recipient[:]) ||
		!s.CopyBytes(g.Granter[:]) ||
		!s.CopyBytes(g.SignerPK[:]) ||
		!s.ReadUint16LengthPrefixed(&enc) ||
		!s.ReadUint8LengthPrefixed(&ct) {
		return nil, malformed(KindGrant, "truncated fields")
	}
	if err := env.done(KindGrant); err != nil {
		return nil, err
	}
	g.Enc, g.CT, g.Signature = clone(enc), clone(ct), env.sig
	if err := g.validate(); err != nil {
		return nil, err
	}
	return g, nil
}
