package backup

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"fmt"
	"strings"
	"unicode"
)

// Recovery code (docs/spec/backup-v1.md §5): 16 random bytes and a 4-byte
// checksum, shown as 32 base32 characters (RFC 4648 alphabet A–Z 2–7, no
// padding) in 8 groups of 4 joined by dashes:
//
//	ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23-4567
const (
	recoveryCodeSize = 16
	recoveryCheckLen = 4
	recoveryChars    = 32
	recoveryGroup    = 4
	recoveryCheck    = "blindvault.v1 recovery-check"
)

var recoveryEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newRecoveryCode returns 16 random bytes.
func newRecoveryCode() []byte {
	c := make([]byte, recoveryCodeSize)
	rand.Read(c)
	return c
}

func recoveryChecksum(code []byte) []byte {
	h := sha256.New()
	h.Write([]byte(recoveryCheck))
	h.Write(code)
	return h.Sum(nil)[:recoveryCheckLen]
}

// FormatRecoveryCode returns the display form of a 16-byte code.
func FormatRecoveryCode(code []byte) string {
	if len(code) != recoveryCodeSize {
		panic("backup: recovery code must be 16 bytes")
	}
	s := recoveryEncoding.EncodeToString(append(append([]byte(nil), code...), recoveryChecksum(code)...))
	var b strings.Builder
	for i := 0; i < len(s); i += recoveryGroup {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(s[i : i+recoveryGroup])
	}
	return b.String()
}

// ParseRecoveryCode returns the 16 bytes of a recovery code as typed: case
// does not matter, and spaces and dashes anywhere are ignored. The checksum
// must match, so a typing error is ErrBadRecoveryCode, not a failed slot.
func ParseRecoveryCode(s string) ([]byte, error) {
	if len(s) > 4*recoveryChars {
		return nil, ErrBadRecoveryCode
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '-' || unicode.IsSpace(r):
		case r < unicode.MaxASCII:
			b.WriteRune(unicode.ToUpper(r))
		default:
			return nil, ErrBadRecoveryCode
		}
	}
	if b.Len() != recoveryChars {
		return nil, ErrBadRecoveryCode
	}
	raw, err := recoveryEncoding.DecodeString(b.String())
	if err != nil || len(raw) != recoveryCodeSize+recoveryCheckLen {
		return nil, fmt.Errorf("%w: not base32", ErrBadRecoveryCode)
	}
	code, sum := raw[:recoveryCodeSize], raw[recoveryCodeSize:]
	if subtle.ConstantTimeCompare(sum, recoveryChecksum(code)) != 1 {
		return nil, fmt.Errorf("%w: checksum mismatch (a typing error?)", ErrBadRecoveryCode)
	}
	return code, nil
}
