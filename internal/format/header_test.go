package format

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/bits"
	"testing"
)

func TestHeader_Body_Layout(t *testing.T) {
	h, _ := newHeader(t)
	var want []byte
	want = append(want, 1, 7, 0, 1)
	want = append(want, h.RecordID[:]...)
	want = append(want, h.Owner[:]...)
	want = binary.BigEndian.AppendUint64(want, h.Version)
	want = append(want, h.PrevHeaderHash[:]...)
	want = append(want, h.ACLHash[:]...)
	want = binary.BigEndian.AppendUint32(want, h.Epoch)
	want = append(want, h.Author[:]...)
	want = append(want, h.SignerPK[:]...)
	want = binary.BigEndian.AppendUint64(want, h.Created)
	want = append(want, h.Salt[:]...)
	want = append(want, h.Commitment[:]...)
	want = binary.BigEndian.AppendUint64(want, h.CiphertextLen)
	want = binary.BigEndian.AppendUint64(want, h.ChunkCount)
	want = append(want, h.Root[:]...)
	want = append(want, byte(len(h.WrappedDEK)))
	want = append(want, h.WrappedDEK...)
	want = binary.BigEndian.AppendUint16(want, uint16(len(h.SealedMeta)))
	want = append(want, h.SealedMeta...)
	if got := h.Body(); !bytes.Equal(got, want) {
		t.Errorf("Header.Body() = %x, want %x", got, want)
	}
}

func TestParseHeader_Constraints(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(h *Header)
		want   error
	}{
		{"version2", func(h *Header) { h.Version, h.PrevHeaderHash = 2, testID("prev") }, nil},
		{"meta2076", func(h *Header) { h.SealedMeta = make([]byte, 2076) }, nil},
		{"meta8220", func(h *Header) { h.SealedMeta = make([]byte, 8220) }, nil},
		{"twoChunks", func(h *Header) { h.CiphertextLen, h.ChunkCount = 56+16384+32, 2 }, nil},
		{"version0", func(h *Header) { h.Version = 0 }, ErrMalformed},
		{"version1PrevHash", func(h *Header) { h.PrevHeaderHash = testID("prev") }, ErrMalformed},
		{"version2ZeroPrev", func(h *Header) { h.Version = 2 }, ErrMalformed},
		{"epoch0", func(h *Header) { h.Epoch = 0 }, ErrMalformed},
		{"dek59", func(h *Header) { h.WrappedDEK = h.WrappedDEK[:59] }, ErrMalformed},
		{"dek61", func(h *Header) { h.WrappedDEK = append(h.WrappedDEK, 0) }, ErrMalformed},
		{"dekEmpty", func(h *Header) { h.WrappedDEK = nil }, ErrMalformed},
		{"metaEmpty", func(h *Header) { h.SealedMeta = nil }, ErrMalformed},
		{"meta539", func(h *Header) { h.SealedMeta = make([]byte, 539) }, ErrMalformed},
		{"meta541", func(h *Header) { h.SealedMeta = make([]byte, 541) }, ErrMalformed},
		{"meta8221", func(h *Header) { h.SealedMeta = make([]byte, 8221) }, ErrMalformed},
		{"chunks0", func(h *Header) { h.ChunkCount = 0 }, ErrMalformed},
		{"ctLenPlus1", func(h *Header) { h.CiphertextLen++ }, ErrMalformed},
		{"ctLenMinus16", func(h *Header) { h.CiphertextLen -= 16 }, ErrMalformed},
		{"ctLen0", func(h *Header) { h.CiphertextLen = 0 }, ErrMalformed},
		{"ctLenMax", func(h *Header) { h.CiphertextLen = math.MaxUint64 }, ErrMalformed},
		{"chunksMax", func(h *Header) { h.ChunkCount = math.MaxUint64 }, ErrMalformed},
		{"chunksTooMany", func(h *Header) { h.ChunkCount = 2 }, ErrMalformed},
		// 16384 bytes of padded plaintext fill a chunk, so there must be an empty
		// last chunk.
		{"fullLastChunk", func(h *Header) { h.CiphertextLen, h.ChunkCount = 56+16384+16, 1 }, ErrMalformed},
	}
	for _, tc := range cases {
		h, priv := newHeader(t)
		tc.mutate(h)
		h.Signature = forceSign(priv, KindHeader, h.Body())
		_, err := ParseHeader(h.Marshal())
		if tc.want == nil && err != nil || !errors.Is(err, tc.want) {
			t.Errorf("ParseHeader(%s) = %v, want %v", tc.name, err, tc.want)
		}
		if err := h.Sign(priv); (err == nil) != (tc.want == nil) {
			t.Errorf("Header{%s}.Sign() = %v", tc.name, err)
		}
	}
}

// padmeRef is Padmé as written in §4, kept apart from the implementation.
func padmeRef(l uint64) uint64 {
	if l < 2 {
		return l
	}
	e := uint64(bits.Len64(l) - 1)
	s := uint64(bits.Len64(e))
	mask := uint64(1)<<(e-s) - 1
	return (l + mask) &^ mask
}

func sizesFor(l uint64) (ciphertextLen, chunks uint64) {
	p := max(padmeRef(l), 4096)
	chunks = p/16384 + 1
	return 56 + p + 16*chunks, chunks
}

func TestBodySizesValid_Padme(t *testing.T) {
	lengths := []uint64{0, 1, 2, 100, 4095, 4096, 4097, 5000, 16383, 16384, 16385, 65536, 1 << 20, 1<<20 + 1,
		123456789, 1 << 40, 1<<40 + 12345, 1 << 56}
	for i := uint64(1); i < 300000; i = i*5/4 + 7 {
		lengths = append(lengths, i)
	}
	for _, l := range lengths {
		n, c := sizesFor(l)
		if !BodySizesValid(n, c) {
			t.Errorf("BodySizesValid(%d, %d) for L = %d is false, want true", n, c, l)
		}
		for _, d := range []struct{ n, c int64 }{{1, 0}, {-1, 0}, {16, 1}, {-16, -1}, {0, 1}, {0, -1}} {
			nn, cc := n+uint64(d.n), c+uint64(d.c)
			p := nn - 56 - 16*cc
			if p == max(padmeRef(p), 4096) && p/16384+1 == cc {
				continue // another valid size
			}
			if BodySizesValid(nn, cc) {
				t.Errorf("BodySizesValid(%d, %d) is true, want false (near L = %d)", nn, cc, l)
			}
		}
	}
}

// Every value the check accepts is a padded size of some length.
func TestBodySizesValid_Exhaustive(t *testing.T) {
	for n := uint64(0); n < 300000; n++ {
		for c := uint64(1); c <= 20; c++ {
			if !BodySizesValid(n, c) {
				continue
			}
			p := n - 56 - 16*c
			if padmeRef(p) != p || p < 4096 || p/16384+1 != c {
				t.Fatalf("BodySizesValid(%d, %d) = true for P = %d, want false", n, c, p)
			}
		}
	}
}

func TestBodyContext_Layout(t *testing.T) {
	rec, owner := testID("record"), testID("owner")
	got := BodyContext(rec, 0x0102030405060708, owner)
	want := append([]byte("blindvault.v1 body"), rec[:]...)
	want = append(want, 1, 2, 3, 4, 5, 6, 7, 8)
	want = append(want, owner[:]...)
	// §3 says 82 bytes, but its own formula is 18 + 32 + 8 + 32 = 90: 82 leaves out
	// the version, which must stay bound to the body.
	if !bytes.Equal(got, want) || len(got) != 90 || BodyContextSize != 90 {
		t.Errorf("BodyContext() = %x (%d bytes), want %x (90 bytes)", got, len(got), want)
	}
}

func TestHeader_Verify_NotSigner(t *testing.T) {
	h, _ := newHeader(t)
	device := testEd25519("laptop")
	if err := h.Verify(testPub(device)); !errors.Is(err, ErrBadSignature) {
		t.Errorf("Header.Verify(key other than signer_pk) = %v, want ErrBadSignature", err)
	}
	if err := h.Sign(device); err == nil {
		t.Errorf("Header.Sign(key other than signer_pk) = nil, want error")
	}
}

func TestHeader_VerifySuccessor(t *testing.T) {
	prev, priv := newHeader(t)
	mk := func(mutate func(h *Header)) *Header {
		h, _ := newHeader(t)
		h.Version, h.PrevHeaderHash = 2, prev.Hash()
		mutate(h)
		h.Signature = forceSign(priv, KindHeader, h.Body())
		return h
	}
	cases := []struct {
		name   string
		mutate func(h *Header)
		want   error
	}{
		{"valid", func(h *Header) {}, nil},
		{"versionSkip", func(h *Header) { h.Version = 3 }, ErrBadChain},
		{"wrongPrev", func(h *Header) { h.PrevHeaderHash = testID("other") }, ErrBadChain},
		{"otherRecord", func(h *Header) { h.RecordID = testID("other") }, ErrBadChain},
		{"otherOwner", func(h *Header) { h.Owner = testID("other") }, ErrBadChain},
	}
	for _, tc := range cases {
		if err := mk(tc.mutate).VerifySuccessor(prev); tc.want == nil && err != nil || !errors.Is(err, tc.want) {
			t.Errorf("Header.VerifySuccessor(%s) = %v, want %v", tc.name, err, tc.want)
		}
	}
	if err := prev.VerifySuccessor(nil); !errors.Is(err, ErrBadChain) {
		t.Errorf("Header.VerifySuccessor(nil) = %v, want ErrBadChain", err)
	}
}
