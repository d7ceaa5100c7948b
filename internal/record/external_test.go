package record

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/blindvault/blindvault/internal/cobble"
	"github.com/blindvault/blindvault/internal/merkle"
	"github.com/blindvault/blindvault/internal/padding"
)

// sealOutside does what a browser does with an External's keys: pad, split
// into chunks, AES-256-GCM each under BaseNonce XOR index, and hash the leaves.
func sealOutside(t *testing.T, e *External, plain []byte) (body, leaves []byte) {
	t.Helper()
	block, err := aes.NewCipher(e.Keys.AEADKey[:])
	if err != nil {
		t.Fatal(err)
	}
	aead, _ := cipher.NewGCM(block)
	padded := append(bytes.Clone(plain), make([]byte, padding.BodySize(uint64(len(plain)))-uint64(len(plain)))...)
	body = append(e.Salt[:], e.Keys.Commitment[:]...)
	for i := uint64(0); ; i++ {
		n := min(len(padded), cobble.ChunkSize)
		nonce := e.Keys.BaseNonce
		binary.BigEndian.PutUint64(nonce[4:], binary.BigEndian.Uint64(nonce[4:])^i)
		ct := aead.Seal(nil, nonce[:], padded[:n], nil)
		leaf := merkle.LeafHash(ct)
		body, leaves = append(body, ct...), append(leaves, leaf[:]...)
		padded = padded[n:]
		if n < cobble.ChunkSize {
			return body, leaves
		}
	}
}

func TestSealExternal_OpensWithUnlock(t *testing.T) {
	owner := newParty(t, "owner")
	for _, size := range []int{0, 5000, 3*cobble.ChunkSize + 7, 65536} {
		plain := make([]byte, size)
		rand.Read(plain)
		var rid [32]byte
		rand.Read(rid[:])
		ek := make([]byte, 32)
		rand.Read(ek)
		p := &SealParams{RecordID: rid, Owner: owner.card.AccountID, Version: 1, ACL: newACL(t, owner, rid),
			EpochKey: ek, Author: owner.card.AccountID, Signer: owner.sign, Meta: Meta{Title: "scan", Type: "image/png"}}
		e, err := SealExternal(p)
		if err != nil {
			t.Fatal(err)
		}
		body, leaves := sealOutside(t, e, plain)
		keys := *e.Keys
		if _, err := e.Finish(uint64(size), uint64(len(body)+1), leaves); !errors.Is(err, ErrLayout) {
			t.Errorf("Finish(wrong ciphertext length) = %v, want ErrLayout", err)
		}
		if _, err := e.Finish(uint64(size), uint64(len(body)), leaves[32:]); !errors.Is(err, ErrLayout) {
			t.Errorf("Finish(one leaf short) = %v, want ErrLayout", err)
		}
		h, err := e.Finish(uint64(size), uint64(len(body)), leaves)
		e.Close()
		if err != nil {
			t.Fatalf("Finish(%d bytes) = %v", size, err)
		}
		if e.Keys.AEADKey != [32]byte{} {
			t.Errorf("Close() left the AEAD key")
		}
		u, err := Unlock(h, ek)
		if err != nil {
			t.Fatalf("Unlock() = %v", err)
		}
		raw, err := u.RawKeys()
		if err != nil || *raw != keys {
			t.Errorf("Unlocked.RawKeys() = %v, want the sealing keys", err)
		}
		if err := CheckLeaves(h, bytes.NewReader(leaves), nil); err != nil {
			t.Fatalf("CheckLeaves() = %v", err)
		}
		var out bytes.Buffer
		if err := u.Open(context.Background(), &out, bytes.NewReader(body), bytes.NewReader(leaves), 1); err != nil {
			t.Fatalf("Open() = %v", err)
		}
		if !bytes.Equal(out.Bytes(), plain) || u.Meta.Title != "scan" {
			t.Errorf("Open() = %d bytes (title %q), want the %d bytes sealed outside", out.Len(), u.Meta.Title, size)
		}
	}
}
