package bolt

import (
	"fmt"

	"github.com/blindvault/blindvault/server/store"
)

// maxValue bounds any one opaque field a caller passes (a key card, a header,
// a leaf list, a backup blob), so that small writes stay small and every
// length fits the encodings. Bodies are streamed and bounded separately.
const maxValue = 64 << 20

func invalid(format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, store.ErrInvalid)...)
}

func checkValue(what string, v []byte, required bool) error {
	if required && len(v) == 0 {
		return invalid("%s is empty", what)
	}
	if len(v) > maxValue {
		return fmt.Errorf("%s is %d bytes: %w", what, len(v), store.ErrTooLarge)
	}
	return nil
}

func checkID(what string, zero bool) error {
	if zero {
		return invalid("%s is zero", what)
	}
	return nil
}

// size sums the lengths of values a write stores, for batch accounting.
func size(vs ...[]byte) int {
	n := 256
	for _, v := range vs {
		n += len(v)
	}
	return n
}
