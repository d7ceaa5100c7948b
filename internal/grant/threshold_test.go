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
