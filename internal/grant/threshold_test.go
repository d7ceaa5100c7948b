package grant

import (
	"bytes"
	"testing"
)

func TestSplit_RecoverAnyK(t *testing.T) {
	secret, coms, shares, err := Split(2, 3)
	if err != nil {
		t.Fatalf("Split: %v", err)
	}
	for i, v := range shares {
		if !VerifyShare(coms, uint8(i+1), v) {
			t.Errorf("VerifyShare(%d) = false", i+1)
		}
	}
	if VerifyShare(coms, 2, shares[0]) {
		t.Errorf("VerifyShare(share 1 as index 2) = true")
	}
	for _, pair := range [][2]uint8{{1, 2}, {1, 3}, {2, 3}} {
		got, err := Recover(2, map[uint8][]byte{pair[0]: shares[pair[0]-1], pair[1]: shares[pair[1]-1]})
		if err != nil || !bytes.Equal(got, secret) {
			t.Errorf("Recover(%v) = %x, %v; want the secret", pair, got, err)
		}
	}
	if _, err := Recover(2, map[uint8][]byte{1: shares[0]}); err == nil {
		t.Errorf("Recover(one share of 2) = nil error")
	}
	if _, err := Recover(2, map[uint8][]byte{0: shares[0], 11: shares[1]}); err == nil {
		t.Errorf("Recover(indexes 0 and 11) = nil error")
	}
	if _, err := Recover(2, map[uint8][]byte{1: shares[0], 2: make([]byte, 5)}); err == nil {
		t.Errorf("Recover(short value) = nil error")
	}
}

func TestSealShare_Open(t *testing.T) {
	seed, pk := testKey(t, "holder")
	k, err := NewPrivateKey(seed)
	if err != nil {
		t.Fatal(err)
	}
	_, _, shares, err := Split(1, 1)
	if err != nil {
		t.Fatal(err)
	}
	info := ShareInfo([32]byte{1}, 1, [32]byte{2})
	enc, ct, err := SealShare(pk, info, shares[0])
	if err != nil {
		t.Fatalf("SealShare: %v", err)
	}
	if got, err := k.OpenShare(info, enc, ct); err != nil || !bytes.Equal(got, shares[0]) {
		t.Fatalf("OpenShare = %x, %v", got, err)
	}
	if _, err := k.OpenShare(ShareToInfo([32]byte{1}, 1), enc, ct); err == nil {
		t.Fatalf("OpenShare(other info) = nil error")
	}
}

func TestThresholdSeed_Label(t *testing.T) {
	a, _ := ThresholdSeed(make([]byte, 32), [32]byte{1})
	b, _ := ThresholdSeed(make([]byte, 32), [32]byte{2})
	if len(a) != 32 || bytes.Equal(a, b) {
		t.Fatalf("ThresholdSeed does not bind the group id")
	}
}

// BenchmarkThreshold_SetUp10 is the owner's cryptographic work for a 5-of-10
// key: split, seed, and ten share seals.
func BenchmarkThreshold_SetUp10(b *testing.B) {
	pk, err := XWingPublic(testSeed("holder"))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		secret, _, shares, err := Split(5, 10)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := NewThresholdKey(secret, [32]byte{1}); err != nil {
			b.Fatal(err)
		}
		for i, v := range shares {
			if _, _, err := SealShare(pk, ShareInfo([32]byte{1}, uint8(i+1), [32]byte{2}), v); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkThreshold_Recover5 is the requester's: five share checks against
// the commitments, recovery and the key.
func BenchmarkThreshold_Recover5(b *testing.B) {
	_, coms, shares, err := Split(5, 10)
	if err != nil {
		b.Fatal(err)
	}
	values := map[uint8][]byte{}
	for i := range 5 {
		values[uint8(i+1)] = shares[i]
	}
	for b.Loop() {
		for i, v := range values {
			if !VerifyShare(coms, i, v) {
				b.Fatal("share does not verify")
			}
		}
		s, err := Recover(5, values)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := NewThresholdKey(s, [32]byte{1}); err != nil {
			b.Fatal(err)
		}
	}
}
