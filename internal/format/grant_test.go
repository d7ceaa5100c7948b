package format

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

func TestGrant_Body_Layout(t *testing.T) {
	g, _ := newGrant(t)
	var want []byte
	want = append(want, 1, 6, 0, 1)
	want = append(want, g.RecordID[:]...)
	want = binary.BigEndian.AppendUint32(want, g.Epoch)
	want = append(want, g.Recipient[:]...)
	want = append(want, g.Granter[:]...)
	want = append(want, g.SignerPK[:]...)
	want = append(want, 0x04, 0x60) // 1120
	want = append(want, g.Enc...)
	want = append(want, 48)
	want = append(want, g.CT...)
	if got := g.Body(); !bytes.Equal(got, want) {
		t.Errorf("Grant.Body() = %x, want %x", got, want)
	}
}

func TestParseGrant_Constraints(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(g *Grant)
		want   error
	}{
		{"epochMax", func(g *Grant) { g.Epoch = 1<<32 - 1 }, nil},
		{"epoch0", func(g *Grant) { g.Epoch = 0 }, ErrMalformed},
		{"encEmpty", func(g *Grant) { g.Enc = nil }, ErrMalformed},
		{"enc1119", func(g *Grant) { g.Enc = g.Enc[:1119] }, ErrMalformed},
		{"enc1121", func(g *Grant) { g.Enc = append(g.Enc, 0) }, ErrMalformed},
		{"ctEmpty", func(g *Grant) { g.CT = nil }, ErrMalformed},
		{"ct47", func(g *Grant) { g.CT = g.CT[:47] }, ErrMalformed},
		{"ct49", func(g *Grant) { g.CT = append(g.CT, 0) }, ErrMalformed},
	}
	for _, tc := range cases {
		g, priv := newGrant(t)
		tc.mutate(g)
		g.Signature = forceSign(priv, KindGrant, g.Body())
		_, err := ParseGrant(g.Marshal())
		if tc.want == nil && err != nil || !errors.Is(err, tc.want) {
			t.Errorf("ParseGrant(%s) = %v, want %v", tc.name, err, tc.want)
		}
		if err := g.Sign(priv); (err == nil) != (tc.want == nil) {
			t.Errorf("Grant{%s}.Sign() = %v", tc.name, err)
		}
	}
}

func TestGrant_Verify_NotSigner(t *testing.T) {
	g, priv := newGrant(t)
	other := testEd25519("mallory")
	// Signed by mallory, but naming alice's key as signer_pk.
	g.Signature = forceSign(other, KindGrant, g.Body())
	if err := g.Verify(testPub(other)); !errors.Is(err, ErrBadSignature) {
		t.Errorf("Grant.Verify(key other than signer_pk) = %v, want ErrBadSignature", err)
	}
	if err := g.Verify(testPub(priv)); !errors.Is(err, ErrBadSignature) {
		t.Errorf("Grant.Verify(signer_pk, wrong signature) = %v, want ErrBadSignature", err)
	}
	if err := g.Sign(other); err == nil {
		t.Errorf("Grant.Sign(key other than signer_pk) = nil, want error")
	}
}
