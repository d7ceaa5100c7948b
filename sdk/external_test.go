//go:build !js

package sdk_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"github.com/blindvault/blindvault/internal/bridge"
	"github.com/blindvault/blindvault/internal/padding"
	"github.com/blindvault/blindvault/sdk"
)

// refCipher is what the browser's WebCrypto code does with BodyKeys, written
// out in Go: the reference the hooks are tested against.
type refCipher struct{ aead cipher.AEAD }

func newRefCipher(t *testing.T, k *bridge.BodyKeys) refCipher {
	t.Helper()
	block, err := aes.NewCipher(k.AEADKey[:])
	if err != nil {
		t.Fatal(err)
	}
	aead, _ := cipher.NewGCM(block)
	return refCipher{aead}
}

func chunkNonce(k *bridge.BodyKeys, i uint64) []byte {
	n := k.BaseNonce
	binary.BigEndian.PutUint64(n[4:], binary.BigEndian.Uint64(n[4:])^i)
	return n[:]
}

func leaf(ct []byte) []byte {
	h := sha256.Sum256(append([]byte{0}, ct...))
	return h[:]
}

// refSealer seals in the test, outside the SDK.
type refSealer struct {
	t      *testing.T
	plain  []byte
	reused *bridge.BodyKeys // the keys it was handed, to check they were cleared
}

func (s *refSealer) SealBody(_ context.Context, k *bridge.BodyKeys) (*bridge.SealedBody, error) {
	s.reused = k
	c := newRefCipher(s.t, k)
	padded := make([]byte, padding.BodySize(uint64(len(s.plain))))
	copy(padded, s.plain)
	body := append(k.Salt[:], k.Commitment[:]...)
	var leaves []byte
	for i := uint64(0); ; i++ {
		n := min(len(padded), 16384)
		ct := c.aead.Seal(nil, chunkNonce(k, i), padded[:n], nil)
		body, leaves = append(body, ct...), append(leaves, leaf(ct)...)
		if padded = padded[n:]; n < 16384 {
			break
		}
	}
	return &bridge.SealedBody{Length: uint64(len(s.plain)), CiphertextLen: uint64(len(body)), Leaves: leaves,
		Ciphertext: func() (io.Reader, error) { return bytes.NewReader(body), nil }}, nil
}

// refOpen opens an EncryptedBody with every check the hook's doc asks for.
func refOpen(t *testing.T, b *bridge.EncryptedBody) ([]byte, error) {
	c := newRefCipher(t, &b.Keys)
	ct, err := io.ReadAll(io.LimitReader(b.Body, int64(b.CiphertextLen)))
	if err != nil {
		return nil, err
	}
	if uint64(len(ct)) != b.CiphertextLen || !bytes.Equal(ct[:56], append(b.Keys.Salt[:], b.Keys.Commitment[:]...)) {
		return nil, sdk.CheckCommitment
	}
	var plain []byte
	ct = ct[56:]
	for i := uint64(0); i < b.ChunkCount; i++ {
		n := min(len(ct), 16400)
		if !bytes.Equal(leaf(ct[:n]), b.Leaves[32*i:32*i+32]) {
			return nil, sdk.CheckLeafMismatch
		}
		p, err := c.aead.Open(nil, chunkNonce(&b.Keys, i), ct[:n], nil)
		if err != nil {
			return nil, sdk.CheckChunkAuth
		}
		plain, ct = append(plain, p...), ct[n:]
	}
	if len(ct) != 0 || uint64(len(plain)) < b.Length || !bytes.Equal(plain[b.Length:], make([]byte, uint64(len(plain))-b.Length)) {
		return nil, sdk.CheckPadding
	}
	return plain[:b.Length], nil
}

func TestClient_PutSealed_OpensWithGet(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	for _, size := range []int{0, 100, 3*16384 + 5, 1 << 20} {
		plain := make([]byte, size)
		rand.Read(plain)
		s := &refSealer{t: t, plain: plain}
		info, err := sdk.PutSealed(w.patient, ctx, s, &sdk.PutOptions{Title: "scan", Type: "image/png"})
		if err != nil {
			t.Fatalf("PutSealed(%d bytes) = %v", size, err)
		}
		if s.reused.AEADKey != [32]byte{} {
			t.Errorf("PutSealed left the AEAD key in the keys it handed out")
		}
		var got bytes.Buffer
		gi, err := w.patient.Get(ctx, info.RecordID, &got)
		if err != nil {
			t.Fatalf("Get(sealed outside, %d bytes) = %v", size, err)
		}
		if !bytes.Equal(got.Bytes(), plain) || gi.Title != "scan" || gi.Length != uint64(size) {
			t.Errorf("Get() = %d bytes, %q, length %d; want the %d bytes sealed outside", got.Len(), gi.Title, gi.Length, size)
		}
	}
}

func TestClient_GetEncrypted_OpensOutside(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	plain := make([]byte, 2*16384+77)
	rand.Read(plain)
	info, err := w.patient.Put(ctx, bytes.NewReader(plain), &sdk.PutOptions{Title: "labs"})
	if err != nil {
		t.Fatal(err)
	}
	gi, b, err := sdk.GetEncrypted(w.patient, ctx, info.RecordID)
	if err != nil {
		t.Fatalf("GetEncrypted() = %v", err)
	}
	got, err := refOpen(t, b)
	if err := b.Close(); err != nil {
		t.Errorf("EncryptedBody.Close() = %v", err)
	}
	if err != nil || !bytes.Equal(got, plain) || gi.Title != "labs" || b.Length != uint64(len(plain)) {
		t.Fatalf("opening GetEncrypted's body = %d bytes, %v; want the %d bytes put", len(got), err, len(plain))
	}
	if b.Keys.AEADKey != [32]byte{} {
		t.Errorf("EncryptedBody.Close() left the AEAD key")
	}
	if _, _, err := sdk.GetEncrypted(w.clinician, ctx, info.RecordID); !errors.Is(err, sdk.ErrNotFound) {
		t.Errorf("GetEncrypted(not shared) = %v, want ErrNotFound", err)
	}
}
