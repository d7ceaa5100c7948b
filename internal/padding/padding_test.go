package padding

import (
	"bytes"
	"io"
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
