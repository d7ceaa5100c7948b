package keyfile

import (
	"bytes"
	"encoding/pem"
	"errors"
	"testing"

	"golang.org/x/crypto/cryptobyte"
)

var testPass = []byte("correct horse battery staple")

func constPass(p []byte) func() ([]byte, error) { return func() ([]byte, error) { return p, nil } }

func TestEncrypt_Decode_RoundTrip(t *testing.T) {
	secret := []byte("identity secret bytes")
	text, err := Encrypt(secret, testPass, Floor)
	if err != nil {
		t.Fatal(err)
	}
	if !IsEncrypted(text) {
		t.Fatalf("IsEncrypted(Encrypt(...)) = false, want true")
	}
	got, err := Decode(text, constPass(testPass))
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Decode = %q, %v, want %q", got, err, secret)
	}
	if _, err := Decode(text, constPass([]byte("wrong horse battery staple"))); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("Decode(wrong passphrase) error = %v, want ErrWrongPassphrase", err)
	}
	if _, err := Decode(text, nil); !errors.Is(err, ErrPassphraseNeeded) {
		t.Fatalf("Decode(no passphrase) error = %v, want ErrPassphraseNeeded", err)
	}
}

func TestDecode_Plain(t *testing.T) {
	got, err := Decode(EncodePlain([]byte("s")), nil)
	if err != nil || string(got) != "s" {
		t.Fatalf("Decode(plain) = %q, %v", got, err)
	}
}

// rewrite re-encodes an encrypted file with the head changed by f, keeping the ciphertext.
func rewrite(t *testing.T, text []byte, f func(p *Params, salt []byte)) []byte {
	t.Helper()
	blk, _ := pem.Decode(text)
	p, salt, nonce, ct, _, err := parseEncrypted(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	salt = bytes.Clone(salt)
	f(&p, salt)
	var b cryptobyte.Builder
	b.AddBytes(encodeHead(p, salt, nonce))
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(ct) })
	return pem.EncodeToMemory(&pem.Block{Type: EncryptedType, Bytes: b.BytesOrPanic()})
}

func TestDecode_ParamsBoundToFile(t *testing.T) {
	text, err := Encrypt([]byte("x"), testPass, Floor)
	if err != nil {
		t.Fatal(err)
	}
	// A stronger parameter set passes the checks but must not decrypt: the
	// parameters are part of the additional data.
	stronger := rewrite(t, text, func(p *Params, _ []byte) { p.Time = 4 })
	if _, err := Decode(stronger, constPass(testPass)); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("Decode(changed t) error = %v, want ErrWrongPassphrase", err)
	}
	salted := rewrite(t, text, func(_ *Params, s []byte) { s[0] ^= 1 })
	if _, err := Decode(salted, constPass(testPass)); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("Decode(changed salt) error = %v, want ErrWrongPassphrase", err)
	}
}

func TestDecode_ParamsOutOfRange(t *testing.T) {
	text, err := Encrypt([]byte("x"), testPass, Floor)
	if err != nil {
		t.Fatal(err)
	}
	asked := false
	ask := func() ([]byte, error) { asked = true; return testPass, nil }
	weak := rewrite(t, text, func(p *Params, _ []byte) { p.MemoryKiB = 1024 })
	if _, err := Decode(weak, ask); !errors.Is(err, ErrWeakParams) {
		t.Fatalf("Decode(m=1 MiB) error = %v, want ErrWeakParams", err)
	}
	huge := rewrite(t, text, func(p *Params, _ []byte) { p.MemoryKiB = 4 << 20 })
	if _, err := Decode(huge, ask); !errors.Is(err, ErrExcessiveParams) {
		t.Fatalf("Decode(m=4 GiB) error = %v, want ErrExcessiveParams", err)
	}
	if asked {
		t.Fatalf("passphrase was requested for a file with out-of-range parameters")
	}
}

func TestCheckPassphrase(t *testing.T) {
	for _, p := range []string{"", "short", "aaaaaaaaaaaaaaaa", string(bytes.Repeat([]byte("ab"), 600))} {
		if err := CheckPassphrase([]byte(p)); err == nil {
			t.Errorf("CheckPassphrase(%.20q) = nil, want an error", p)
		}
	}
	if err := CheckPassphrase(testPass); err != nil {
		t.Errorf("CheckPassphrase(%q) = %v, want nil", testPass, err)
	}
}

func TestDecode_Malformed(t *testing.T) {
	for _, in := range [][]byte{nil, []byte("garbage"), pem.EncodeToMemory(&pem.Block{Type: "OTHER", Bytes: []byte{1}}),
		pem.EncodeToMemory(&pem.Block{Type: EncryptedType, Bytes: []byte{1, 0}}),
		pem.EncodeToMemory(&pem.Block{Type: EncryptedType, Bytes: []byte{2, 0, 1}})} {
		if _, err := Decode(in, constPass(testPass)); err == nil {
			t.Errorf("Decode(%q) = nil error, want an error", in)
		}
	}
}

func FuzzDecode(f *testing.F) {
	text, _ := Encrypt([]byte("seed"), testPass, Floor)
	f.Add(text)
	f.Add(EncodePlain([]byte("plain")))
	f.Add([]byte("-----BEGIN BLINDVAULT ENCRYPTED IDENTITY-----\nAQAB\n-----END BLINDVAULT ENCRYPTED IDENTITY-----\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		blk, _ := pem.Decode(in)
		if blk != nil && blk.Type == EncryptedType {
			// Never run Argon2id on fuzzer-chosen parameters; the parser alone is the target.
			p, _, _, _, _, err := parseEncrypted(blk.Bytes)
			if err == nil {
				_ = p.Check()
			}
			return
		}
		_, _ = Decode(in, nil)
	})
}
