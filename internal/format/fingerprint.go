package format

import (
	"crypto/sha256"
	"encoding/base32"
	"strings"
)

// KeyID names an X-Wing public key in ACLs and grants: SHA-256(xwing_pk).
func KeyID(xwingPK []byte) [32]byte {
	return sha256.Sum256(xwingPK)
}

// fingerprintLabel prefixes the fingerprint hash input.
const fingerprintLabel = "blindvault.v1 fp"

// Fingerprint is SHA-256("blindvault.v1 fp" ‖ ed25519_pk ‖ xwing_pk ‖ account_id):
// the full 32 bytes name an identity everywhere but on screen.
func (c *KeyCard) Fingerprint() [32]byte {
	h := sha256.New()
	h.Write([]byte(fingerprintLabel))
	h.Write(c.Ed25519PK[:])
	h.Write(c.XWingPK)
	h.Write(c.AccountID[:])
	return [32]byte(h.Sum(nil))
}

var fingerprintEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// FormatFingerprint renders the first 160 bits of fp for two people to compare:
// upper-case RFC 4648 base32 without padding, in 8 groups of 4 characters
// separated by spaces.
func FormatFingerprint(fp [32]byte) string {
	s := fingerprintEncoding.EncodeToString(fp[:20]) // 32 characters
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[i : i+4])
	}
	return b.String()
}
