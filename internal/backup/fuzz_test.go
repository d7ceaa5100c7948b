package backup

import (
	"bytes"
	"testing"
)

// FuzzParse feeds the blob parser and both openers arbitrary bytes: nothing
// panics, and whatever parses re-encodes to the same bytes (one encoding per
// blob).
func FuzzParse(f *testing.F) {
	acct := [32]byte{1, 2, 3}
	data, key, code := testBlob(acct, []byte("seed secret"))
	f.Add(data)
	big, _, _ := testBlob(acct, bytes.Repeat([]byte{7}, 1000))
	f.Add(big)
	p, _ := parse(data)
	f.Add(encode(encodePrefix(acct, p.slots[1:], p.nonce), p.body)) // recovery slot only
	f.Add(data[:40])
	f.Add([]byte{1, 0, 1})
	f.Fuzz(func(t *testing.T, in []byte) {
		b, err := parse(in)
		if err == nil {
			if again := encode(encodePrefix(b.account, b.slots, b.nonce), b.body); !bytes.Equal(again, in) {
				t.Fatalf("parse/encode is not canonical:\n in  %x\n out %x", in, again)
			}
		}
		_, _ = PassphraseParams(in)
		if s, err := Open(in, acct, key); err == nil && !bytes.Equal(in, data) {
			t.Fatalf("Open(altered blob) = %q, nil", s)
		}
		if s, err := OpenWithRecoveryCode(in, acct, code); err == nil && !bytes.Equal(in, data) {
			t.Fatalf("OpenWithRecoveryCode(altered blob) = %q, nil", s)
		}
	})
}
