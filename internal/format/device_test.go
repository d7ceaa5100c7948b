package format

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

func TestDeviceCert_Body_Layout(t *testing.T) {
	d, _ := newDeviceCert(t)
	var want []byte
	want = append(want, 1, 3, 0, 1)
	want = append(want, d.DevicePK[:]...)
	want = append(want, d.AccountID[:]...)
	want = append(want, d.IdentityFP[:]...)
	want = binary.BigEndian.AppendUint64(want, d.Created)
	want = binary.BigEndian.AppendUint64(want, d.NotAfter)
	if got := d.Body(); !bytes.Equal(got, want) {
		t.Errorf("DeviceCert.Body() = %x, want %x", got, want)
	}
	// Signed form: u24 length ‖ body ‖ u8 64 ‖ signature.
	signed := d.Marshal()
	if len(signed) != 3+len(want)+1+64 || signed[2] != byte(len(want)) || signed[3+len(want)] != 64 {
		t.Errorf("DeviceCert.Marshal() = %x, want u24<body> ‖ u8<signature>", signed)
	}
}

func TestParseDeviceCert_Constraints(t *testing.T) {
	cases := []struct {
		name              string
		created, notAfter uint64
		want              error
	}{
		{"oneSecond", 100, 101, nil},
		{"equal", 100, 100, ErrMalformed},
		{"reversed", 101, 100, ErrMalformed},
		{"zero", 0, 0, ErrMalformed},
	}
	for _, tc := range cases {
		d, priv := newDeviceCert(t)
		d.Created, d.NotAfter = tc.created, tc.notAfter
		d.Signature = forceSign(priv, KindDeviceCert, d.Body())
		_, err := ParseDeviceCert(d.Marshal())
		if tc.want == nil && err != nil || !errors.Is(err, tc.want) {
			t.Errorf("ParseDeviceCert(%s) = %v, want %v", tc.name, err, tc.want)
		}
		if err := d.Sign(priv); (err == nil) != (tc.want == nil) {
			t.Errorf("DeviceCert{%s}.Sign() = %v", tc.name, err)
		}
	}
}

func TestDeviceCert_VerifyIssuer(t *testing.T) {
	card, _ := newCard(t)
	d, _ := newDeviceCert(t)
	if err := d.VerifyIssuer(card); err != nil {
		t.Errorf("DeviceCert.VerifyIssuer(card) = %v, want nil", err)
	}
	if err := d.VerifyIssuer(nil); !errors.Is(err, ErrBadSignature) {
		t.Errorf("DeviceCert.VerifyIssuer(nil) = %v, want ErrBadSignature", err)
	}
	other, _ := newCard(t)
	other.Handle = "alice-other" // same keys, same fingerprint: still valid
	if err := d.VerifyIssuer(other); err != nil {
		t.Errorf("DeviceCert.VerifyIssuer(same keys) = %v, want nil", err)
	}
	other.AccountID = testID("mallory") // different fingerprint
	if err := d.VerifyIssuer(other); !errors.Is(err, ErrBadSignature) {
		t.Errorf("DeviceCert.VerifyIssuer(other account) = %v, want ErrBadSignature", err)
	}
	d.AccountID = testID("mallory") // names the card but another account
	if err := d.VerifyIssuer(card); !errors.Is(err, ErrBadSignature) {
		t.Errorf("DeviceCert{other account}.VerifyIssuer(card) = %v, want ErrBadSignature", err)
	}
}

func TestDeviceRevocation_Body_Layout(t *testing.T) {
	r, _ := newRevocation(t)
	var want []byte
	want = append(want, 1, 4, 0, 1)
	want = append(want, r.DevicePK[:]...)
	want = append(want, r.AccountID[:]...)
	want = append(want, r.IdentityFP[:]...)
	want = binary.BigEndian.AppendUint64(want, r.RevokedAt)
	if got := r.Body(); !bytes.Equal(got, want) {
		t.Errorf("DeviceRevocation.Body() = %x, want %x", got, want)
	}
}

func TestDeviceRevocation_VerifyIssuer(t *testing.T) {
	card, _ := newCard(t)
	r, _ := newRevocation(t)
	if err := r.VerifyIssuer(card); err != nil {
		t.Errorf("DeviceRevocation.VerifyIssuer(card) = %v, want nil", err)
	}
	r.IdentityFP = testID("other")
	if err := r.VerifyIssuer(card); !errors.Is(err, ErrBadSignature) {
		t.Errorf("DeviceRevocation{other fp}.VerifyIssuer(card) = %v, want ErrBadSignature", err)
	}
	// A revocation is not a certificate: the signatures do not cross.
	d, _ := newDeviceCert(t)
	if err := verifyBody(card.Ed25519PK, KindDeviceRevocation, d.Body(), d.Signature); !errors.Is(err, ErrBadSignature) {
		t.Errorf("verify(device-cert signature as device-revoke) = %v, want ErrBadSignature", err)
	}
}
