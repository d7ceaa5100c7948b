package grant

import (
	"bytes"
	"crypto/hpke"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/blindvault/blindvault/internal/format"
)

func testSeed(name string) []byte {
	s := sha256.Sum256([]byte("blindvault grant test " + name))
	return s[:]
}

func testKey(t *testing.T, name string) (seed, pk []byte) {
	t.Helper()
	seed = testSeed(name)
	pk, err := XWingPublic(seed)
	if err != nil {
		t.Fatalf("XWingPublic(%s) = %v", name, err)
	}
	return seed, pk
}

var (
	recordID = [32]byte{0x7e, 0x7e}
	epochKey = bytes.Repeat([]byte{0xee}, EpochKeySize)
)

func TestInfo_Layout(t *testing.T) {
	recipient := [32]byte{0xbb}
	got := Info(recordID, 0x01020304, recipient)
	want := append([]byte("blindvault.v1 grant"), recordID[:]...)
	want = append(want, 1, 2, 3, 4)
	want = append(want, recipient[:]...)
	if !bytes.Equal(got, want) {
		t.Errorf("Info() = %x, want %x", got, want)
	}
}

func TestSeal_Open_RoundTrip(t *testing.T) {
	seed, pk := testKey(t, "bob")
	enc, ct, err := Seal(pk, recordID, 3, epochKey)
	if err != nil {
		t.Fatalf("Seal() = %v", err)
	}
	if len(enc) != EncSize || len(ct) != CTSize {
		t.Errorf("Seal() = %d-byte enc, %d-byte ct, want %d and %d", len(enc), len(ct), EncSize, CTSize)
	}
	got, err := Open(seed, recordID, 3, enc, ct)
	if err != nil || !bytes.Equal(got, epochKey) {
		t.Errorf("Open(Seal(k)) = %x, %v, want %x, nil", got, err, epochKey)
	}
	// Randomised: sealing again gives a different encapsulation.
	enc2, _, err := Seal(pk, recordID, 3, epochKey)
	if err != nil || bytes.Equal(enc, enc2) {
		t.Errorf("Seal() twice gave the same enc (err %v)", err)
	}
}

func TestOpen_Wrong(t *testing.T) {
	seed, pk := testKey(t, "bob")
	other, _ := testKey(t, "carol")
	enc, ct, err := Seal(pk, recordID, 3, epochKey)
	if err != nil {
		t.Fatalf("Seal() = %v", err)
	}
	flip := func(b []byte, i int) []byte { b = bytes.Clone(b); b[i] ^= 1; return b }
	cases := []struct {
		name    string
		seed    []byte
		record  [32]byte
		epoch   uint32
		enc, ct []byte
		want    error
	}{
		{"otherKey", other, recordID, 3, enc, ct, ErrOpen},
		{"otherRecord", seed, [32]byte{1}, 3, enc, ct, ErrOpen},
		{"otherEpoch", seed, recordID, 4, enc, ct, ErrOpen},
		{"encFlipped", seed, recordID, 3, flip(enc, 0), ct, ErrOpen},
		{"encLastFlipped", seed, recordID, 3, flip(enc, EncSize-1), ct, ErrOpen},
		{"ctFlipped", seed, recordID, 3, enc, flip(ct, 0), ErrOpen},
		{"tagFlipped", seed, recordID, 3, enc, flip(ct, CTSize-1), ErrOpen},
		{"encShort", seed, recordID, 3, enc[:EncSize-1], ct, ErrOpen},
		{"ctShort", seed, recordID, 3, enc, ct[:CTSize-1], ErrOpen},
		{"ctEmpty", seed, recordID, 3, enc, nil, ErrOpen},
		{"seedShort", seed[:31], recordID, 3, enc, ct, ErrInvalidKey},
		{"seedNil", nil, recordID, 3, enc, ct, ErrInvalidKey},
	}
	for _, tc := range cases {
		got, err := Open(tc.seed, tc.record, tc.epoch, tc.enc, tc.ct)
		if !errors.Is(err, tc.want) || got != nil {
			t.Errorf("Open(%s) = %x, %v, want nil, %v", tc.name, got, err, tc.want)
		}
	}
}

func TestSeal_Invalid(t *testing.T) {
	_, pk := testKey(t, "bob")
	if _, _, err := Seal(pk[:100], recordID, 1, epochKey); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("Seal(100-byte key) = %v, want ErrInvalidKey", err)
	}
	if _, _, err := Seal(bytes.Repeat([]byte{0xff}, PublicKeySize), recordID, 1, epochKey); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("Seal(key failing the ML-KEM check) = %v, want ErrInvalidKey", err)
	}
	if _, _, err := Seal(pk, recordID, 1, epochKey[:16]); err == nil {
		t.Errorf("Seal(16-byte epoch key) = nil, want error")
	}
	if _, _, err := Seal(pk, recordID, 0, epochKey); err == nil {
		t.Errorf("Seal(epoch 0) = nil, want error")
	}
}

func TestGenerateXWing(t *testing.T) {
	seed, pk, err := GenerateXWing()
	if err != nil {
		t.Fatalf("GenerateXWing() = %v", err)
	}
	if len(seed) != SeedSize || len(pk) != PublicKeySize {
		t.Fatalf("GenerateXWing() = %d-byte seed, %d-byte key", len(seed), len(pk))
	}
	again, err := XWingPublic(seed)
	if err != nil || !bytes.Equal(again, pk) {
		t.Errorf("XWingPublic(seed) = %x…, %v, want the generated key", again[:8], err)
	}
	seed2, _, _ := GenerateXWing()
	if bytes.Equal(seed, seed2) {
		t.Errorf("GenerateXWing() twice gave the same seed")
	}
}

// goKey is the crypto/hpke private key for an X-Wing seed.
func goKey(t *testing.T, seed []byte) hpke.PrivateKey {
	t.Helper()
	k, err := hpke.MLKEM768X25519().NewPrivateKey(seed)
	if err != nil {
		t.Fatalf("MLKEM768X25519().NewPrivateKey(seed) = %v", err)
	}
	return k
}

// The same seed gives the same public key in circl and crypto/hpke.
func TestXWingPublic_MatchesStdlib(t *testing.T) {
	for _, name := range []string{"alice", "bob", "carol"} {
		seed, pk := testKey(t, name)
		if got := goKey(t, seed).PublicKey().Bytes(); !bytes.Equal(got, pk) {
			t.Errorf("crypto/hpke public key(%s) = %x…, want %x…", name, got[:8], pk[:8])
		}
	}
	if id := hpke.MLKEM768X25519().ID(); id != 0x647a {
		t.Errorf("MLKEM768X25519().ID() = %#x, want 0x647a", id)
	}
}

// A grant sealed with circl opens with crypto/hpke.
func TestSeal_OpensWithStdlib(t *testing.T) {
	seed, pk := testKey(t, "bob")
	enc, ct, err := Seal(pk, recordID, 7, epochKey)
	if err != nil {
		t.Fatalf("Seal() = %v", err)
	}
	info := Info(recordID, 7, format.KeyID(pk))
	got, err := hpke.Open(goKey(t, seed), hpke.HKDFSHA256(), hpke.AES256GCM(), info, append(bytes.Clone(enc), ct...))
	if err != nil || !bytes.Equal(got, epochKey) {
		t.Errorf("hpke.Open(Seal(k)) = %x, %v, want %x, nil", got, err, epochKey)
	}
}

// A grant sealed with crypto/hpke opens with circl.
func TestOpen_SealedWithStdlib(t *testing.T) {
	seed, pk := testKey(t, "bob")
	goPK, err := hpke.MLKEM768X25519().NewPublicKey(pk)
	if err != nil {
		t.Fatalf("MLKEM768X25519().NewPublicKey(pk) = %v", err)
	}
	info := Info(recordID, 7, format.KeyID(pk))
	sealed, err := hpke.Seal(goPK, hpke.HKDFSHA256(), hpke.AES256GCM(), info, epochKey)
	if err != nil {
		t.Fatalf("hpke.Seal() = %v", err)
	}
	if len(sealed) != EncSize+CTSize {
		t.Fatalf("hpke.Seal() = %d bytes, want %d", len(sealed), EncSize+CTSize)
	}
	got, err := Open(seed, recordID, 7, sealed[:EncSize], sealed[EncSize:])
	if err != nil || !bytes.Equal(got, epochKey) {
		t.Errorf("Open(hpke.Seal(k)) = %x, %v, want %x, nil", got, err, epochKey)
	}
}

func FuzzOpen(f *testing.F) {
	seed := testSeed("bob")
	pk, err := XWingPublic(seed)
	if err != nil {
		f.Fatal(err)
	}
	enc, ct, err := Seal(pk, recordID, 1, epochKey)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(enc, ct)
	f.Add(enc[:10], ct)
	f.Add([]byte{}, []byte{})
	f.Fuzz(func(t *testing.T, enc, ct []byte) {
		// Random input never opens and never panics.
		if key, err := Open(seed, recordID, 1, enc, ct); err == nil && !bytes.Equal(key, epochKey) {
			t.Fatalf("Open(%x, %x) = %x, want an error", enc, ct, key)
		}
	})
}
