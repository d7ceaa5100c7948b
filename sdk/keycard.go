package sdk

import (
	"github.com/blindvault/blindvault/internal/format"
)

// KeyCard is an identity's public, self-signed card: its account id, handle, Ed25519
// verification key and X-Wing encryption key. A KeyCard value has always had its
// self-signature verified.
type KeyCard struct{ c *format.KeyCard }

// Fingerprint identifies a key card. Two people compare its String form to know they
// hold the same card.
type Fingerprint [32]byte

// String returns 160 bits of the fingerprint in eight groups of four base32 characters.
func (f Fingerprint) String() string { return format.FormatFingerprint(f) }

// MarshalText returns the String form, as JSON shows it.
func (f Fingerprint) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// ParseKeyCard reads a key card in its text (PEM) or binary form and verifies its
// self-signature.
func ParseKeyCard(data []byte) (_ *KeyCard, err error) {
	defer inModel(&err)
	var c *format.KeyCard
	if len(data) > 0 && data[0] == '-' {
		c, err = format.ParseKeyCardText(data)
	} else {
		c, err = format.ParseKeyCard(data)
	}
	if err != nil {
		return nil, err
	}
	return &KeyCard{c: c}, nil
}

// Handle is the name the card's owner chose. It is not unique and not verified.
func (k *KeyCard) Handle() string { return k.c.Handle }

// AccountID is the card's 32-byte account id.
func (k *KeyCard) AccountID() AccountID { return k.c.AccountID }

// Fingerprint is SHA-256("blindvault.v1 fp" ‖ ed25519_pk ‖ xwing_pk ‖ account_id).
func (k *KeyCard) Fingerprint() Fingerprint { return Fingerprint(k.c.Fingerprint()) }

// Bytes returns the card's binary form.
func (k *KeyCard) Bytes() []byte { return k.c.Marshal() }

// MarshalText returns the card's text form, for files and e-mail.
func (k *KeyCard) MarshalText() ([]byte, error) { return format.MarshalKeyCardText(k.c), nil }
