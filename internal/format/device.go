package format

import (
	"crypto/ed25519"
	"fmt"
)

// DeviceCert certifies DevicePK as a device key of the account, signed by the
// identity key of the card whose fingerprint is IdentityFP (§2.3).
type DeviceCert struct {
	DevicePK   [32]byte
	AccountID  [32]byte
	IdentityFP [32]byte
	Created    uint64 // Unix seconds, < NotAfter
	NotAfter   uint64
	Signature  []byte
}

// DeviceRevocation withdraws DevicePK, signed by the identity key (§2.4). Headers
// signed by DevicePK and logged after it are rejected.
type DeviceRevocation struct {
	DevicePK   [32]byte
	AccountID  [32]byte
	IdentityFP [32]byte
	RevokedAt  uint64 // Unix seconds
	Signature  []byte
}

// Body returns the certificate's body.
func (d *DeviceCert) Body() []byte {
	b := newBody(KindDeviceCert)
	b.AddBytes(d.DevicePK[:])
	b.AddBytes(d.AccountID[:])
	b.AddBytes(d.IdentityFP[:])
	b.AddUint64(d.Created)
	b.AddUint64(d.NotAfter)
	return finish(b)
}

// Marshal returns the signed form.
func (d *DeviceCert) Marshal() []byte {
	return SignedForm(d.Body(), d.Signature, false, nil)
}

// Hash returns hash(certificate).
func (d *DeviceCert) Hash() [32]byte {
	return hashBody(KindDeviceCert, d.Body())
}

func (d *DeviceCert) validate() error {
	if err := checkKey(KindDeviceCert, "device_pk", d.DevicePK); err != nil {
		return err
	}
	if d.Created >= d.NotAfter {
		return malformed(KindDeviceCert, "created is not before not_after")
	}
	return nil
}

// Sign fills in the signature with the identity's private key.
func (d *DeviceCert) Sign(priv ed25519.PrivateKey) error {
	if err := d.validate(); err != nil {
		return err
	}
	sig, err := signBody(priv, KindDeviceCert, d.Body())
	if err != nil {
		return err
	}
	d.Signature = sig
	return nil
}

// Verify checks the signature under the identity key pub. VerifyIssuer also
// checks that the certificate names the card the key comes from.
func (d *DeviceCert) Verify(pub [32]byte) error {
	return verifyBody(pub, KindDeviceCert, d.Body(), d.Signature)
}

// VerifyIssuer checks that card is the identity the certificate names (same
// fingerprint and account) and that its identity key signed it.
func (d *DeviceCert) VerifyIssuer(card *KeyCard) error {
	if err := checkIssuer(KindDeviceCert, card, d.IdentityFP, d.AccountID); err != nil {
		return err
	}
	return d.Verify(card.Ed25519PK)
}

// ParseDeviceCert parses the signed form of a device certificate. It does not
// verify the signature.
func ParseDeviceCert(b []byte) (*DeviceCert, error) {
	env, err := parseEnvelope(b, KindDeviceCert, false)
	if err != nil {
		return nil, err
	}
	d := new(DeviceCert)
	s := &env.fields
	if !s.CopyBytes(d.DevicePK[:]) ||
		!s.CopyBytes(d.AccountID[:]) ||
		!s.CopyBytes(d.IdentityFP[:]) ||
		!s.ReadUint64(&d.Created) ||
		!s.ReadUint64(&d.NotAfter) {
		return nil, malformed(KindDeviceCert, "truncated fields")
	}
	if err := env.done(KindDeviceCert); err != nil {
		return nil, err
	}
	d.Signature = env.sig
	if err := d.validate(); err != nil {
		return nil, err
	}
	return d, nil
}

// Body returns the revocation's body.
func (r *DeviceRevocation) Body() []byte {
	b := newBody(KindDeviceRevocation)
	b.AddBytes(r.DevicePK[:])
	b.AddBytes(r.AccountID[:])
	b.AddBytes(r.IdentityFP[:])
	b.AddUint64(r.RevokedAt)
	return finish(b)
}

// Marshal returns the signed form.
func (r *DeviceRevocation) Marshal() []byte {
	return SignedForm(r.Body(), r.Signature, false, nil)
}

// Hash returns hash(revocation).
func (r *DeviceRevocation) Hash() [32]byte {
	return hashBody(KindDeviceRevocation, r.Body())
}

func (r *DeviceRevocation) validate() error {
	return checkKey(KindDeviceRevocation, "device_pk", r.DevicePK)
}

// Sign fills in the signature with the identity's private key.
func (r *DeviceRevocation) Sign(priv ed25519.PrivateKey) error {
	if err := r.validate(); err != nil {
		return err
	}
	sig, err := signBody(priv, KindDeviceRevocation, r.Body())
	if err != nil {
		return err
	}
	r.Signature = sig
	return nil
}

// Verify checks the signature under the identity key pub.
func (r *DeviceRevocation) Verify(pub [32]byte) error {
	return verifyBody(pub, KindDeviceRevocation, r.Body(), r.Signature)
}

// VerifyIssuer checks that card is the identity the revocation names and that
// its identity key signed it.
func (r *DeviceRevocation) VerifyIssuer(card *KeyCard) error {
	if err := checkIssuer(KindDeviceRevocation, card, r.IdentityFP, r.AccountID); err != nil {
		return err
	}
	return r.Verify(card.Ed25519PK)
}

// ParseDeviceRevocation parses the signed form of a device revocation. It does
// not verify the signature.
func ParseDeviceRevocation(b []byte) (*DeviceRevocation, error) {
	env, err := parseEnvelope(b, KindDeviceRevocation, false)
	if err != nil {
		return nil, err
	}
	r := new(DeviceRevocation)
	s := &env.fields
	if !s.CopyBytes(r.DevicePK[:]) ||
		!s.CopyBytes(r.AccountID[:]) ||
		!s.CopyBytes(r.IdentityFP[:]) ||
		!s.ReadUint64(&r.RevokedAt) {
		return nil, malformed(KindDeviceRevocation, "truncated fields")
	}
	if err := env.done(KindDeviceRevocation); err != nil {
		return nil, err
	}
	r.Signature = env.sig
	if err := r.validate(); err != nil {
		return nil, err
	}
	return r, nil
}

// checkIssuer binds a device object to the card that should have signed it.
func checkIssuer(k Kind, card *KeyCard, fp, account [32]byte) error {
	switch {
	case card == nil:
		return fmt.Errorf("%w: %s: no identity card", ErrBadSignature, k)
	case card.Fingerprint() != fp:
		return fmt.Errorf("%w: %s: card fingerprint is not the identity named", ErrBadSignature, k)
	case card.AccountID != account:
		return fmt.Errorf("%w: %s: card account is not the account named", ErrBadSignature, k)
	}
	return nil
}
