package format

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

func TestRoleAttestation_Body_Layout(t *testing.T) {
	r, _ := newRole(t)
	var want []byte
	want = append(want, 1, 2, 0, 1)
	want = append(want, r.SubjectFP[:]...)
	want = append(want, byte(len(r.Role)))
	want = append(want, r.Role...)
	want = append(want, byte(len(r.Org)))
	want = append(want, r.Org...)
	want = binary.BigEndian.AppendUint64(want, r.NotAfter)
	want = append(want, r.IssuerPK[:]...)
	if got := r.Body(); !bytes.Equal(got, want) {
		t.Errorf("RoleAttestation.Body() = %x, want %x", got, want)
	}
}

func TestParseRoleAttestation_Constraints(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(r *RoleAttestation)
		want   error
	}{
		{"patient", func(r *RoleAttestation) { r.Role = RolePatient }, nil},
		{"service", func(r *RoleAttestation) { r.Role = RoleService }, nil},
		{"admin", func(r *RoleAttestation) { r.Role = RoleAdmin }, nil},
		{"org128", func(r *RoleAttestation) { r.Org = strings.Repeat("o", 128) }, nil},
		{"roleEmpty", func(r *RoleAttestation) { r.Role = "" }, ErrMalformed},
		{"roleUnknown", func(r *RoleAttestation) { r.Role = "doctor" }, ErrMalformed},
		{"roleCase", func(r *RoleAttestation) { r.Role = "Clinician" }, ErrMalformed},
		{"roleNUL", func(r *RoleAttestation) { r.Role = "admin\x00" }, ErrMalformed},
		{"orgEmpty", func(r *RoleAttestation) { r.Org = "" }, ErrMalformed},
		{"org129", func(r *RoleAttestation) { r.Org = strings.Repeat("o", 129) }, ErrMalformed},
		{"orgControl", func(r *RoleAttestation) { r.Org = "St\tExample" }, ErrMalformed},
		{"orgInvalidUTF8", func(r *RoleAttestation) { r.Org = "\xc3" }, ErrMalformed},
	}
	for _, tc := range cases {
		r, priv := newRole(t)
		tc.mutate(r)
		r.Signature = forceSign(priv, KindRole, r.Body())
		got, err := ParseRoleAttestation(r.Marshal())
		if tc.want == nil && err != nil || !errors.Is(err, tc.want) {
			t.Errorf("ParseRoleAttestation(%s) = %v, want %v", tc.name, err, tc.want)
		}
		if err == nil {
			if err := got.Verify(testPub(priv)); err != nil {
				t.Errorf("ParseRoleAttestation(%s).Verify(issuer) = %v, want nil", tc.name, err)
			}
		}
	}
}

func TestRoleAttestation_Verify_NotIssuer(t *testing.T) {
	r, _ := newRole(t)
	// The right signature, but under a key the attestation does not name.
	other := testEd25519("other-admin")
	r.IssuerPK, r.Signature = testPub(other), forceSign(testEd25519("admin"), KindRole, r.Body())
	if err := r.Verify(testPub(testEd25519("admin"))); !errors.Is(err, ErrBadSignature) {
		t.Errorf("RoleAttestation.Verify(key other than issuer_pk) = %v, want ErrBadSignature", err)
	}
	if err := r.Sign(testEd25519("admin")); err == nil {
		t.Errorf("RoleAttestation.Sign(key other than issuer_pk) = nil, want error")
	}
}
