package fhir

import "errors"

// Limits bound what Parse accepts. The zero value of a field means its
// default (DefaultLimits).
type Limits struct {
	// MaxBytes bounds the whole bundle: 64 MiB.
	MaxBytes int64
	// MaxDepth bounds JSON nesting: 32 (R4 resources nest well under 20).
	MaxDepth int
	// MaxString bounds every string and number but base64 data: 1 MiB, as
	// R4 bounds strings ("SHALL NOT exceed 1MB").
	MaxString int
	// MaxData bounds a base64Binary "data" value (a Binary's bytes): 48 MiB.
	MaxData int
	// MaxEntries bounds the number of entries: 10,000.
	MaxEntries int
}

// DefaultLimits are the limits Parse applies where a field is zero.
var DefaultLimits = Limits{MaxBytes: 64 << 20, MaxDepth: 32, MaxString: 1 << 20, MaxData: 48 << 20, MaxEntries: 10000}

func (l *Limits) orDefault() Limits {
	out := DefaultLimits
	if l == nil {
		return out
	}
	if l.MaxBytes > 0 {
		out.MaxBytes = l.MaxBytes
	}
	if l.MaxDepth > 0 {
		out.MaxDepth = l.MaxDepth
	}
	if l.MaxString > 0 {
		out.MaxString = l.MaxString
	}
	if l.MaxData > 0 {
		out.MaxData = l.MaxData
	}
	if l.MaxEntries > 0 {
		out.MaxEntries = l.MaxEntries
	}
	return out
}

// Errors Parse returns, wrapped with what was wrong and where.
var (
	// ErrNotBundle: the document is not a FHIR Bundle.
	ErrNotBundle = errors.New("fhir: not a FHIR Bundle")
	// ErrMalformed: the bundle is not well-formed JSON, or an entry is not an
	// R4 resource this package can import.
	ErrMalformed = errors.New("fhir: malformed bundle")
	// ErrTooLarge: the bundle exceeds a limit (size, depth, a string, entries).
	ErrTooLarge = errors.New("fhir: bundle exceeds a limit")
)
