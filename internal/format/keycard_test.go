package format

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// cardWith returns the signed form of a seq-1 card changed by mutate and
// signed by its own key without checks; endorsement is appended as given.
func cardWith(t *testing.T, mutate func(c *KeyCard), endorsement []byte) []byte {
	t.Helper()
	c, priv := newCard(t)
	mutate(c)
	body := c.Body()
	return SignedForm(body, forceSign(priv, KindKeyCard, body), true, endorsement)
}

func TestParseKeyCard_Constraints(t *testing.T) {
	someHash := testID("prev")
	var endorsement [64]byte
	cases := []struct {
		name        string
		mutate      func(c *KeyCard)
		endorsement []byte
		want        error // nil: parses
	}{
		{"handle64", func(c *KeyCard) { c.Handle = strings.Repeat("a", 64) }, nil, nil},
		{"handleUnicode", func(c *KeyCard) { c.Handle = "Dr. Zoë Ñúñez 医生" }, nil, nil},
		{"handleEmpty", func(c *KeyCard) { c.Handle = "" }, nil, ErrMalformed},
		{"handle65", func(c *KeyCard) { c.Handle = strings.Repeat("a", 65) }, nil, ErrMalformed},
		{"handle65Unicode", func(c *KeyCard) { c.Handle = strings.Repeat("é", 32) + "a" }, nil, ErrMalformed},
		{"handleNUL", func(c *KeyCard) { c.Handle = "ali\x00ce" }, nil, ErrMalformed},
		{"handleNewline", func(c *KeyCard) { c.Handle = "alice\n" }, nil, ErrMalformed},
		{"handleUnitSeparator", func(c *KeyCard) { c.Handle = "a\x1fb" }, nil, ErrMalformed},
		{"handleDEL", func(c *KeyCard) { c.Handle = "a\x7fb" }, nil, ErrMalformed},
		{"handleC1CSI", func(c *KeyCard) { c.Handle = "a\u009bb" }, nil, ErrMalformed},
		{"handleInvalidUTF8", func(c *KeyCard) { c.Handle = "a\xffb" }, nil, ErrMalformed},
		{"handleSurrogate", func(c *KeyCard) { c.Handle = "a\xed\xa0\x80b" }, nil, ErrMalformed},
		{"handleOverlong", func(c *KeyCard) { c.Handle = "a\xc0\xafb" }, nil, ErrMalformed},
		{"xwingNotMLKEM", func(c *KeyCard) { c.XWingPK = bytes.Repeat([]byte{0xff}, XWingPublicKeySize) }, nil, ErrMalformed},
		{"seq0", func(c *KeyCard) { c.Seq = 0 }, nil, ErrMalformed},
		{"seq1PrevHash", func(c *KeyCard) { c.PrevCardHash = someHash }, nil, ErrMalformed},
		{"seq2ZeroPrev", func(c *KeyCard) { c.Seq = 2 }, endorsement[:], ErrMalformed},
		{"seq1Endorsed", func(c *KeyCard) {}, endorsement[:], ErrMalformed},
		{"seq2NotEndorsed", func(c *KeyCard) { c.Seq, c.PrevCardHash = 2, someHash }, nil, ErrMalformed},
		{"endorsement32", func(c *KeyCard) { c.Seq, c.PrevCardHash = 2, someHash }, endorsement[:32], ErrMalformed},
		{"endorsement65", func(c *KeyCard) { c.Seq, c.PrevCardHash = 2, someHash }, make([]byte, 65), ErrMalformed},
		// The endorsement is checked against the previous card, not on parse.
		{"seq2Endorsed", func(c *KeyCard) { c.Seq, c.PrevCardHash = 2, someHash }, endorsement[:], nil},
	}
	for _, tc := range cases {
		in := cardWith(t, tc.mutate, tc.endorsement)
		_, err := ParseKeyCard(in)
		if tc.want == nil && err != nil || !errors.Is(err, tc.want) {
			t.Errorf("ParseKeyCard(%s) = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestParseKeyCard_XWingKeyTruncated(t *testing.T) {
	// A body that ends inside xwing_pk is malformed, not an invalid key.
	c, priv := newCard(t)
	body := c.Body()
	cut := body[:4+32+1+len(c.Handle)+32+100]
	in := SignedForm(cut, forceSign(priv, KindKeyCard, cut), true, nil)
	if _, err := ParseKeyCard(in); !errors.Is(err, ErrMalformed) {
		t.Errorf("ParseKeyCard(truncated xwing_pk) = %v, want ErrMalformed", err)
	}
}

func TestParseKeyCard_BadSelfSignature(t *testing.T) {
	c, _ := newCard(t)
	c.Created++ // the signature no longer covers the body
	if _, err := ParseKeyCard(c.Marshal()); !errors.Is(err, ErrBadSignature) {
		t.Errorf("ParseKeyCard(modified body) = %v, want ErrBadSignature", err)
	}
	c, _ = newCard(t)
	other := testEd25519("mallory")
	c.Signature = forceSign(other, KindKeyCard, c.Body())
	if _, err := ParseKeyCard(c.Marshal()); !errors.Is(err, ErrBadSignature) {
		t.Errorf("ParseKeyCard(signed by another key) = %v, want ErrBadSignature", err)
	}
	c, priv := newCard(t)
	c.Signature = forceSign(priv, KindACL, c.Body())
	if _, err := ParseKeyCard(c.Marshal()); !errors.Is(err, ErrBadSignature) {
		t.Errorf("ParseKeyCard(signed as acl) = %v, want ErrBadSignature", err)
	}
}

func TestKeyCard_Sign_WrongKey(t *testing.T) {
	c, _ := newCard(t)
	if err := c.Sign(testEd25519("mallory")); err == nil {
		t.Errorf("KeyCard.Sign(other key) = nil, want error")
	}
	c.Handle = ""
	if err := c.Sign(testEd25519("alice")); !errors.Is(err, ErrMalformed) {
		t.Errorf("KeyCard{Handle: \"\"}.Sign() = %v, want ErrMalformed", err)
	}
	c, _ = newCard(t)
	c.XWingPK = c.XWingPK[:100]
	if err := c.Sign(testEd25519("alice")); !errors.Is(err, ErrMalformed) {
		t.Errorf("KeyCard{XWingPK: 100 bytes}.Sign() = %v, want ErrMalformed", err)
	}
}

func TestKeyCard_Endorse_FirstCard(t *testing.T) {
	c, priv := newCard(t)
	if err := c.Endorse(priv); err == nil {
		t.Errorf("KeyCard{Seq: 1}.Endorse() = nil, want error")
	}
	if err := c.VerifyEndorsement(testPub(priv)); !errors.Is(err, ErrBadSignature) {
		t.Errorf("KeyCard{Seq: 1}.VerifyEndorsement() = %v, want ErrBadSignature", err)
	}
}

func TestKeyCard_VerifySuccessor_Valid(t *testing.T) {
	prev, prevPriv := newCard(t)
	next, _ := newSuccessor(t, prev, prevPriv)
	parsed, err := ParseKeyCard(next.Marshal())
	if err != nil {
		t.Fatalf("ParseKeyCard(successor) = %v", err)
	}
	if !reflect.DeepEqual(parsed, next) {
		t.Errorf("ParseKeyCard(successor) = %+v, want %+v", parsed, next)
	}
	if err := parsed.VerifySuccessor(prev); err != nil {
		t.Errorf("VerifySuccessor(prev) = %v, want nil", err)
	}
}

func TestKeyCard_VerifySuccessor_Broken(t *testing.T) {
	prev, prevPriv := newCard(t)
	cases := []struct {
		name   string
		mutate func(next *KeyCard, prev *KeyCard) // next is re-signed and re-endorsed after
		signer ed25519.PrivateKey                 // endorsement key; nil: prev's
		want   error
	}{
		{"otherAccount", func(n, p *KeyCard) { n.AccountID = testID("mallory") }, nil, ErrBadChain},
		{"seqGap", func(n, p *KeyCard) { n.Seq = 3 }, nil, ErrBadChain},
		{"seqSame", func(n, p *KeyCard) { n.Seq = 1; n.PrevCardHash = [32]byte{} }, nil, ErrBadChain},
		{"wrongPrevHash", func(n, p *KeyCard) { n.PrevCardHash = testID("other") }, nil, ErrBadChain},
		{"endorsedByOther", func(n, p *KeyCard) {}, testEd25519("mallory"), ErrBadSignature},
		{"endorsedByItself", func(n, p *KeyCard) {}, testEd25519("alice-2"), ErrBadSignature},
	}
	for _, tc := range cases {
		next, priv := newSuccessor(t, prev, prevPriv)
		tc.mutate(next, prev)
		next.Signature = forceSign(priv, KindKeyCard, next.Body())
		signer := tc.signer
		if signer == nil {
			signer = prevPriv
		}
		next.Endorsement = forceSign(signer, KindKeyCard, next.Body())
		if err := next.VerifySuccessor(prev); !errors.Is(err, tc.want) {
			t.Errorf("VerifySuccessor(%s) = %v, want %v", tc.name, err, tc.want)
		}
	}
	if err := prev.VerifySuccessor(nil); !errors.Is(err, ErrBadChain) {
		t.Errorf("VerifySuccessor(nil) = %v, want ErrBadChain", err)
	}
	// A bad self signature fails even with a good endorsement.
	next, _ := newSuccessor(t, prev, prevPriv)
	next.Signature = bytes.Clone(next.Endorsement)
	if err := next.VerifySuccessor(prev); !errors.Is(err, ErrBadSignature) {
		t.Errorf("VerifySuccessor(bad self signature) = %v, want ErrBadSignature", err)
	}
}

func TestKeyCard_VerifyRecovery(t *testing.T) {
	prev, _ := newCard(t)
	recovery := testEd25519("recovery")
	next, _ := newSuccessor(t, prev, recovery)
	if err := next.VerifyRecovery(prev, testPub(recovery)); err != nil {
		t.Errorf("VerifyRecovery(recovery key) = %v, want nil", err)
	}
	if err := next.VerifySuccessor(prev); !errors.Is(err, ErrBadSignature) {
		t.Errorf("VerifySuccessor(recovery-endorsed) = %v, want ErrBadSignature", err)
	}
	if err := next.VerifyRecovery(prev, testPub(testEd25519("mallory"))); !errors.Is(err, ErrBadSignature) {
		t.Errorf("VerifyRecovery(other key) = %v, want ErrBadSignature", err)
	}
}

func TestKeyCard_Hash_ExcludesSignatures(t *testing.T) {
	prev, prevPriv := newCard(t)
	next, _ := newSuccessor(t, prev, prevPriv)
	h := next.Hash()
	next.Endorsement, next.Signature = nil, nil
	if got := next.Hash(); got != h {
		t.Errorf("KeyCard.Hash() without signatures = %x, want %x", got, h)
	}
}

func TestKeyCard_Fingerprint_Definition(t *testing.T) {
	c, _ := newCard(t)
	var in []byte
	in = append(in, "blindvault.v1 fp"...)
	in = append(in, c.Ed25519PK[:]...)
	in = append(in, c.XWingPK...)
	in = append(in, c.AccountID[:]...)
	if got, want := c.Fingerprint(), KeyID(in); got != want {
		t.Errorf("KeyCard.Fingerprint() = %x, want %x", got, want)
	}
	// Every key and the account change the fingerprint.
	for name, mutate := range map[string]func(*KeyCard){
		"ed25519": func(c *KeyCard) { c.Ed25519PK[0] ^= 1 },
		"xwing":   func(c *KeyCard) { c.XWingPK[0] ^= 1 },
		"account": func(c *KeyCard) { c.AccountID[0] ^= 1 },
	} {
		d, _ := newCard(t)
		mutate(d)
		if d.Fingerprint() == c.Fingerprint() {
			t.Errorf("Fingerprint() unchanged when %s changes", name)
		}
	}
}

func TestFormatFingerprint_SpecExample(t *testing.T) {
	var fp [32]byte
	copy(fp[:], "abcdefghijklmnopqrstuvwxyz012345")
	got := FormatFingerprint(fp)
	want := "MFRG GZDF MZTW Q2LK NNWG 23TP OBYX E43U"
	if got != want {
		t.Errorf("FormatFingerprint(%q) = %q, want %q", fp[:], got, want)
	}
	if got := FormatFingerprint([32]byte{}); got != "AAAA AAAA AAAA AAAA AAAA AAAA AAAA AAAA" {
		t.Errorf("FormatFingerprint(zero) = %q", got)
	}
}

func TestKeyID_Definition(t *testing.T) {
	// SHA-256("abc")
	want := "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	id := KeyID([]byte("abc"))
	if got := hex.EncodeToString(id[:]); got != want {
		t.Errorf("KeyID(abc) = %s, want %s", got, want)
	}
}
