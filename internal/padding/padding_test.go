package padding

import (
	"bytes"
	"io"
	"math"
	"testing"
	"testing/iotest"
)

func TestPadme_KnownValues(t *testing.T) {
	// Values from the Padmé paper's definition, checked by hand.
	cases := map[uint64]uint64{0: 0, 1: 1, 2: 2, 3: 3, 9: 10, 100: 104, 1000: 1024, 4097: 4352, 1 << 20: 1 << 20, 1<<20 + 1: 1<<20 + 1<<15}
	for in, want := range cases {
		if got := Padme(in); got != want {
			t.Errorf("Padme(%d) = %d, want %d", in, got, want)
		}
	}
}

func TestPadme_Properties(t *testing.T) {
	for l := uint64(2); l < 1<<16; l++ {
		p := Padme(l)
		if p < l || p > l+l/8 {
			t.Fatalf("Padme(%d) = %d, want within [l, 1.125 l]", l, p)
		}
		if Padme(p) != p {
			t.Fatalf("Padme(Padme(%d)) = %d, want fixed point %d", l, Padme(p), p)
		}
	}
}

// A length whose Padmé length does not fit in 64 bits saturates instead of
// wrapping to a small size: BodySize(2^64 − 1) used to be 4096, so metadata
// claiming that length matched a one-chunk body.
func TestPadme_Overflow(t *testing.T) {
	for _, l := range []uint64{math.MaxUint64, math.MaxUint64 - 1, math.MaxUint64 - 1<<57 + 2} {
		if got := Padme(l); got != math.MaxUint64 {
			t.Errorf("Padme(%#x) = %#x, want %#x (saturated)", l, got, uint64(math.MaxUint64))
		}
		if got := BodySize(l); got < l {
			t.Errorf("BodySize(%#x) = %#x, below the length", l, got)
		}
	}
	// The largest length that still pads exactly: 2^64 − 2^57 is a multiple of 2^57.
	if l := uint64(math.MaxUint64 - 1<<57 + 1); Padme(l) != l {
		t.Errorf("Padme(%#x) = %#x, want itself", l, Padme(l))
	}
}

func TestBodySize_Floor(t *testing.T) {
	for _, l := range []uint64{0, 1, 64, 4095, 4096} {
		if got := BodySize(l); got != MinBody {
			t.Errorf("BodySize(%d) = %d, want %d", l, got, MinBody)
		}
	}
}

func TestReader_Read_PadsToBodySize(t *testing.T) {
	for _, l := range []int{0, 1, 4096, 5000, 100000} {
		data := bytes.Repeat([]byte{0xAB}, l)
		r := NewReader(iotest.OneByteReader(bytes.NewReader(data)))
		out, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		if uint64(len(out)) != BodySize(uint64(l)) {
			t.Fatalf("len(pad(%d)) = %d, want %d", l, len(out), BodySize(uint64(l)))
		}
		if !bytes.Equal(out[:l], data) || !bytes.Equal(out[l:], make([]byte, len(out)-l)) {
			t.Fatalf("pad(%d): data or zero padding wrong", l)
		}
		if r.Length() != uint64(l) {
			t.Fatalf("Length() = %d, want %d", r.Length(), l)
		}
	}
}

func TestMetaBucket(t *testing.T) {
	cases := []struct{ n, want int }{{0, 512}, {512, 512}, {513, 2048}, {8192, 8192}}
	for _, c := range cases {
		if got, err := MetaBucket(c.n); err != nil || got != c.want {
			t.Errorf("MetaBucket(%d) = %d, %v, want %d", c.n, got, err, c.want)
		}
	}
	if _, err := MetaBucket(8193); err != ErrMetaTooLarge {
		t.Errorf("MetaBucket(8193) error = %v, want ErrMetaTooLarge", err)
	}
}
