package format

import (
	"crypto/ed25519"
	"fmt"

	"golang.org/x/crypto/cryptobyte"
)

// MaxOriginSize is the longest origin an auth object may name, in bytes.
const MaxOriginSize = 256

// Auth is a device's answer to a server's session challenge (§2.8): it binds the
// server's origin, the account, the device key and the server's nonce, and it
// expires. It is signed by the device key DevicePK, so a server learns that the
// holder of that key asked for a session at that server, and nothing it could
// replay at another server or after Expiry.
type Auth struct {
	Origin    string   // the server URL the client is configured with, 1..256 bytes
	AccountID [32]byte // the account logging in
	DevicePK  [32]byte // the device key that signs
	Nonce     [32]byte // the server's challenge
	Expiry    uint64   // Unix seconds
	Signature []byte
}

// Body returns the auth object's body, or nil if Origin is too long to encode.
func (a *Auth) Body() []byte {
	b := newBody(KindAuth)
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(a.Origin)) })
	b.AddBytes(a.AccountID[:])
	b.AddBytes(a.DevicePK[:])
	b.AddBytes(a.Nonce[:])
	b.AddUint64(a.Expiry)
	return finish(b)
}

// Marshal returns the signed form, or nil if the object cannot be encoded.
func (a *Auth) Marshal() []byte {
	return SignedForm(a.Body(), a.Signature, false, nil)
}

// Hash returns hash(auth).
func (a *Auth) Hash() [32]byte {
	return hashBody(KindAuth, a.Body())
}

func (a *Auth) validate() error {
	if err := checkKey(KindAuth, "device_pk", a.DevicePK); err != nil {
		return err
	}
	if !validText(a.Origin, 1, MaxOriginSize) {
		return malformed(KindAuth, "origin is not 1..256 bytes of UTF-8 without control characters")
	}
	return nil
}

// Sign fills in the signature. priv must be the private key of DevicePK.
func (a *Auth) Sign(priv ed25519.PrivateKey) error {
	if err := checkSigner(priv, a.DevicePK, KindAuth); err != nil {
		return err
	}
	if err := a.validate(); err != nil {
		return err
	}
	sig, err := signBody(priv, KindAuth, a.Body())
	if err != nil {
		return err
	}
	a.Signature = sig
	return nil
}

// Verify checks the signature under pub, which must be DevicePK: the caller
// passes the device key it knows for the account (from a certificate it
// verified), and the object must name it.
func (a *Auth) Verify(pub [32]byte) error {
	if pub != a.DevicePK {
		return fmt.Errorf("%w: %s: key is not the device named", ErrBadSignature, KindAuth)
	}
	return verifyBody(pub, KindAuth, a.Body(), a.Signature)
}

// ParseAuth parses the signed form of an auth object. It does not verify the
// signature, the origin, the nonce or the expiry: those are the server's checks.
func ParseAuth(b []byte) (*Auth, error) {
	env, err := parseEnvelope(b, KindAuth, false)
	if err != nil {
		return nil, err
	}
	a := new(Auth)
	var origin cryptobyte.String
	s := &env.fields
	if !s.ReadUint16LengthPrefixed(&origin) ||
		!s.CopyBytes(a.AccountID[:]) ||
		!s.CopyBytes(a.DevicePK[:]) ||
		!s.CopyBytes(a.Nonce[:]) ||
		!s.ReadUint64(&a.Expiry) {
		return nil, malformed(KindAuth, "truncated fields")
	}
	if err := env.done(KindAuth); err != nil {
		return nil, err
	}
	a.Origin, a.Signature = string(origin), env.sig
	if err := a.validate(); err != nil {
		return nil, err
	}
	return a, nil
}
