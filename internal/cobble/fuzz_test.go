package cobble

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/blindvault/blindvault/internal/merkle"
)

// testHeader is a valid salt ‖ commitment for testKey and testCtx, so that
// fuzzed bodies get past the commitment check and reach chunk parsing.
func testHeader(t testing.TB) []byte {
	c, err := Commitment(testKey, testSalt[:], testCtx)
	if err != nil {
		t.Fatalf("Commitment error: %v", err)
	}
	return append(testSalt[:], c[:]...)
}

// FuzzOpen opens arbitrary ciphertexts, which must never panic and must
// either fail or be the one encryption of what they decrypt to. The same
// bytes are also opened with 1 and 2 workers, through the random-access API,
// and against a fuzzed expected summary with matching leaves; all must agree.
func FuzzOpen(f *testing.F) {
	header := testHeader(f)
	for _, n := range []int{0, 1, 100, ChunkSize - 1, ChunkSize, ChunkSize + 3} {
		s := seal(f, n, 1)
		body := s.ct[HeaderSize:]
		f.Add(body, false, s.sum.CiphertextLen, s.sum.ChunkCount)
		f.Add(s.ct, true, s.sum.CiphertextLen, s.sum.ChunkCount)
		f.Add(body[:len(body)-1], false, s.sum.CiphertextLen, s.sum.ChunkCount)
		f.Add(append(bytes.Clone(body), 7), false, s.sum.CiphertextLen+1, s.sum.ChunkCount)
		f.Add(flip(body, len(body)/2), false, s.sum.CiphertextLen, s.sum.ChunkCount)
	}
	f.Add([]byte{}, true, uint64(0), uint64(0))
	f.Add(header[:30], true, uint64(HeaderSize+TagSize), uint64(1))
	f.Add(make([]byte, TagSize-1), false, uint64(1<<63), uint64(1<<38))
	f.Add(make([]byte, EncryptedChunkSize), false, uint64(HeaderSize+EncryptedChunkSize+TagSize), uint64(2))

	f.Fuzz(func(t *testing.T, data []byte, full bool, expectLen, expectCount uint64) {
		ct := data
		if !full {
			ct = append(bytes.Clone(header), data...)
		}

		var out1, out2 bytes.Buffer
		n1, err1 := Open(context.Background(), &out1, bytes.NewReader(ct), testKey, testCtx, &OpenOptions{Workers: 1})
		n2, err2 := Open(context.Background(), &out2, bytes.NewReader(ct), testKey, testCtx, &OpenOptions{Workers: 2})
		if n1 != int64(out1.Len()) || n2 != int64(out2.Len()) {
			t.Fatalf("Open() = %d, %d, wrote %d, %d bytes", n1, n2, out1.Len(), out2.Len())
		}
		if !bytes.Equal(out1.Bytes(), out2.Bytes()) || (err1 == nil) != (err2 == nil) ||
			err1 != nil && err1.Error() != err2.Error() {
			t.Fatalf("Open() with 1 and 2 workers disagree: %d bytes, %v vs %d bytes, %v", out1.Len(), err1, out2.Len(), err2)
		}
		if err1 != nil && !isOurError(err1) {
			t.Fatalf("Open() error = %v, want a cobble sentinel", err1)
		}
		msg, errRA := openRandomAccess(testKey, testCtx, ct)
		if (err1 == nil) != (errRA == nil) {
			t.Fatalf("Open() error = %v but random access error = %v", err1, errRA)
		}

		if err1 == nil {
			if !bytes.Equal(msg, out1.Bytes()) {
				t.Fatalf("random access open differs from Open")
			}
			// Only one ciphertext opens to a plaintext for a given salt.
			salt := [SaltSize]byte(ct[:SaltSize])
			var again bytes.Buffer
			sum, err := Seal(context.Background(), &again, nil, bytes.NewReader(out1.Bytes()), testKey, testCtx, &SealOptions{Salt: &salt, Workers: 1})
			if err != nil {
				t.Fatalf("Seal(opened plaintext) error: %v", err)
			}
			if !bytes.Equal(again.Bytes(), ct) {
				t.Fatalf("Seal(Open(ct)) differs from ct (%d vs %d bytes)", again.Len(), len(ct))
			}
			if sum.CiphertextLen != uint64(len(ct)) {
				t.Fatalf("Summary.CiphertextLen = %d, want %d", sum.CiphertextLen, len(ct))
			}
		} else if full && len(ct) >= HeaderSize && !bytes.Equal(ct[:HeaderSize], header) && !errors.Is(err1, ErrCommitment) {
			t.Fatalf("Open(foreign header) error = %v, want ErrCommitment", err1)
		}

		if len(ct) < HeaderSize {
			return
		}
		// Leaves for whatever chunks the body splits into, and a summary
		// with fuzzed length and count.
		var leaves []byte
		var leafHashes [][32]byte
		for off := HeaderSize; off < len(ct); off += EncryptedChunkSize {
			l := merkle.LeafHash(ct[off:min(off+EncryptedChunkSize, len(ct))])
			leaves = append(leaves, l[:]...)
			leafHashes = append(leafHashes, l)
		}
		e := &Summary{
			Salt:          [SaltSize]byte(ct[:SaltSize]),
			Commitment:    [CommitmentSize]byte(ct[SaltSize:HeaderSize]),
			CiphertextLen: expectLen,
			ChunkCount:    expectCount,
			Root:          merkle.Root(leafHashes),
		}
		var out3 bytes.Buffer
		_, err3 := Open(context.Background(), &out3, bytes.NewReader(ct), testKey, testCtx, &OpenOptions{Workers: 2, Expect: e, Leaves: bytes.NewReader(leaves)})
		if err3 == nil {
			if err1 != nil || expectLen != uint64(len(ct)) || !bytes.Equal(out3.Bytes(), out1.Bytes()) {
				t.Fatalf("Open(Expect len %d count %d) succeeded on a %d-byte ciphertext that plain Open rejects with %v",
					expectLen, expectCount, len(ct), err1)
			}
		} else if !isOurError(err3) {
			t.Fatalf("Open(Expect) error = %v, want a cobble sentinel", err3)
		}
		if !bytes.HasPrefix(out1.Bytes(), out3.Bytes()) && !bytes.HasPrefix(out3.Bytes(), out1.Bytes()) {
			t.Fatalf("Open with and without Expect released different plaintext")
		}
		if err1 == nil && expectLen == uint64(len(ct)) && int64(expectCount) == int64(len(leafHashes)) && err3 != nil {
			t.Fatalf("Open(Expect matching) error = %v, want nil", err3)
		}
	})
}
