package format

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"math/big"
	"testing"
)

// Edwards25519 arithmetic on math/big, slow and independent of the code under
// test, to derive the small-order points from the curve equation.
var (
	edP      = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
	edD      = modP(new(big.Int).Mul(big.NewInt(-121665), new(big.Int).ModInverse(big.NewInt(121666), edP)))
	edSqrtM1 = new(big.Int).Exp(big.NewInt(2), new(big.Int).Rsh(new(big.Int).Sub(edP, big.NewInt(1)), 2), edP)
	// edL is the order of the prime-order subgroup.
	edL, _ = new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)
)

type edPoint struct{ x, y *big.Int }

func modP(v *big.Int) *big.Int { return v.Mod(v, edP) }

func edIdentity() edPoint { return edPoint{big.NewInt(0), big.NewInt(1)} }

func (a edPoint) equal(b edPoint) bool { return a.x.Cmp(b.x) == 0 && a.y.Cmp(b.y) == 0 }

// add is the complete twisted Edwards addition law for a = −1.
func (a edPoint) add(b edPoint) edPoint {
	t := modP(new(big.Int).Mul(edD, new(big.Int).Mul(new(big.Int).Mul(a.x, b.x), new(big.Int).Mul(a.y, b.y))))
	xn := modP(new(big.Int).Add(new(big.Int).Mul(a.x, b.y), new(big.Int).Mul(a.y, b.x)))
	yn := modP(new(big.Int).Add(new(big.Int).Mul(a.y, b.y), new(big.Int).Mul(a.x, b.x)))
	xd := new(big.Int).ModInverse(modP(new(big.Int).Add(big.NewInt(1), t)), edP)
	yd := new(big.Int).ModInverse(modP(new(big.Int).Sub(big.NewInt(1), t)), edP)
	return edPoint{modP(xn.Mul(xn, xd)), modP(yn.Mul(yn, yd))}
}

func (a edPoint) mul(k *big.Int) edPoint {
	r := edIdentity()
	for i := k.BitLen() - 1; i >= 0; i-- {
		r = r.add(r)
		if k.Bit(i) == 1 {
			r = r.add(a)
		}
	}
	return r
}

// edDecode decodes y and the sign of x by RFC 8032 §5.1.3, but without the
// y < p check, so that it also decodes what the check must refuse.
func edDecode(enc [32]byte) (edPoint, bool) {
	sign := uint(enc[31] >> 7)
	enc[31] &= 0x7f
	le := make([]byte, 32)
	for i := range le {
		le[i] = enc[31-i]
	}
	y := modP(new(big.Int).SetBytes(le))
	y2 := new(big.Int).Mul(y, y)
	u := modP(new(big.Int).Sub(y2, big.NewInt(1)))
	v := modP(new(big.Int).Add(new(big.Int).Mul(edD, y2), big.NewInt(1)))
	x2 := modP(new(big.Int).Mul(u, new(big.Int).ModInverse(v, edP)))
	x := new(big.Int).Exp(x2, new(big.Int).Rsh(new(big.Int).Add(edP, big.NewInt(3)), 3), edP)
	if modP(new(big.Int).Mul(x, x)).Cmp(x2) != 0 {
		x = modP(x.Mul(x, edSqrtM1))
		if modP(new(big.Int).Mul(x, x)).Cmp(x2) != 0 {
			return edPoint{}, false
		}
	}
	if x.Sign() == 0 && sign == 1 {
		return edPoint{}, false
	}
	if x.Bit(0) != sign {
		x.Sub(edP, x)
	}
	return edPoint{x, y}, true
}

func (a edPoint) encode() [32]byte {
	var out [32]byte
	a.y.FillBytes(out[:])
	for i := 0; i < 16; i++ {
		out[i], out[31-i] = out[31-i], out[i]
	}
	out[31] |= byte(a.x.Bit(0)) << 7
	return out
}

// leBytes returns v as 32 little-endian bytes.
func leBytes(v *big.Int) [32]byte {
	return edPoint{big.NewInt(0), v}.encode()
}

// smallOrderKeys are the canonical encodings of the eight points of order
// dividing 8, from smallOrderY with both signs of x (one sign where x = 0).
func smallOrderKeys() [][32]byte {
	var out [][32]byte
	for i, y := range smallOrderY {
		out = append(out, y)
		if i != 1 && i != 2 { // y = 1 and y = p − 1 have x = 0
			neg := y
			neg[31] |= 0x80
			out = append(out, neg)
		}
	}
	return out
}

// weakKey is an Ed25519 public key every parser must refuse.
type weakKey struct {
	name string
	pk   [32]byte
}

// weakKeys are the eight small-order points and three non-canonical encodings:
// y = p + 3 (the point with y = 3, not of small order), y = 2^255 − 1, and the
// identity with the sign bit set.
func weakKeys() []weakKey {
	var out []weakKey
	for _, pk := range smallOrderKeys() {
		out = append(out, weakKey{fmt.Sprintf("small order %x…%02x", pk[:2], pk[31]), pk})
	}
	yp3 := leBytes(new(big.Int).Add(edP, big.NewInt(3)))
	top := [32]byte(bytes.Repeat([]byte{0xff}, 32))
	top[31] = 0x7f
	negOne := [32]byte{0x01}
	negOne[31] = 0x80
	return append(out,
		weakKey{"non-canonical y = p + 3", yp3},
		weakKey{"non-canonical y = 2^255 - 1", top},
		weakKey{"non-canonical identity, x = 0 with the sign bit", negOne},
	)
}

// The blocklist is the whole 8-torsion subgroup, derived here from the curve:
// [L]P of a point P off the prime-order subgroup lies in the 8-torsion, and
// one of order 8 generates all eight.
func TestCheckEd25519PublicKey_TorsionIsComplete(t *testing.T) {
	var gen edPoint
	found := false
	for y := int64(2); y < 100 && !found; y++ {
		p, ok := edDecode(leBytes(big.NewInt(y)))
		if !ok {
			continue
		}
		if tp := p.mul(edL); !tp.mul(big.NewInt(4)).equal(edIdentity()) {
			gen, found = tp, true
		}
	}
	if !found {
		t.Fatal("no point of order 8 found")
	}
	want := map[[32]byte]bool{}
	for _, pk := range smallOrderKeys() {
		want[pk] = true
	}
	if len(want) != 8 {
		t.Fatalf("smallOrderKeys() has %d distinct keys, want 8", len(want))
	}
	q := edIdentity()
	for i := 0; i < 8; i++ {
		enc := q.encode()
		if !want[enc] {
			t.Errorf("[%d]T = %x is not in the blocklist", i, enc)
		}
		if err := CheckEd25519PublicKey(enc[:]); !errors.Is(err, errKeySmallOrder) {
			t.Errorf("CheckEd25519PublicKey([%d]T = %x) = %v, want errKeySmallOrder", i, enc, err)
		}
		delete(want, enc)
		q = q.add(gen)
	}
	if !q.equal(edIdentity()) {
		t.Error("[8]T is not the identity")
	}
	for pk := range want {
		t.Errorf("blocklist key %x is not a multiple of T", pk)
	}
}

func TestCheckEd25519PublicKey_SmallOrder(t *testing.T) {
	for _, pk := range smallOrderKeys() {
		p, ok := edDecode(pk)
		if !ok || !p.mul(big.NewInt(8)).equal(edIdentity()) {
			t.Errorf("%x: not a point of order dividing 8", pk)
		}
		if err := CheckEd25519PublicKey(pk[:]); !errors.Is(err, errKeySmallOrder) {
			t.Errorf("CheckEd25519PublicKey(%x) = %v, want errKeySmallOrder", pk, err)
		}
	}
}

func TestCheckEd25519PublicKey_NonCanonical(t *testing.T) {
	// Every y ≥ p, with both signs: y = p + i for i = 0..18.
	for i := int64(0); i < 19; i++ {
		pk := leBytes(new(big.Int).Add(edP, big.NewInt(i)))
		for _, sign := range []byte{0, 0x80} {
			pk[31] = pk[31]&0x7f | sign
			if err := CheckEd25519PublicKey(pk[:]); !errors.Is(err, errKeyNonCanonicalY) {
				t.Errorf("CheckEd25519PublicKey(y = p + %d, sign %x) = %v, want errKeyNonCanonicalY", i, sign, err)
			}
		}
	}
	// x = 0 with the sign bit: y = 1 and y = p − 1.
	for _, y := range [][32]byte{smallOrderY[1], smallOrderY[2]} {
		y[31] |= 0x80
		if err := CheckEd25519PublicKey(y[:]); !errors.Is(err, errKeyNegativeZero) {
			t.Errorf("CheckEd25519PublicKey(%x) = %v, want errKeyNegativeZero", y, err)
		}
	}
	// y = p − 1 itself is canonical (and of small order); y = p − 2 passes.
	pm2 := leBytes(new(big.Int).Sub(edP, big.NewInt(2)))
	if err := CheckEd25519PublicKey(pm2[:]); err != nil {
		t.Errorf("CheckEd25519PublicKey(y = p - 2) = %v, want nil", err)
	}
}

func TestCheckEd25519PublicKey_Valid(t *testing.T) {
	for i := range 200 {
		pub := testPub(testEd25519(fmt.Sprint("key ", i)))
		if err := CheckEd25519PublicKey(pub[:]); err != nil {
			t.Fatalf("CheckEd25519PublicKey(%x) = %v, want nil", pub, err)
		}
	}
	// A point of mixed order (a key plus a point of order 8) is not of small
	// order: the check refuses only the eight small-order points.
	a, _ := edDecode(testPub(testEd25519("alice")))
	tp, _ := edDecode(smallOrderKeys()[5])
	mixed := a.add(tp).encode()
	if err := CheckEd25519PublicKey(mixed[:]); err != nil {
		t.Errorf("CheckEd25519PublicKey(mixed order) = %v, want nil", err)
	}
	for _, n := range []int{0, 31, 33, 64} {
		if err := CheckEd25519PublicKey(make([]byte, n)); err == nil {
			t.Errorf("CheckEd25519PublicKey(%d bytes) = nil, want an error", n)
		}
	}
}

// The identity as a key: any (R = [s]B, s) verifies for every message under
// crypto/ed25519. This is why small-order keys are refused at parse.
func TestCheckEd25519PublicKey_IdentityForgesEverything(t *testing.T) {
	// With A = identity, the check [s]B = R + [k]A is [s]B = R: for any s,
	// R = [s]B makes (R, s) a signature of every message.
	identity := smallOrderY[1]
	s := [32]byte{7}
	r := edBase().mul(new(big.Int).SetBytes(reverse(s[:]))).encode()
	forged := append(r[:], s[:]...)
	for _, msg := range []string{"one message", "and another"} {
		if !ed25519.Verify(identity[:], []byte(msg), forged) {
			t.Fatalf("the identity key did not accept the forged signature on %q", msg)
		}
	}
	if err := CheckEd25519PublicKey(identity[:]); !errors.Is(err, errKeySmallOrder) {
		t.Errorf("CheckEd25519PublicKey(identity) = %v, want errKeySmallOrder", err)
	}
}

func reverse(b []byte) []byte {
	out := make([]byte, len(b))
	for i := range b {
		out[len(b)-1-i] = b[i]
	}
	return out
}

// edBase is the RFC 8032 base point (y = 4/5, x even).
func edBase() edPoint {
	y := modP(new(big.Int).Mul(big.NewInt(4), new(big.Int).ModInverse(big.NewInt(5), edP)))
	b, _ := edDecode(leBytes(y))
	return b
}

// keyOffset returns where the Ed25519 key the parser checks sits in the body of
// codec c's valid object, or -1 for objects without one (ACL).
func keyOffset(tb testing.TB, c codec, body []byte) int {
	var pk [32]byte
	switch c.name {
	case "ACL":
		return -1
	case "DeviceCert", "DeviceRevocation", "Auth":
		pk = testPub(testEd25519("laptop"))
	case "RoleAttestation":
		pk = testPub(testEd25519("admin"))
	default:
		pk = testPub(testEd25519("alice"))
	}
	i := bytes.Index(body, pk[:])
	if i < 0 {
		tb.Fatalf("%s: key %x not in the body", c.name, pk[:4])
	}
	return i
}

// withKey returns c's valid object with its Ed25519 key replaced by pk and
// signed again by the original signer, so only the key is wrong.
func withKey(tb testing.TB, c codec, pk [32]byte) []byte {
	_, body, priv := c.valid(tb)
	i := keyOffset(tb, c, body)
	if i < 0 {
		return nil
	}
	copy(body[i:], pk[:])
	return c.resign(priv, body)
}

func TestParse_WeakEd25519Keys_ErrMalformed(t *testing.T) {
	for _, c := range codecs {
		if c.name == "ACL" {
			continue
		}
		for _, w := range weakKeys() {
			_, err := c.parse(withKey(t, c, w.pk))
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("Parse%s(%s) = %v, want ErrMalformed", c.name, w.name, err)
			}
		}
	}
}

func TestSign_WeakEd25519Keys_Refused(t *testing.T) {
	small := smallOrderKeys()[0]
	card, _ := newCard(t)
	card.Ed25519PK = small
	if err := card.validate(); !errors.Is(err, ErrMalformed) {
		t.Errorf("KeyCard{small-order key}.validate() = %v, want ErrMalformed", err)
	}
	d, priv := newDeviceCert(t)
	d.DevicePK = small
	if err := d.Sign(priv); !errors.Is(err, ErrMalformed) {
		t.Errorf("DeviceCert{small-order device_pk}.Sign() = %v, want ErrMalformed", err)
	}
	r, priv := newRevocation(t)
	r.DevicePK = small
	if err := r.Sign(priv); !errors.Is(err, ErrMalformed) {
		t.Errorf("DeviceRevocation{small-order device_pk}.Sign() = %v, want ErrMalformed", err)
	}
}

// An account entry carrying a role attestation whose issuer_pk is of small
// order is malformed: the attestation does not parse.
func TestParseAccountEntry_AttestationWeakIssuer(t *testing.T) {
	e, priv := newEntryWith(t, EventAttestation)
	att := withKey(t, codecNamed("RoleAttestation"), smallOrderKeys()[2])
	e.Attestation = att
	signed := SignedForm(e.Body(), forceSign(priv, KindAccountEntry, e.Body()), false, nil)
	if _, err := ParseAccountEntry(signed); !errors.Is(err, ErrMalformed) {
		t.Errorf("ParseAccountEntry(attestation with a small-order issuer_pk) = %v, want ErrMalformed", err)
	}
}
