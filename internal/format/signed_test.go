package format

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"reflect"
	"testing"
)

func TestMessage_Layout(t *testing.T) {
	got := Message("acl", []byte{1, 5, 0, 1})
	want := []byte("blindvault.v1 acl\x00\x01\x05\x00\x01")
	if !bytes.Equal(got, want) {
		t.Errorf("Message(acl, body) = %q, want %q", got, want)
	}
}

func TestKind_Purpose_Table(t *testing.T) {
	want := map[Kind]string{
		KindKeyCard: "key-card", KindRole: "role", KindDeviceCert: "device-cert",
		KindDeviceRevocation: "device-revoke", KindACL: "acl", KindGrant: "grant",
		KindHeader: "record-header", KindAccountEntry: "account-entry", KindAuth: "auth", 0: "", 10: "",
	}
	for k, p := range want {
		if got := k.Purpose(); got != p {
			t.Errorf("Kind(%d).Purpose() = %q, want %q", k, got, p)
		}
	}
}

// Every parser: Marshal → Parse → Marshal gives the same bytes, and the parsed
// object equals the original.
func TestParse_RoundTrip(t *testing.T) {
	for _, c := range codecs {
		t.Run(c.name, func(t *testing.T) {
			signed, _, _ := c.valid(t)
			o, err := c.parse(signed)
			if err != nil {
				t.Fatalf("Parse%s(valid) = %v, want nil", c.name, err)
			}
			again := o.(interface{ Marshal() []byte }).Marshal()
			if !bytes.Equal(again, signed) {
				t.Errorf("Parse%s(b).Marshal() = %x, want %x", c.name, again, signed)
			}
			if len(signed) > c.kind.maxSize() {
				t.Errorf("len(%s) = %d, want ≤ %d", c.name, len(signed), c.kind.maxSize())
			}
		})
	}
}

func TestParse_Hash(t *testing.T) {
	for _, c := range codecs {
		t.Run(c.name, func(t *testing.T) {
			signed, body, _ := c.valid(t)
			o, err := c.parse(signed)
			if err != nil {
				t.Fatalf("Parse%s(valid) = %v", c.name, err)
			}
			got := o.(interface{ Hash() [32]byte }).Hash()
			want := sha256.Sum256(append([]byte("blindvault.v1 "+c.kind.Purpose()+"\x00"), body...))
			if got != want {
				t.Errorf("%s.Hash() = %x, want %x", c.name, got, want)
			}
		})
	}
}

func TestParse_TooLarge(t *testing.T) {
	for _, c := range codecs {
		t.Run(c.name, func(t *testing.T) {
			signed, _, _ := c.valid(t)
			big := append(signed, make([]byte, c.kind.maxSize()+1-len(signed))...)
			_, err := c.parse(big)
			if !errors.Is(err, ErrTooLarge) || !errors.Is(err, ErrMalformed) {
				t.Errorf("Parse%s(%d bytes) = %v, want ErrTooLarge and ErrMalformed", c.name, len(big), err)
			}
			// At the bound the input is parsed: the extra bytes are trailing data.
			_, err = c.parse(big[:len(big)-1])
			if !errors.Is(err, ErrTrailingData) {
				t.Errorf("Parse%s(%d bytes) = %v, want ErrTrailingData", c.name, len(big)-1, err)
			}
		})
	}
}

func TestParse_VersionKindSuite(t *testing.T) {
	for _, c := range codecs {
		t.Run(c.name, func(t *testing.T) {
			_, body, priv := c.valid(t)
			mutate := func(f func(b []byte)) []byte {
				b := bytes.Clone(body)
				f(b)
				return c.resign(priv, b)
			}
			otherKind := KindACL
			if c.kind == KindACL {
				otherKind = KindGrant
			}
			cases := []struct {
				name string
				in   []byte
				want error
			}{
				{"version0", mutate(func(b []byte) { b[0] = 0 }), ErrUnknownVersion},
				{"version2", mutate(func(b []byte) { b[0] = 2 }), ErrUnknownVersion},
				{"kind0", mutate(func(b []byte) { b[1] = 0 }), ErrUnknownKind},
				{"kindOther", mutate(func(b []byte) { b[1] = byte(otherKind) }), ErrUnknownKind},
				{"kind10", mutate(func(b []byte) { b[1] = 10 }), ErrUnknownKind},
				{"kind255", mutate(func(b []byte) { b[1] = 255 }), ErrUnknownKind},
				{"suite0", mutate(func(b []byte) { b[2], b[3] = 0, 0 }), ErrUnknownSuite},
				{"suite2", mutate(func(b []byte) { b[2], b[3] = 0, 2 }), ErrUnknownSuite},
				{"suite257", mutate(func(b []byte) { b[2], b[3] = 1, 1 }), ErrUnknownSuite},
				// Version is checked before kind, kind before suite.
				{"versionBeforeKind", mutate(func(b []byte) { b[0], b[1] = 2, 0 }), ErrUnknownVersion},
				{"kindBeforeSuite", mutate(func(b []byte) { b[1], b[3] = 0, 2 }), ErrUnknownKind},
				{"versionOnly", c.resign(priv, []byte{2}), ErrUnknownVersion},
				{"emptyBody", c.resign(priv, []byte{}), ErrMalformed},
				{"kindMissing", c.resign(priv, []byte{1}), ErrMalformed},
				{"suiteShort", c.resign(priv, []byte{1, byte(c.kind), 0}), ErrMalformed},
				{"noFields", c.resign(priv, []byte{1, byte(c.kind), 0, 1}), ErrMalformed},
			}
			for _, tc := range cases {
				if _, err := c.parse(tc.in); !errors.Is(err, tc.want) {
					t.Errorf("Parse%s(%s) = %v, want %v", c.name, tc.name, err, tc.want)
				}
			}
			// Every other defined kind, including account-entry (8), once reserved.
			for k := KindKeyCard; k <= KindAuth; k++ {
				if k == c.kind {
					continue
				}
				in := mutate(func(b []byte) { b[1] = byte(k) })
				if _, err := c.parse(in); !errors.Is(err, ErrUnknownKind) {
					t.Errorf("Parse%s(kind %d) = %v, want ErrUnknownKind", c.name, k, err)
				}
			}
		})
	}
}

// Every strict prefix of a valid object is malformed.
func TestParse_Truncated(t *testing.T) {
	for _, c := range codecs {
		t.Run(c.name, func(t *testing.T) {
			signed, _, _ := c.valid(t)
			for n := range len(signed) {
				if _, err := c.parse(signed[:n]); !errors.Is(err, ErrMalformed) {
					t.Fatalf("Parse%s(first %d of %d bytes) = %v, want ErrMalformed", c.name, n, len(signed), err)
				}
			}
		})
	}
}

func TestParse_TrailingData(t *testing.T) {
	for _, c := range codecs {
		t.Run(c.name, func(t *testing.T) {
			signed, body, priv := c.valid(t)
			if _, err := c.parse(append(bytes.Clone(signed), 0)); !errors.Is(err, ErrTrailingData) {
				t.Errorf("Parse%s(signed ‖ 00) = %v, want ErrTrailingData", c.name, err)
			}
			// A byte after the last field, inside a correctly signed body.
			in := c.resign(priv, append(bytes.Clone(body), 0))
			if _, err := c.parse(in); !errors.Is(err, ErrTrailingData) {
				t.Errorf("Parse%s(body ‖ 00) = %v, want ErrTrailingData", c.name, err)
			}
		})
	}
}

func TestParse_SignatureLength(t *testing.T) {
	for _, c := range codecs {
		t.Run(c.name, func(t *testing.T) {
			_, body, priv := c.valid(t)
			sig := forceSign(priv, c.kind, body)
			for _, s := range [][]byte{nil, sig[:63], append(bytes.Clone(sig), 0)} {
				in := SignedForm(body, s, c.endorsed, nil)
				if _, err := c.parse(in); !errors.Is(err, ErrMalformed) {
					t.Errorf("Parse%s(%d-byte signature) = %v, want ErrMalformed", c.name, len(s), err)
				}
			}
		})
	}
}

// Parsed objects do not alias the input.
func TestParse_NoAliasing(t *testing.T) {
	for _, c := range codecs {
		t.Run(c.name, func(t *testing.T) {
			signed, _, _ := c.valid(t)
			in := bytes.Clone(signed)
			o, err := c.parse(in)
			if err != nil {
				t.Fatalf("Parse%s(valid) = %v", c.name, err)
			}
			before := reflect.ValueOf(o).Elem().Interface()
			for i := range in {
				in[i] ^= 0xff
			}
			if after := reflect.ValueOf(o).Elem().Interface(); !reflect.DeepEqual(before, after) {
				t.Errorf("Parse%s(b): object changed when b was overwritten", c.name)
			}
		})
	}
}

// A signature made for one purpose never verifies for another, even over the
// same body bytes; and the object hashes differ.
func TestVerify_PurposeSeparation(t *testing.T) {
	priv := testEd25519("alice")
	pub := testPub(priv)
	body := []byte{1, 5, 0, 1, 42}
	kinds := []Kind{KindKeyCard, KindRole, KindDeviceCert, KindDeviceRevocation, KindACL, KindGrant, KindHeader, KindAccountEntry, KindAuth}
	for _, signed := range kinds {
		sig := forceSign(priv, signed, body)
		for _, checked := range kinds {
			err := verifyBody(pub, checked, body, sig)
			if (err == nil) != (signed == checked) {
				t.Errorf("verify(%s signature as %s) = %v", signed, checked, err)
			}
			if signed != checked && hashBody(signed, body) == hashBody(checked, body) {
				t.Errorf("hash(%s) = hash(%s)", signed, checked)
			}
		}
	}
}

// A real ACL signature, presented as the signature of a header by the same key,
// does not verify.
func TestHeader_Verify_ACLSignature(t *testing.T) {
	acl, priv := newACL(t)
	h, _ := newHeader(t)
	if h.SignerPK != testPub(priv) {
		t.Fatal("fixture: header and ACL signed by different keys")
	}
	h.Signature = acl.Signature
	if err := h.Verify(h.SignerPK); !errors.Is(err, ErrBadSignature) {
		t.Errorf("Header.Verify(ACL signature) = %v, want ErrBadSignature", err)
	}
	// Even over identical body bytes, relabelled: the ACL's signature does not
	// verify under the header purpose.
	if err := verifyBody(h.SignerPK, KindHeader, acl.Body(), acl.Signature); !errors.Is(err, ErrBadSignature) {
		t.Errorf("verify(ACL body and signature as record-header) = %v, want ErrBadSignature", err)
	}
}

// Changing any field after signing breaks the signature.
func TestVerify_ModifiedBody(t *testing.T) {
	type verifier interface{ Verify([32]byte) error }
	cases := []struct {
		name   string
		obj    func() (verifier, [32]byte)
		mutate func(v verifier)
	}{
		{"RoleAttestation", func() (verifier, [32]byte) { r, p := newRole(t); return r, testPub(p) },
			func(v verifier) { v.(*RoleAttestation).Role = RoleAdmin }},
		{"DeviceCert", func() (verifier, [32]byte) { d, p := newDeviceCert(t); return d, testPub(p) },
			func(v verifier) { v.(*DeviceCert).NotAfter++ }},
		{"DeviceRevocation", func() (verifier, [32]byte) { d, p := newRevocation(t); return d, testPub(p) },
			func(v verifier) { v.(*DeviceRevocation).RevokedAt++ }},
		{"ACL", func() (verifier, [32]byte) { a, p := newACL(t); return a, testPub(p) },
			func(v verifier) { v.(*ACL).Entries[0].Rights = RightsAll }},
		{"Grant", func() (verifier, [32]byte) { g, p := newGrant(t); return g, testPub(p) },
			func(v verifier) { v.(*Grant).CT[0] ^= 1 }},
		{"Header", func() (verifier, [32]byte) { h, p := newHeader(t); return h, testPub(p) },
			func(v verifier) { v.(*Header).Root[31] ^= 1 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, pub := tc.obj()
			if err := v.Verify(pub); err != nil {
				t.Fatalf("%s.Verify(signer) = %v, want nil", tc.name, err)
			}
			tc.mutate(v)
			if err := v.Verify(pub); !errors.Is(err, ErrBadSignature) {
				t.Errorf("%s.Verify(signer) after change = %v, want ErrBadSignature", tc.name, err)
			}
		})
	}
}

func TestSign_BadPrivateKey(t *testing.T) {
	a, _ := newACL(t)
	for _, priv := range []ed25519.PrivateKey{nil, make([]byte, 32)} {
		if err := a.Sign(priv); err == nil {
			t.Errorf("ACL.Sign(%d-byte key) = nil, want error", len(priv))
		}
	}
	d, _ := newDeviceCert(t)
	if err := d.Sign(nil); err == nil {
		t.Errorf("DeviceCert.Sign(nil) = nil, want error")
	}
	r, _ := newRevocation(t)
	if err := r.Sign(nil); err == nil {
		t.Errorf("DeviceRevocation.Sign(nil) = nil, want error")
	}
}

// Objects built by hand with a field too long for its length prefix encode to
// nil instead of panicking, and cannot be signed.
func TestMarshal_Unencodable(t *testing.T) {
	g, priv := newGrant(t)
	g.CT = make([]byte, 256)
	if b := g.Marshal(); b != nil {
		t.Errorf("Grant{CT: 256 bytes}.Marshal() = %d bytes, want nil", len(b))
	}
	if err := g.Sign(priv); err == nil {
		t.Errorf("Grant{CT: 256 bytes}.Sign() = nil, want error")
	}
	if err := g.Verify(g.SignerPK); !errors.Is(err, ErrBadSignature) {
		t.Errorf("Grant{CT: 256 bytes}.Verify() = %v, want ErrBadSignature", err)
	}
	c, _ := newCard(t)
	c.Handle = string(bytes.Repeat([]byte{'a'}, 256))
	if b := MarshalKeyCardText(c); b != nil {
		t.Errorf("MarshalKeyCardText(256-byte handle) = %q, want nil", b)
	}
}
