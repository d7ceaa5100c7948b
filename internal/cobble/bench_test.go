package cobble

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"io"
	"testing"

	"github.com/blindvault/blindvault/internal/merkle"
)

var benchSizes = []struct {
	name string
	size int
}{
	{"64B", 64},
	{"4KiB", 4 << 10},
	{"1MiB", 1 << 20},
	{"256MiB", 256 << 20},
}

var benchKey = bytes.Repeat([]byte{0x42}, KeySize)

func benchPlaintext(size int) []byte {
	pt := make([]byte, size)
	for i := range pt {
		pt[i] = byte(i * 7)
	}
	return pt
}

// BenchmarkSeal seals from memory to io.Discard with the leaf list to
// io.Discard, on all cores: the figure to compare with age encrypt.
func BenchmarkSeal(b *testing.B) {
	for _, bs := range benchSizes {
		b.Run(bs.name, func(b *testing.B) {
			pt := benchPlaintext(bs.size)
			ctx := context.Background()
			b.SetBytes(int64(bs.size))
			b.ResetTimer()
			for b.Loop() {
				if _, err := Seal(ctx, io.Discard, io.Discard, bytes.NewReader(pt), benchKey, []byte("bench"), nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkOpen opens with the expected summary and a prepared leaf list, so
// every chunk is hashed and checked as a Blindvault reader does.
func BenchmarkOpen(b *testing.B) {
	for _, bs := range benchSizes {
		b.Run(bs.name, func(b *testing.B) {
			var ct, leaves bytes.Buffer
			ct.Grow(int(CiphertextSize(int64(bs.size))))
			sum, err := Seal(context.Background(), &ct, &leaves, bytes.NewReader(benchPlaintext(bs.size)), benchKey, []byte("bench"), nil)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.SetBytes(int64(bs.size))
			b.ResetTimer()
			for b.Loop() {
				opts := &OpenOptions{Expect: sum, Leaves: bytes.NewReader(leaves.Bytes())}
				if _, err := Open(ctx, io.Discard, bytes.NewReader(ct.Bytes()), benchKey, []byte("bench"), opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRawAESGCM16K is the single-core AES-256-GCM limit on one 16 KiB
// chunk, sealed in place.
func BenchmarkRawAESGCM16K(b *testing.B) {
	block, err := aes.NewCipher(benchKey)
	if err != nil {
		b.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, ChunkSize, EncryptedChunkSize)
	nonce := make([]byte, NonceSize)
	b.SetBytes(ChunkSize)
	for b.Loop() {
		aead.Seal(buf[:0], nonce, buf[:ChunkSize], nil)
	}
}

// BenchmarkSHA256_16K is the single-core leaf hash limit: one 16 KiB chunk
// (plus tag) per op, counted as 16 KiB so it compares with the figures above.
func BenchmarkSHA256_16K(b *testing.B) {
	buf := make([]byte, EncryptedChunkSize)
	var lh merkle.LeafHasher
	b.SetBytes(ChunkSize)
	for b.Loop() {
		lh.Sum(buf)
	}
}
