package record

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"testing"
)

var benchSizes = []struct {
	name string
	n    int
}{{"64B", 64}, {"4KiB", 4 << 10}, {"1MiB", 1 << 20}, {"256MiB", 256 << 20}}

// BenchmarkSeal measures a whole version: padding, Cobblestone, leaf hashing, the
// Merkle root, metadata, DEK wrapping and the Ed25519 signature. Bytes are the
// plaintext length.
func BenchmarkSeal(b *testing.B) {
	alice := newParty(&testing.T{}, "alice")
	var rid [32]byte
	acl := newACL(&testing.T{}, alice, rid)
	ek := make([]byte, 32)
	for _, sz := range benchSizes {
		plain := make([]byte, sz.n)
		rand.Read(plain)
		b.Run(sz.name, func(b *testing.B) {
			b.SetBytes(int64(sz.n))
			p := &SealParams{RecordID: rid, Owner: alice.card.AccountID, Version: 1, ACL: acl, EpochKey: ek,
				Author: alice.card.AccountID, Signer: alice.sign}
			for b.Loop() {
				if _, err := Seal(context.Background(), p, bytes.NewReader(plain), io.Discard, io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkOpen measures the reader's side: unwrap, commitment check, metadata,
// leaf-list root check, and the verified, in-order body.
func BenchmarkOpen(b *testing.B) {
	alice := newParty(&testing.T{}, "alice")
	for _, sz := range benchSizes {
		plain := make([]byte, sz.n)
		rand.Read(plain)
		s := seal(&testing.T{}, alice, plain)
		b.Run(sz.name, func(b *testing.B) {
			b.SetBytes(int64(sz.n))
			for b.Loop() {
				u, err := Unlock(s.h, s.epochKey)
				if err != nil {
					b.Fatal(err)
				}
				if err := CheckLeaves(s.h, bytes.NewReader(s.leaves), nil); err != nil {
					b.Fatal(err)
				}
				if err := u.Open(context.Background(), io.Discard, bytes.NewReader(s.body), bytes.NewReader(s.leaves), 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
