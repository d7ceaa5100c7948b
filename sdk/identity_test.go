package sdk

import (
	"bytes"
	"errors"
	"testing"
)

func TestIdentity_MarshalText_RoundTrip(t *testing.T) {
	id := newID(t, "alice")
	got, err := ParseIdentity(id.MarshalText(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Card().Fingerprint() != id.Card().Fingerprint() {
		t.Fatalf("ParseIdentity(MarshalText()) fingerprint = %s, want %s", got.Card().Fingerprint(), id.Card().Fingerprint())
	}
}

func TestIdentity_MarshalProtected_RoundTrip(t *testing.T) {
	id := newID(t, "alice")
	pass := []byte("a long enough passphrase")
	text, err := id.MarshalProtected(pass)
	if err != nil {
		t.Fatal(err)
	}
	if !IdentityIsProtected(text) || bytes.Contains(text, id.MarshalText()[40:80]) {
		t.Fatalf("protected identity is not marked protected or leaks the plain form")
	}
	if _, err := ParseIdentity(text, func() ([]byte, error) { return []byte("the wrong passphrase!"), nil }); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("ParseIdentity(wrong passphrase) error = %v, want ErrWrongPassphrase", err)
	}
	got, err := ParseIdentity(text, func() ([]byte, error) { return pass, nil })
	if err != nil || got.Card().Fingerprint() != id.Card().Fingerprint() {
		t.Fatalf("ParseIdentity(protected) = %v, want the same identity", err)
	}
	if _, err := id.MarshalProtected([]byte("short")); !errors.Is(err, ErrWeakPassphrase) {
		t.Fatalf("MarshalProtected(short) error = %v, want ErrWeakPassphrase", err)
	}
}

func TestParseIdentity_StitchedKeys(t *testing.T) {
	// An identity file whose seeds do not belong to its card is refused.
	a, b := newID(t, "alice"), newID(t, "bob")
	stitched := &Identity{sign: a.sign, xwing: a.xwing, card: b.card}
	if _, err := ParseIdentity(stitched.MarshalText(), nil); !errors.Is(err, ErrInvalid) {
		t.Fatalf("ParseIdentity(stitched) error = %v, want ErrInvalid", err)
	}
}

func TestKeyCard_MarshalText_RoundTrip(t *testing.T) {
	id := newID(t, "alice")
	text, _ := id.Card().MarshalText()
	for _, in := range [][]byte{text, id.Card().Bytes()} {
		c, err := ParseKeyCard(in)
		if err != nil || c.Fingerprint() != id.Card().Fingerprint() || c.Handle() != "alice" {
			t.Fatalf("ParseKeyCard = %v, %v, want alice's card", c, err)
		}
	}
	bad := id.Card().Bytes()
	bad[len(bad)-70] ^= 1
	if _, err := ParseKeyCard(bad); err == nil {
		t.Fatalf("ParseKeyCard(modified card) = nil error, want an error")
	}
}

func TestFingerprint_String(t *testing.T) {
	s := newID(t, "alice").Card().Fingerprint().String()
	if len(s) != 39 || s[4] != ' ' {
		t.Fatalf("Fingerprint.String() = %q, want 8 groups of 4", s)
	}
}
