package bolt

import "github.com/blindvault/blindvault/server/store/internal/check"

func invalid(format string, args ...any) error { return check.Invalid(format, args...) }

func checkValue(what string, v []byte, required bool) error { return check.Value(what, v, required) }

func checkID(what string, zero bool) error { return check.ID(what, zero) }

// size sums the lengths of values a write stores, for batch accounting.
func size(vs ...[]byte) int {
	n := 256
	for _, v := range vs {
		n += len(v)
	}
	return n
}
