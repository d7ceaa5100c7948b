package format

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

func newAuth(t testing.TB) (*Auth, ed25519.PrivateKey) {
	t.Helper()
	priv := testEd25519("laptop")
	a := &Auth{
		Origin:    "https://vault.example:8443",
		AccountID: testID("alice"),
		DevicePK:  testPub(priv),
		Nonce:     testID("nonce"),
		Expiry:    1767225660,
	}
	if err := a.Sign(priv); err != nil {
		t.Fatalf("Auth.Sign: %v", err)
	}
	return a, priv
}

func TestAuth_Body_Layout(t *testing.T) {
	a, _ := newAuth(t)
	var want []byte
	want = append(want, 1, 9, 0, 1)
	want = binary.BigEndian.AppendUint16(want, uint16(len(a.Origin)))
	want = append(want, a.Origin...)
	want = append(want, a.AccountID[:]...)
	want = append(want, a.DevicePK[:]...)
	want = append(want, a.Nonce[:]...)
	want = binary.BigEndian.AppendUint64(want, a.Expiry)
	if got := a.Body(); !bytes.Equal(got, want) {
		t.Errorf("Auth.Body() = %x, want %x", got, want)
	}
	if !ed25519.Verify(a.DevicePK[:], append([]byte("blindvault.v1 auth\x00"), want...), a.Signature) {
		t.Errorf("Auth.Signature does not verify over \"blindvault.v1 auth\" ‖ 0x00 ‖ body")
	}
}

func TestParseAuth_Origin(t *testing.T) {
	cases := []struct {
		name   string
		origin string
		want   error
	}{
		{"oneByte", "x", nil},
		{"max", strings.Repeat("a", MaxOriginSize), nil},
		{"empty", "", ErrMalformed},
		{"tooLong", strings.Repeat("a", MaxOriginSize+1), ErrMalformed},
		{"control", "https://vault.example\n", ErrMalformed},
		{"notUTF8", "https://\xff", ErrMalformed},
	}
	for _, tc := range cases {
		a, priv := newAuth(t)
		a.Origin = tc.origin
		a.Signature = forceSign(priv, KindAuth, a.Body())
		_, err := ParseAuth(a.Marshal())
		if tc.want == nil && err != nil || !errors.Is(err, tc.want) {
			t.Errorf("ParseAuth(origin %s) = %v, want %v", tc.name, err, tc.want)
		}
		if err := a.Sign(priv); (err == nil) != (tc.want == nil) {
			t.Errorf("Auth{origin %s}.Sign() = %v", tc.name, err)
		}
	}
}

func TestAuth_Verify(t *testing.T) {
	a, _ := newAuth(t)
	parsed, err := ParseAuth(a.Marshal())
	if err != nil {
		t.Fatalf("ParseAuth(valid) = %v", err)
	}
	if err := parsed.Verify(a.DevicePK); err != nil {
		t.Errorf("Auth.Verify(device key) = %v, want nil", err)
	}
	other := testPub(testEd25519("phone"))
	if err := parsed.Verify(other); !errors.Is(err, ErrBadSignature) {
		t.Errorf("Auth.Verify(other key) = %v, want ErrBadSignature", err)
	}
	// The object names a key that did not sign it.
	forged := *parsed
	forged.DevicePK = other
	if err := forged.Verify(other); !errors.Is(err, ErrBadSignature) {
		t.Errorf("Auth{other device}.Verify(other key) = %v, want ErrBadSignature", err)
	}
	// Every field is covered by the signature.
	for name, mutate := range map[string]func(*Auth){
		"origin":  func(a *Auth) { a.Origin = "https://evil.example" },
		"account": func(a *Auth) { a.AccountID[0] ^= 1 },
		"nonce":   func(a *Auth) { a.Nonce[0] ^= 1 },
		"expiry":  func(a *Auth) { a.Expiry++ },
	} {
		m := *parsed
		mutate(&m)
		if err := m.Verify(m.DevicePK); !errors.Is(err, ErrBadSignature) {
			t.Errorf("Auth{changed %s}.Verify() = %v, want ErrBadSignature", name, err)
		}
	}
}

func TestAuth_Sign_WrongKey(t *testing.T) {
	a, _ := newAuth(t)
	if err := a.Sign(testEd25519("phone")); err == nil {
		t.Errorf("Auth.Sign(key of another device) = nil, want an error")
	}
	if err := a.Sign(nil); err == nil {
		t.Errorf("Auth.Sign(nil) = nil, want an error")
	}
}

// A device certificate's signature is not an auth signature, and the reverse.
func TestAuth_Verify_PurposeSeparation(t *testing.T) {
	a, priv := newAuth(t)
	sig := forceSign(priv, KindDeviceCert, a.Body())
	if err := verifyBody(a.DevicePK, KindAuth, a.Body(), sig); !errors.Is(err, ErrBadSignature) {
		t.Errorf("verify(device-cert signature as auth) = %v, want ErrBadSignature", err)
	}
}
