package backupwire

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/blindvault/blindvault/internal/format"
)

func TestReleaseMessage_Layout_MatchesProtocol(t *testing.T) {
	var acct, nonce [32]byte
	for i := range acct {
		acct[i], nonce[i] = byte(i), byte(0xa0+i)
	}
	m := ReleaseMessage(acct, nonce)
	if len(m) != 97 || ReleaseSize != 97 {
		t.Fatalf("len(ReleaseMessage) = %d, ReleaseSize = %d, want 97", len(m), ReleaseSize)
	}
	if string(m[0:18]) != "blindvault.v1 auth" || m[18] != 0 || string(m[19:33]) != "backup-release" ||
		!bytes.Equal(m[33:65], acct[:]) || !bytes.Equal(m[65:97], nonce[:]) {
		t.Fatalf("ReleaseMessage = %x, not the layout of docs/backup-protocol.md", m)
	}
}

func TestParseOPRFSetup_RoundTrip(t *testing.T) {
	pass, _, _ := ed25519.GenerateKey(nil)
	rec, _, _ := ed25519.GenerateKey(nil)
	s := OPRFSetup(pass, rec)
	if len(s) != OPRFSetupSize || s[0] != 0x01 || !bytes.Equal(s[1:33], pass) || !bytes.Equal(s[33:], rec) {
		t.Fatalf("OPRFSetup() = %x, want 0x01 ‖ pass ‖ rec", s)
	}
	gotPass, gotRec, err := ParseOPRFSetup(s)
	if err != nil || !bytes.Equal(gotPass, pass) || !bytes.Equal(gotRec, rec) {
		t.Fatalf("ParseOPRFSetup(0x01 ‖ pass ‖ rec) = %x, %x, %v, want %x, %x", gotPass, gotRec, err, pass, rec)
	}
	s[1] ^= 1 // the keys returned do not alias the input
	if !bytes.Equal(gotPass, pass) {
		t.Fatal("ParseOPRFSetup returned a key that aliases its input")
	}
}

func TestParseOPRFSetup_Malformed_ErrBadSetup(t *testing.T) {
	good, _, _ := ed25519.GenerateKey(nil)
	s := OPRFSetup(good, good)
	for _, bad := range [][]byte{nil, {0x01}, good, append([]byte{0x01}, good...), append([]byte{0x02}, s[1:]...), s[:64], append(bytes.Clone(s), 0), make([]byte, 66)} {
		if _, _, err := ParseOPRFSetup(bad); !errors.Is(err, ErrBadSetup) {
			t.Errorf("ParseOPRFSetup(%x) = %v, want ErrBadSetup", bad, err)
		}
	}
}

// weakEd25519Keys are the eight points of small order (canonical encodings)
// and two non-canonical encodings (y = p, and the identity with the sign bit
// set): keys a set-up may not carry.
var weakEd25519Keys = []string{
	"0000000000000000000000000000000000000000000000000000000000000000",
	"0000000000000000000000000000000000000000000000000000000000000080",
	"0100000000000000000000000000000000000000000000000000000000000000",
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
	"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"0100000000000000000000000000000000000000000000000000000000000080",
}

func TestParseOPRFSetup_WeakKeys_ErrBadSetup(t *testing.T) {
	good, _, _ := ed25519.GenerateKey(nil)
	if _, _, err := ParseOPRFSetup(OPRFSetup(good, good)); err != nil {
		t.Fatalf("ParseOPRFSetup(good keys) = %v", err)
	}
	for _, h := range weakEd25519Keys {
		weak, err := hex.DecodeString(h)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range [][]byte{OPRFSetup(weak, good), OPRFSetup(good, weak)} {
			if _, _, err := ParseOPRFSetup(s); !errors.Is(err, ErrBadSetup) {
				t.Errorf("ParseOPRFSetup(%x) = %v, want ErrBadSetup", s, err)
			}
		}
	}
}

// FuzzParseOPRFSetup: nothing panics; whatever parses re-encodes to the same
// bytes and carries two keys that pass the Ed25519 key check. The seeds
// include each small-order point and non-canonical encodings in either place.
func FuzzParseOPRFSetup(f *testing.F) {
	good, _, _ := ed25519.GenerateKey(nil)
	f.Add(OPRFSetup(good, good))
	for _, h := range weakEd25519Keys {
		weak, _ := hex.DecodeString(h)
		f.Add(OPRFSetup(weak, good))
		f.Add(OPRFSetup(good, weak))
	}
	f.Add([]byte{0x01})
	f.Fuzz(func(t *testing.T, in []byte) {
		pass, rec, err := ParseOPRFSetup(in)
		if err != nil {
			if !errors.Is(err, ErrBadSetup) {
				t.Fatalf("ParseOPRFSetup(%x) = %v, want ErrBadSetup", in, err)
			}
			return
		}
		if !bytes.Equal(OPRFSetup(pass, rec), in) {
			t.Fatalf("ParseOPRFSetup(%x) does not re-encode to its input", in)
		}
		if format.CheckEd25519PublicKey(pass) != nil || format.CheckEd25519PublicKey(rec) != nil {
			t.Fatalf("ParseOPRFSetup(%x) accepted a weak key", in)
		}
	})
}
