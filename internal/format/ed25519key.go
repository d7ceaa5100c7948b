package format

import (
	"errors"
	"fmt"
)

// Reasons CheckEd25519PublicKey gives. Callers wrap them in their own package's
// malformed error (format.ErrMalformed, backup.ErrBadSetup, …).
var (
	errKeyNonCanonicalY = errors.New("non-canonical Ed25519 public key: y is not reduced modulo 2^255-19")
	errKeyNegativeZero  = errors.New("non-canonical Ed25519 public key: x = 0 with the sign bit set")
	errKeySmallOrder    = errors.New("Ed25519 public key of small order (an 8-torsion point)")
)

// smallOrderY are the y coordinates, as 32-byte little-endian values below p =
// 2^255 − 19, of the eight points of order dividing 8 on edwards25519 (the
// canonical entries of libsodium's blocklist): y = 0 (order 4, x = ±√−1),
// y = 1 (the identity), y = p − 1 (order 2), and the two y of the four points
// of order 8. With the sign bit either way they are exactly the 8-torsion
// subgroup; TestCheckEd25519PublicKey_TorsionIsComplete recomputes it.
var smallOrderY = [5][32]byte{
	{}, // 0
	{0x01},
	{0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, // p − 1
	{0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
		0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05},
	{0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
		0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a},
}

// CheckEd25519PublicKey reports why pk may not be used as an Ed25519 public key
// of any Blindvault object, or nil. It rejects, in this order (format-v1 §1):
//
//  1. a length other than 32 bytes;
//  2. a non-canonical encoding: the low 255 bits, read as a little-endian
//     integer y, are ≥ p = 2^255 − 19;
//  3. a non-canonical encoding of a point with x = 0 (y = 1 or y = p − 1) that
//     has the sign bit (bit 255) set;
//  4. a point of small order: y is one of the five values in smallOrderY,
//     whatever the sign bit. These are the eight points P with [8]P = identity.
//
// A key of small order lets its holder make one signature that verifies for
// many messages (for the identity point, any (R = [s]B, s) verifies for every
// message under crypto/ed25519's cofactorless check), so a signature under it
// binds nothing. A non-canonical encoding gives one key several encodings, so
// "same key" would no longer mean "same bytes".
//
// It does not decode the point: a y with no x on the curve passes here, and no
// signature ever verifies under it (crypto/ed25519 rejects it in Verify).
// Public keys are not secret; the check is not constant-time.
func CheckEd25519PublicKey(pk []byte) error {
	if len(pk) != 32 {
		return fmt.Errorf("Ed25519 public key is %d bytes, want 32", len(pk))
	}
	y := [32]byte(pk)
	negative := y[31]&0x80 != 0
	y[31] &= 0x7f
	if !reducedModP(&y) {
		return errKeyNonCanonicalY
	}
	if negative && (y == smallOrderY[1] || y == smallOrderY[2]) {
		return errKeyNegativeZero
	}
	for i := range smallOrderY {
		if y == smallOrderY[i] {
			return errKeySmallOrder
		}
	}
	return nil
}

// reducedModP reports whether the 255-bit little-endian y is < p = 2^255 − 19,
// whose encoding is ed ff … ff 7f: y ≥ p only if bytes 1..30 are 0xff, byte 31
// is 0x7f and byte 0 is at least 0xed.
func reducedModP(y *[32]byte) bool {
	if y[31] != 0x7f || y[0] < 0xed {
		return true
	}
	for _, b := range y[1:31] {
		if b != 0xff {
			return true
		}
	}
	return false
}

// checkKey applies CheckEd25519PublicKey to the Ed25519 key in field of an
// object of kind k, as an ErrMalformed.
func checkKey(k Kind, field string, pk [32]byte) error {
	if err := CheckEd25519PublicKey(pk[:]); err != nil {
		return malformed(k, field+": "+err.Error())
	}
	return nil
}
