package format

import (
	"unicode"
	"unicode/utf8"
)

// validText reports whether s is n bytes of UTF-8, min ≤ n ≤ max, without control
// characters. The spec names U+0000–U+001F and U+007F; the C1 controls
// U+0080–U+009F are rejected too, since terminals act on them (U+009B is CSI) just
// as on C0 controls.
func validText(s string, min, max int) bool {
	if len(s) < min || len(s) > max || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

func isZero(h [32]byte) bool {
	return h == [32]byte{}
}

// checkChain enforces "prev hash is zero iff seq (or version) = 1" and seq ≥ 1.
func checkChain(k Kind, seq uint64, prev [32]byte) error {
	switch {
	case seq == 0:
		return malformed(k, "sequence number 0")
	case seq == 1 && !isZero(prev):
		return malformed(k, "first in chain with a previous hash")
	case seq > 1 && isZero(prev):
		return malformed(k, "zero previous hash after the first")
	}
	return nil
}
