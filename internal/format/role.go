package format

import (
	"crypto/ed25519"
	"fmt"

	"golang.org/x/crypto/cryptobyte"
)

// Roles a role attestation can give.
const (
	RolePatient   = "patient"
	RoleClinician = "clinician"
	RoleService   = "service"
	RoleAdmin     = "admin"
)

// MaxOrgSize is the longest organisation name, in bytes.
const MaxOrgSize = 128

// RoleAttestation states that the identity with fingerprint SubjectFP has Role in
// Org until NotAfter (§2.2). It is signed by IssuerPK, an organisation admin key;
// a reader accepts it only if IssuerPK is pinned for Org and now ≤ NotAfter.
type RoleAttestation struct {
	SubjectFP [32]byte
	Role      string // one of RolePatient, RoleClinician, RoleService, RoleAdmin
	Org       string // 1..128 bytes of UTF-8, no control characters
	NotAfter  uint64 // Unix seconds
	IssuerPK  [32]byte
	Signature []byte
}

// Body returns the attestation's body, or nil if a field is too long to encode.
func (r *RoleAttestation) Body() []byte {
	b := newBody(KindRole)
	b.AddBytes(r.SubjectFP[:])
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(r.Role)) })
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(r.Org)) })
	b.AddUint64(r.NotAfter)
	b.AddBytes(r.IssuerPK[:])
	return finish(b)
}

// Marshal returns the signed form, or nil if the attestation cannot be encoded.
func (r *RoleAttestation) Marshal() []byte {
	return SignedForm(r.Body(), r.Signature, false, nil)
}

// Hash returns hash(attestation).
func (r *RoleAttestation) Hash() [32]byte {
	return hashBody(KindRole, r.Body())
}

func validRole(role string) bool {
	switch role {
	case RolePatient, RoleClinician, RoleService, RoleAdmin:
		return true
	}
	return false
}

func (r *RoleAttestation) validate() error {
	if err := checkKey(KindRole, "issuer_pk", r.IssuerPK); err != nil {
		return err
	}
	if !validRole(r.Role) {
		return malformed(KindRole, "unknown role")
	}
	if !validText(r.Org, 1, MaxOrgSize) {
		return malformed(KindRole, "org is not 1..128 bytes of UTF-8 without control characters")
	}
	return nil
}

// Sign fills in the signature. priv must be the private key of IssuerPK.
func (r *RoleAttestation) Sign(priv ed25519.PrivateKey) error {
	if err := checkSigner(priv, r.IssuerPK, KindRole); err != nil {
		return err
	}
	if err := r.validate(); err != nil {
		return err
	}
	sig, err := signBody(priv, KindRole, r.Body())
	if err != nil {
		return err
	}
	r.Signature = sig
	return nil
}

// Verify checks the signature under pub, which must be IssuerPK: the caller
// passes the admin key it pinned for Org, and the attestation must name it.
func (r *RoleAttestation) Verify(pub [32]byte) error {
	if pub != r.IssuerPK {
		return fmt.Errorf("%w: %s: key is not the issuer", ErrBadSignature, KindRole)
	}
	return verifyBody(pub, KindRole, r.Body(), r.Signature)
}

// ParseRoleAttestation parses the signed form of a role attestation. It does not
// verify the signature.
func ParseRoleAttestation(b []byte) (*RoleAttestation, error) {
	env, err := parseEnvelope(b, KindRole, false)
	if err != nil {
		return nil, err
	}
	r := new(RoleAttestation)
	var role, org cryptobyte.String
	s := &env.fields
	if !s.CopyBytes(r.SubjectFP[:]) ||
		!s.ReadUint8LengthPrefixed(&role) ||
		!s.ReadUint8LengthPrefixed(&org) ||
		!s.ReadUint64(&r.NotAfter) ||
		!s.CopyBytes(r.IssuerPK[:]) {
		return nil, malformed(KindRole, "truncated fields")
	}
	if err := env.done(KindRole); err != nil {
		return nil, err
	}
	r.Role, r.Org, r.Signature = string(role), string(org), env.sig
	if err := r.validate(); err != nil {
		return nil, err
	}
	return r, nil
}
