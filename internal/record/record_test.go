package record

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/blindvault/blindvault/internal/cobble"
	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/internal/grant"
)

// party is a test identity: its card and signing key.
type party struct {
	card *format.KeyCard
	sign ed25519.PrivateKey
}

func newParty(t *testing.T, handle string) party {
	t.Helper()
	_, sk, _ := ed25519.GenerateKey(rand.Reader)
	_, xpk, err := grant.GenerateXWing()
	if err != nil {
		t.Fatal(err)
	}
	c := &format.KeyCard{Handle: handle, Seq: 1, Created: 1, XWingPK: xpk}
	rand.Read(c.AccountID[:])
	copy(c.Ed25519PK[:], sk.Public().(ed25519.PublicKey))
	if err := c.Sign(sk); err != nil {
		t.Fatal(err)
	}
	return party{c, sk}
}

func newACL(t *testing.T, owner party, recordID [32]byte, entries ...format.ACLEntry) *format.ACL {
	t.Helper()
	a := &format.ACL{RecordID: recordID, Owner: owner.card.AccountID, Seq: 1, Epoch: 1,
		Entries: append([]format.ACLEntry{{Reader: format.KeyID(owner.card.XWingPK), Rights: format.RightRead | format.RightWrite | format.RightShare}}, entries...)}
	sortEntries(a.Entries)
	if err := a.Sign(owner.sign); err != nil {
		t.Fatal(err)
	}
	return a
}

func sortEntries(e []format.ACLEntry) {
	for i := range e {
		for j := i + 1; j < len(e); j++ {
			if bytes.Compare(e[j].Reader[:], e[i].Reader[:]) < 0 {
				e[i], e[j] = e[j], e[i]
			}
		}
	}
}

type sealed struct {
	h              *format.Header
	body, leaves   []byte
	epochKey, plan []byte
}

func seal(t *testing.T, owner party, plain []byte) sealed {
	t.Helper()
	var rid [32]byte
	rand.Read(rid[:])
	acl := newACL(t, owner, rid)
	ek := make([]byte, 32)
	rand.Read(ek)
	var body, leaves bytes.Buffer
	h, err := Seal(context.Background(), &SealParams{RecordID: rid, Owner: owner.card.AccountID, Version: 1, ACL: acl,
		EpochKey: ek, Author: owner.card.AccountID, Signer: owner.sign, Meta: Meta{Title: "title", Type: "Observation", Tags: []string{"bp"}}},
		bytes.NewReader(plain), &body, &leaves)
	if err != nil {
		t.Fatal(err)
	}
	return sealed{h, body.Bytes(), leaves.Bytes(), ek, plain}
}

func (s sealed) open(t *testing.T, h *format.Header) ([]byte, error) {
	t.Helper()
	u, err := Unlock(h, s.epochKey)
	if err != nil {
		return nil, err
	}
	if err := CheckLeaves(h, bytes.NewReader(s.leaves), nil); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	err = u.Open(context.Background(), &out, bytes.NewReader(s.body), bytes.NewReader(s.leaves), 0)
	return out.Bytes(), err
}

func TestSeal_Open_RoundTrip(t *testing.T) {
	alice := newParty(t, "alice")
	for _, n := range []int{0, 10, 4096, 70000} {
		plain := make([]byte, n)
		rand.Read(plain)
		s := seal(t, alice, plain)
		got, err := s.open(t, s.h)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("open(seal(%d bytes)) = %d bytes, %v", n, len(got), err)
		}
		u, _ := Unlock(s.h, s.epochKey)
		if u.Meta.Title != "title" || u.Meta.Type != "Observation" || u.Meta.Length != uint64(n) || len(u.Meta.Tags) != 1 {
			t.Fatalf("Unlock meta = %+v", u.Meta)
		}
	}
}

// A malicious author wraps a different DEK for some reader and signs the header
// anyway: the reader must refuse before using that key, even for metadata.
func TestUnlock_CommitmentMismatch(t *testing.T) {
	alice := newParty(t, "alice")
	s := seal(t, alice, []byte("honest content"))
	other := make([]byte, 32)
	rand.Read(other)
	h := *s.h
	h.WrappedDEK = wrapDEK(s.epochKey, other, format.BodyContext(h.RecordID, h.Version, h.Owner), [nonceSize]byte{})
	if err := h.Sign(alice.sign); err != nil {
		t.Fatal(err)
	}
	if _, err := Unlock(&h, s.epochKey); !errors.Is(err, ErrCommitment) {
		t.Fatalf("Unlock(DEK not matching commitment) error = %v, want ErrCommitment", err)
	}
}

func TestUnlock_WrongEpochKey(t *testing.T) {
	s := seal(t, newParty(t, "alice"), []byte("x"))
	if _, err := Unlock(s.h, make([]byte, 32)); !errors.Is(err, ErrUnwrap) {
		t.Fatalf("Unlock(wrong epoch key) error = %v, want ErrUnwrap", err)
	}
}

// A wrapped DEK copied into another record's header does not unwrap there: the
// wrapping is bound to record id, version and owner.
func TestUnlock_DEKMovedBetweenRecords(t *testing.T) {
	alice := newParty(t, "alice")
	a, b := seal(t, alice, []byte("a")), seal(t, alice, []byte("b"))
	h := *b.h
	h.WrappedDEK = a.h.WrappedDEK
	if _, err := Unlock(&h, a.epochKey); !errors.Is(err, ErrUnwrap) {
		t.Fatalf("Unlock(DEK from another record) error = %v, want ErrUnwrap", err)
	}
}

// An author who pads with non-zero bytes (a covert channel) is caught on full reads.
func TestOpen_NonZeroPadding(t *testing.T) {
	alice := newParty(t, "alice")
	s := seal(t, alice, []byte("short"))
	u, err := Unlock(s.h, s.epochKey)
	if err != nil {
		t.Fatal(err)
	}
	// Re-seal the body with the same DEK but junk in the padding, and re-sign.
	padded := make([]byte, 4096)
	copy(padded, "short")
	padded[100] = 0xff
	var body, leaves bytes.Buffer
	sum, err := cobble.Seal(context.Background(), &body, &leaves, bytes.NewReader(padded), u.dek, u.ctx, &cobble.SealOptions{Salt: &s.h.Salt})
	if err != nil {
		t.Fatal(err)
	}
	h := *s.h
	h.Root = sum.Root
	if err := h.Sign(alice.sign); err != nil {
		t.Fatal(err)
	}
	s.body, s.leaves = body.Bytes(), leaves.Bytes()
	if _, err := s.open(t, &h); !errors.Is(err, ErrPadding) {
		t.Fatalf("open(non-zero padding) error = %v, want ErrPadding", err)
	}
}

// Metadata whose length does not fit the body is ErrLayout, even a length whose
// Padmé size overflows 64 bits (it once wrapped to 4096 and matched a
// one-chunk body, and the reader then kept the padding as data).
func TestUnlock_LengthBeyondBody(t *testing.T) {
	alice := newParty(t, "alice")
	s := seal(t, alice, []byte("short"))
	u, err := Unlock(s.h, s.epochKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []uint64{4097, 1 << 40, math.MaxUint64 - 1<<57 + 2, math.MaxUint64} {
		sealed, err := sealMeta(u.dek, u.ctx, [nonceSize]byte{}, &Meta{Length: l})
		if err != nil {
			t.Fatal(err)
		}
		h := *s.h
		h.SealedMeta = sealed
		if _, err := Unlock(&h, s.epochKey); !errors.Is(err, ErrLayout) {
			t.Errorf("Unlock(metadata length %#x, 4096-byte body) error = %v, want ErrLayout", l, err)
		}
	}
}

// A body whose salt is not the header's fails as ErrCommitment (record's, which
// the SDK exports, as well as cobble's).
func TestOpen_BodySaltNotHeaders(t *testing.T) {
	alice := newParty(t, "alice")
	s := seal(t, alice, make([]byte, 5000))
	s.body = bytes.Clone(s.body)
	s.body[0] ^= 1
	_, err := s.open(t, s.h)
	if !errors.Is(err, ErrCommitment) || !errors.Is(err, cobble.ErrCommitment) {
		t.Fatalf("open(salt changed) error = %v, want ErrCommitment and cobble.ErrCommitment", err)
	}
}

func TestCheckLayout(t *testing.T) {
	s := seal(t, newParty(t, "alice"), make([]byte, 5000))
	for name, mut := range map[string]func(h *format.Header){
		"extra chunk":   func(h *format.Header) { h.ChunkCount++ },
		"short":         func(h *format.Header) { h.CiphertextLen -= 16 },
		"below minimum": func(h *format.Header) { h.CiphertextLen, h.ChunkCount = 56+16+100, 1 },
	} {
		h := *s.h
		mut(&h)
		if err := CheckLayout(&h, 1<<40); !errors.Is(err, ErrLayout) {
			t.Errorf("CheckLayout(%s) = %v, want ErrLayout", name, err)
		}
	}
	if err := CheckLayout(s.h, 1000); !errors.Is(err, ErrLayout) {
		t.Errorf("CheckLayout(over limit) = %v, want ErrLayout", err)
	}
}

func TestMeta_Buckets(t *testing.T) {
	dek := make([]byte, 32)
	ctx := []byte("ctx")
	for _, c := range []struct {
		title  string
		bucket int
	}{{"", 512}, {strings.Repeat("t", 600), 2048}} {
		sm, err := sealMeta(dek, ctx, [nonceSize]byte{}, &Meta{Title: c.title})
		if err != nil {
			t.Fatal(err)
		}
		if len(sm) != nonceSize+c.bucket+16 {
			t.Errorf("sealMeta(title %d bytes) = %d bytes, want bucket %d", len(c.title), len(sm), c.bucket)
		}
		if _, err := openMeta(dek, []byte("other"), sm); !errors.Is(err, ErrMetaOpen) {
			t.Errorf("openMeta(wrong context) error = %v, want ErrMetaOpen", err)
		}
	}
	if _, err := sealMeta(dek, ctx, [nonceSize]byte{}, &Meta{Type: "has space"}); !errors.Is(err, ErrMetaInvalid) {
		t.Errorf("sealMeta(bad type) error = %v, want ErrMetaInvalid", err)
	}
}

func TestVerifyHeader_WriteAuthority(t *testing.T) {
	alice, bob, eve := newParty(t, "alice"), newParty(t, "bob"), newParty(t, "eve")
	var rid [32]byte
	rand.Read(rid[:])
	aclV1 := newACL(t, alice, rid,
		format.ACLEntry{Reader: format.KeyID(bob.card.XWingPK), Rights: format.RightRead | format.RightWrite},
		format.ACLEntry{Reader: format.KeyID(eve.card.XWingPK), Rights: format.RightRead})
	ek := make([]byte, 32)
	rand.Read(ek)
	write := func(author party, version uint64, prev [32]byte) *format.Header {
		h, err := Seal(context.Background(), &SealParams{RecordID: rid, Owner: alice.card.AccountID, Version: version,
			PrevHeaderHash: prev, ACL: aclV1, EpochKey: ek, Author: author.card.AccountID, Signer: author.sign}, bytes.NewReader([]byte("x")), io.Discard, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	v1 := write(alice, 1, [32]byte{})
	if err := VerifyHeader(v1, aclV1, nil, Author{Card: alice.card}); err != nil {
		t.Fatalf("VerifyHeader(owner v1) = %v, want nil", err)
	}
	// Bob holds write: his version 2 is valid.
	v2 := write(bob, 2, v1.Hash())
	if err := VerifyHeader(v2, aclV1, aclV1, Author{Card: bob.card}); err != nil {
		t.Fatalf("VerifyHeader(delegate with write) = %v, want nil", err)
	}
	// Eve only reads.
	v2e := write(eve, 2, v1.Hash())
	if err := VerifyHeader(v2e, aclV1, aclV1, Author{Card: eve.card}); !errors.Is(err, ErrWriteAuthority) {
		t.Fatalf("VerifyHeader(reader without write) = %v, want ErrWriteAuthority", err)
	}
	// A header presented with someone else's card.
	if err := VerifyHeader(v2, aclV1, aclV1, Author{Card: eve.card}); !errors.Is(err, ErrSigner) {
		t.Fatalf("VerifyHeader(wrong author card) = %v, want ErrSigner", err)
	}
	// A header signed by a device key is refused, even one Bob certified:
	// only his identity key signs his headers.
	_, devSK, _ := ed25519.GenerateKey(rand.Reader)
	cert := &format.DeviceCert{AccountID: bob.card.AccountID, IdentityFP: bob.card.Fingerprint(), Created: 0, NotAfter: 1 << 40}
	copy(cert.DevicePK[:], devSK.Public().(ed25519.PublicKey))
	if err := cert.Sign(bob.sign); err != nil {
		t.Fatal(err)
	}
	h := write(bob, 2, v1.Hash())
	copy(h.SignerPK[:], devSK.Public().(ed25519.PublicKey))
	if err := h.Sign(devSK); err != nil {
		t.Fatal(err)
	}
	if err := h.Verify(h.SignerPK); err != nil {
		t.Fatalf("device-signed header: signature does not verify: %v", err)
	}
	if err := VerifyHeader(h, aclV1, aclV1, Author{Card: bob.card}); !errors.Is(err, ErrSigner) {
		t.Fatalf("VerifyHeader(header signed by a certified device) = %v, want ErrSigner", err)
	}
	if err := VerifyHeader(v2, aclV1, aclV1, Author{}); !errors.Is(err, ErrSigner) {
		t.Fatalf("VerifyHeader(no author card) = %v, want ErrSigner", err)
	}
	// A header presented under a different ACL.
	other := newACL(t, alice, rid)
	if err := VerifyHeader(v1, other, nil, Author{Card: alice.card}); !errors.Is(err, ErrWrongACL) {
		t.Fatalf("VerifyHeader(other ACL) = %v, want ErrWrongACL", err)
	}
}

// The case that made device-signed headers go: a device certified for
// [1000, 2000] and revoked at 1200 signs a header claiming created = 1500, or
// backdated to 1100, before the revocation. Created is the signer's choice, so
// no reader can tell a header made at 1100 from one made after the revocation
// and dated 1100. Both are refused, whatever the certificate says.
func TestVerifyHeader_DeviceSigned_Backdated_ErrSigner(t *testing.T) {
	alice := newParty(t, "alice")
	var rid [32]byte
	rand.Read(rid[:])
	acl := newACL(t, alice, rid)
	ek := make([]byte, 32)
	rand.Read(ek)
	h, err := Seal(context.Background(), &SealParams{RecordID: rid, Owner: alice.card.AccountID, Version: 1,
		ACL: acl, EpochKey: ek, Author: alice.card.AccountID, Signer: alice.sign}, bytes.NewReader([]byte("x")), io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	_, devSK, _ := ed25519.GenerateKey(rand.Reader)
	devPK := [32]byte(devSK.Public().(ed25519.PublicKey))
	cert := &format.DeviceCert{DevicePK: devPK, AccountID: alice.card.AccountID, IdentityFP: alice.card.Fingerprint(),
		Created: 1000, NotAfter: 2000}
	if err := cert.Sign(alice.sign); err != nil {
		t.Fatal(err)
	}
	if err := cert.VerifyIssuer(alice.card); err != nil {
		t.Fatal(err)
	}
	rev := &format.DeviceRevocation{DevicePK: devPK, AccountID: alice.card.AccountID, IdentityFP: alice.card.Fingerprint(),
		RevokedAt: 1200}
	if err := rev.Sign(alice.sign); err != nil {
		t.Fatal(err)
	}
	for _, created := range []uint64{1500, 1100} {
		d := *h
		d.SignerPK, d.Created = devPK, created
		if err := d.Sign(devSK); err != nil {
			t.Fatal(err)
		}
		if err := VerifyHeader(&d, acl, nil, Author{Card: alice.card}); !errors.Is(err, ErrSigner) {
			t.Errorf("VerifyHeader(device-signed, created %d, cert [1000, 2000], revoked 1200) = %v, want ErrSigner", created, err)
		}
	}
	// The identity-signed original stays valid.
	if err := VerifyHeader(h, acl, nil, Author{Card: alice.card}); err != nil {
		t.Fatalf("VerifyHeader(identity-signed) = %v, want nil", err)
	}
}

func FuzzOpenMeta(f *testing.F) {
	dek := make([]byte, 32)
	ctx := []byte("ctx")
	sm, _ := sealMeta(dek, ctx, [nonceSize]byte{}, &Meta{Title: "seed", Tags: []string{"a"}})
	f.Add(sm)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		_, _ = openMeta(dek, ctx, in)
	})
}

func FuzzParseMeta(f *testing.F) {
	m := &Meta{Title: "seed", Type: "Observation", Tags: []string{"a", "b"}, Length: 7}
	f.Add(m.encode())
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := parseMeta(in)
		if err != nil {
			return
		}
		// Whatever parses must survive encode → parse unchanged (times outside
		// the accepted range were already zeroed by the first parse).
		again, err := parseMeta(got.encode())
		if err != nil {
			t.Fatalf("parseMeta(encode(parseMeta(x))) error = %v", err)
		}
		if !reflect.DeepEqual(got, again) {
			t.Fatalf("parseMeta round trip = %+v, want %+v", again, got)
		}
	})
}
