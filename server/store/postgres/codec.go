package postgres

import (
	"fmt"
	"time"
)

// Times are stored as Unix nanoseconds, 0 for the zero time.

func ts(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromTS(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// id32 copies a 32-byte column into an id; any other length is corruption.
func id32[T ~[32]byte](dst *T, b []byte) error {
	if len(b) != len(*dst) {
		return fmt.Errorf("%d-byte id in the database: %w", len(b), errCorrupt)
	}
	copy((*dst)[:], b)
	return nil
}

// errCorrupt: the database holds what this package never writes.
var errCorrupt = fmt.Errorf("database corrupt")
