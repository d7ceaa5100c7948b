package grant

import (
	"bytes"
	"testing"
)

// FuzzRecover: attacker-chosen share values and indexes never panic (circl's
// Recover panics on repeated ids; Recover maps shares by index first).
func FuzzRecover(f *testing.F) {
	_, _, shares, err := Split(2, 3)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(uint8(2), uint8(1), shares[0], uint8(2), shares[1])
	f.Add(uint8(2), uint8(1), shares[0], uint8(1), shares[0])
	f.Add(uint8(1), uint8(0), bytes.Repeat([]byte{0xff}, 32), uint8(11), []byte{})
	f.Fuzz(func(t *testing.T, k, i1 uint8, v1 []byte, i2 uint8, v2 []byte) {
		values := map[uint8][]byte{i1: v1, i2: v2}
		_, _ = Recover(int(k%12), values)
		_ = VerifyShare([][]byte{v1, v2}, i1, v2)
	})
}
