// Package padding hides the true length of record bodies and metadata.
//
// Bodies are zero-padded to max(Padmé(L), 4 KiB) (see [Padmé]); metadata to one of
// three fixed buckets. Padmé leaks O(log log L) bits of the length and costs at most
// ~12% overhead; the 4 KiB floor makes every small record look alike.
//
// [Padmé]: https://lbarman.ch/blog/padme/
package padding

import (
	"errors"
	"io"
	"math"
	"math/bits"
)

// MinBody is the smallest padded body: every record shorter than this looks the same.
const MinBody = 4096

// Padme returns the Padmé length for l: l rounded up so that only the top
// ⌊log2 ⌊log2 l⌋⌋+1 bits of the result may be non-zero. For l above
// 2^64 − 2^57, whose Padmé length does not fit in 64 bits, it saturates at
// math.MaxUint64, so Padme(l) ≥ l always holds (a wrapped sum would give a
// small length) and such an l never matches the padded size of a real body,
// which is at most 2^64 − 73 (format-v1 §4).
func Padme(l uint64) uint64 {
	if l < 2 {
		return l
	}
	e := uint64(bits.Len64(l) - 1) // ⌊log2 l⌋
	s := uint64(bits.Len64(e))     // ⌊log2 e⌋ + 1
	z := e - s
	mask := uint64(1)<<z - 1
	if l > math.MaxUint64-mask {
		return math.MaxUint64
	}
	return (l + mask) &^ mask
}

// BodySize is the padded plaintext size of a body of l bytes.
func BodySize(l uint64) uint64 {
	return max(Padme(l), MinBody)
}

// MetaBuckets are the only sizes sealed metadata plaintext may have.
var MetaBuckets = [...]int{512, 2048, 8192}

// ErrMetaTooLarge means the metadata does not fit the largest bucket.
var ErrMetaTooLarge = errors.New("metadata larger than the largest bucket")

// MetaBucket returns the smallest bucket that holds n bytes.
func MetaBucket(n int) (int, error) {
	for _, b := range MetaBuckets {
		if n <= b {
			return b, nil
		}
	}
	return 0, ErrMetaTooLarge
}

// IsMetaBucket reports whether n is one of MetaBuckets.
func IsMetaBucket(n int) bool {
	for _, b := range MetaBuckets {
		if n == b {
			return true
		}
	}
	return false
}

// Reader returns src followed by the zero bytes that pad it to BodySize of its
// length, which it only learns at EOF. Length reports the bytes read from src so
// far (the true length once the Reader has returned io.EOF).
type Reader struct {
	src    io.Reader
	n      uint64 // bytes of src seen
	pad    uint64 // zero bytes still to emit, valid once srcEOF
	srcEOF bool
}

// NewReader pads src.
func NewReader(src io.Reader) *Reader { return &Reader{src: src} }

// Length is the number of data bytes read from the source.
func (r *Reader) Length() uint64 { return r.n }

func (r *Reader) Read(p []byte) (int, error) {
	if !r.srcEOF {
		n, err := r.src.Read(p)
		r.n += uint64(n)
		if err == io.EOF {
			r.srcEOF = true
			r.pad = BodySize(r.n) - r.n
			if n > 0 {
				return n, nil
			}
		} else {
			return n, err
		}
	}
	if r.pad == 0 {
		return 0, io.EOF
	}
	k := uint64(len(p))
	if k > r.pad {
		k = r.pad
	}
	clear(p[:k])
	r.pad -= k
	return int(k), nil
}
