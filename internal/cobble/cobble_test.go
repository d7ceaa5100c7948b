package cobble

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"testing/iotest"

	"github.com/blindvault/blindvault/internal/merkle"
)

var (
	testKey  = bytes.Repeat([]byte{0x11}, KeySize)
	testCtx  = []byte("blindvault.v1 body test")
	testSalt = [SaltSize]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24}
)

func testPlaintext(n int) []byte {
	pt := make([]byte, n)
	for i := range pt {
		pt[i] = byte(i*31 + i>>8)
	}
	return pt
}

// sealed is a ciphertext with everything Seal returned.
type sealed struct {
	pt, ct, leaves []byte
	sum            *Summary
}

func seal(t testing.TB, n int, workers int) *sealed {
	t.Helper()
	pt := testPlaintext(n)
	var ct, leaves bytes.Buffer
	sum, err := Seal(context.Background(), &ct, &leaves, bytes.NewReader(pt), testKey, testCtx,
		&SealOptions{Salt: &testSalt, Workers: workers})
	if err != nil {
		t.Fatalf("Seal(%d bytes) error: %v", n, err)
	}
	return &sealed{pt: pt, ct: ct.Bytes(), leaves: leaves.Bytes(), sum: sum}
}

// roundTripSizes cover the chunk and batch boundaries.
var roundTripSizes = []int{
	0, 1, 64, ChunkSize - 1, ChunkSize, ChunkSize + 1, 2*ChunkSize + 5, 3 * ChunkSize,
	batchChunks*ChunkSize - 1, batchChunks * ChunkSize, batchChunks*ChunkSize + 1,
	3*batchChunks*ChunkSize + 1234,
}

func TestSeal_Open_RoundTrip(t *testing.T) {
	for _, n := range roundTripSizes {
		for _, workers := range []int{1, 4} {
			t.Run(fmt.Sprintf("%d/workers=%d", n, workers), func(t *testing.T) {
				s := seal(t, n, workers)
				if got, want := int64(len(s.ct)), CiphertextSize(int64(n)); got != want {
					t.Fatalf("len(Seal(%d bytes)) = %d, want CiphertextSize = %d", n, got, want)
				}
				if got, want := s.sum.ChunkCount, uint64(ChunkCount(int64(n))); got != want {
					t.Fatalf("Summary.ChunkCount = %d, want ChunkCount(%d) = %d", got, n, want)
				}
				checkSummary(t, s.sum, s.ct, s.leaves)
				if pl, chunks, err := PlaintextSize(int64(len(s.ct))); err != nil || pl != int64(n) || chunks != int64(s.sum.ChunkCount) {
					t.Fatalf("PlaintextSize(%d) = %d, %d, %v, want %d, %d, nil", len(s.ct), pl, chunks, err, n, s.sum.ChunkCount)
				}

				for _, opts := range []*OpenOptions{
					nil,
					{Workers: workers},
					{Workers: workers, Expect: s.sum},
					{Workers: workers, Expect: s.sum, Leaves: bytes.NewReader(s.leaves)},
					{Workers: workers, Leaves: bytes.NewReader(s.leaves)},
				} {
					var out bytes.Buffer
					got, err := Open(context.Background(), &out, bytes.NewReader(s.ct), testKey, testCtx, opts)
					if err != nil {
						t.Fatalf("Open(opts %+v) error: %v", opts, err)
					}
					if got != int64(n) || !bytes.Equal(out.Bytes(), s.pt) {
						t.Fatalf("Open(opts %+v) = %d bytes, want the %d-byte plaintext", opts, got, n)
					}
				}

				msg, err := openRandomAccess(testKey, testCtx, s.ct)
				if err != nil || !bytes.Equal(msg, s.pt) {
					t.Fatalf("random access open = %d bytes, %v, want the %d-byte plaintext", len(msg), err, n)
				}
			})
		}
	}
}

// TestSeal_Open_OddReaders feeds both directions through readers that return
// one byte or half the buffer at a time.
func TestSeal_Open_OddReaders(t *testing.T) {
	pt := testPlaintext(2*ChunkSize + 77)
	for name, wrap := range map[string]func(io.Reader) io.Reader{
		"OneByte": iotest.OneByteReader,
		"Half":    iotest.HalfReader,
		"DataErr": iotest.DataErrReader,
	} {
		t.Run(name, func(t *testing.T) {
			var ct, leaves bytes.Buffer
			sum, err := Seal(context.Background(), &ct, &leaves, wrap(bytes.NewReader(pt)), testKey, testCtx, &SealOptions{Salt: &testSalt})
			if err != nil {
				t.Fatalf("Seal error: %v", err)
			}
			want := seal(t, len(pt), 1)
			if !bytes.Equal(ct.Bytes(), want.ct) {
				t.Fatalf("Seal through %s reader differs from Seal through bytes.Reader", name)
			}
			var out bytes.Buffer
			opts := &OpenOptions{Expect: sum, Leaves: wrap(bytes.NewReader(leaves.Bytes()))}
			if _, err := Open(context.Background(), &out, wrap(bytes.NewReader(ct.Bytes())), testKey, testCtx, opts); err != nil {
				t.Fatalf("Open error: %v", err)
			}
			if !bytes.Equal(out.Bytes(), pt) {
				t.Fatalf("Open through %s reader = %d bytes, want the plaintext", name, out.Len())
			}
		})
	}
}

func TestSeal_RandomSalt(t *testing.T) {
	var a, b bytes.Buffer
	sa, err := Seal(context.Background(), &a, nil, bytes.NewReader(nil), testKey, testCtx, nil)
	if err != nil {
		t.Fatalf("Seal error: %v", err)
	}
	sb, err := Seal(context.Background(), &b, nil, bytes.NewReader(nil), testKey, testCtx, nil)
	if err != nil {
		t.Fatalf("Seal error: %v", err)
	}
	if sa.Salt == sb.Salt || bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatalf("two Seal calls with a nil salt gave salt %x twice", sa.Salt)
	}
	checkSummary(t, sa, a.Bytes(), nil)
}

func TestSeal_InvalidKeySize(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33} {
		_, err := Seal(context.Background(), io.Discard, nil, bytes.NewReader(nil), make([]byte, n), nil, nil)
		if !errors.Is(err, ErrInvalidKeySize) {
			t.Fatalf("Seal(key of %d bytes) error = %v, want ErrInvalidKeySize", n, err)
		}
	}
}

func TestOpen_InvalidKeySize(t *testing.T) {
	s := seal(t, 10, 1)
	for _, n := range []int{0, 16, 31, 33} {
		_, err := Open(context.Background(), io.Discard, bytes.NewReader(s.ct), make([]byte, n), testCtx, nil)
		if !errors.Is(err, ErrInvalidKeySize) {
			t.Fatalf("Open(key of %d bytes) error = %v, want ErrInvalidKeySize", n, err)
		}
	}
}

func TestDerive_InvalidSizes(t *testing.T) {
	if _, err := Derive(testKey[:31], testSalt[:], nil); !errors.Is(err, ErrInvalidKeySize) {
		t.Errorf("Derive(31-byte key) error = %v, want ErrInvalidKeySize", err)
	}
	if _, err := Derive(testKey, testSalt[:23], nil); err == nil {
		t.Errorf("Derive(23-byte salt) = nil error, want an error")
	}
	if _, err := Commitment(testKey, testSalt[:], nil); err != nil {
		t.Errorf("Commitment() error: %v", err)
	}
}

func TestCheckCommitment_KeyAndContext(t *testing.T) {
	s := seal(t, 10, 1)
	if err := CheckCommitment(testKey, s.sum.Salt[:], testCtx, s.sum.Commitment); err != nil {
		t.Fatalf("CheckCommitment(right key) = %v, want nil", err)
	}
	other := bytes.Repeat([]byte{0x22}, KeySize)
	if err := CheckCommitment(other, s.sum.Salt[:], testCtx, s.sum.Commitment); !errors.Is(err, ErrCommitment) {
		t.Fatalf("CheckCommitment(other key) = %v, want ErrCommitment", err)
	}
	if err := CheckCommitment(testKey, s.sum.Salt[:], []byte("other"), s.sum.Commitment); !errors.Is(err, ErrCommitment) {
		t.Fatalf("CheckCommitment(other context) = %v, want ErrCommitment", err)
	}
	if err := CheckCommitment(testKey[:5], s.sum.Salt[:], testCtx, s.sum.Commitment); !errors.Is(err, ErrInvalidKeySize) {
		t.Fatalf("CheckCommitment(short key) = %v, want ErrInvalidKeySize", err)
	}
}

func TestCiphertextSize_Boundaries(t *testing.T) {
	for _, tc := range []struct{ pt, chunks, ct int64 }{
		{0, 1, 72},
		{1, 1, 73},
		{ChunkSize - 1, 1, HeaderSize + ChunkSize - 1 + TagSize},
		{ChunkSize, 2, HeaderSize + ChunkSize + 2*TagSize},
		{MaxPlaintextSize, MaxChunks, HeaderSize + MaxPlaintextSize + MaxChunks*TagSize},
		{MaxPlaintextSize + 1, -1, -1},
		{-1, -1, -1},
	} {
		if got := ChunkCount(tc.pt); got != tc.chunks {
			t.Errorf("ChunkCount(%d) = %d, want %d", tc.pt, got, tc.chunks)
		}
		if got := CiphertextSize(tc.pt); got != tc.ct {
			t.Errorf("CiphertextSize(%d) = %d, want %d", tc.pt, got, tc.ct)
		}
		if tc.ct < 0 {
			continue
		}
		pl, chunks, err := PlaintextSize(tc.ct)
		if err != nil || pl != tc.pt || chunks != tc.chunks {
			t.Errorf("PlaintextSize(%d) = %d, %d, %v, want %d, %d, nil", tc.ct, pl, chunks, err, tc.pt, tc.chunks)
		}
	}
}

func TestPlaintextSize_Invalid(t *testing.T) {
	for _, tc := range []struct {
		ct   int64
		want error
	}{
		{-1, ErrTruncated},
		{0, ErrTruncated},
		{HeaderSize, ErrTruncated},
		{HeaderSize + TagSize - 1, ErrTruncated},
		{HeaderSize + EncryptedChunkSize, ErrTruncated},
		{HeaderSize + EncryptedChunkSize + TagSize - 1, ErrTruncated},
		{HeaderSize + MaxChunks*EncryptedChunkSize + TagSize, ErrTooManyChunks},
	} {
		if _, _, err := PlaintextSize(tc.ct); !errors.Is(err, tc.want) {
			t.Errorf("PlaintextSize(%d) error = %v, want %v", tc.ct, err, tc.want)
		}
	}
}

func TestKeys_SealChunk_OpenChunk(t *testing.T) {
	keys, err := Derive(testKey, testSalt[:], testCtx)
	if err != nil {
		t.Fatalf("Derive error: %v", err)
	}
	s := seal(t, 2*ChunkSize+9, 1)
	for i := uint64(0); i < s.sum.ChunkCount; i++ {
		lo := i * ChunkSize
		pt := s.pt[lo:min(lo+ChunkSize, uint64(len(s.pt)))]
		ct, err := keys.SealChunk(nil, i, pt)
		if err != nil {
			t.Fatalf("SealChunk(%d) error: %v", i, err)
		}
		off := ChunkOffset(i)
		if want := s.ct[off:min(off+EncryptedChunkSize, int64(len(s.ct)))]; !bytes.Equal(ct, want) {
			t.Fatalf("SealChunk(%d) differs from chunk %d of Seal", i, i)
		}
		got, err := keys.OpenChunk([]byte("prefix"), i, ct)
		if err != nil || !bytes.Equal(got, append([]byte("prefix"), pt...)) {
			t.Fatalf("OpenChunk(%d) = %d bytes, %v, want prefix ‖ chunk", i, len(got), err)
		}
		// The same ciphertext at another index must not open.
		if _, err := keys.OpenChunk(nil, i+1, ct); !errors.Is(err, ErrChunkAuth) {
			t.Fatalf("OpenChunk(%d, chunk %d) error = %v, want ErrChunkAuth", i+1, i, err)
		}
	}
	if _, err := keys.SealChunk(nil, 0, make([]byte, ChunkSize+1)); err == nil {
		t.Fatalf("SealChunk(ChunkSize+1 bytes) = nil error, want an error")
	}
	for _, n := range []int{0, 1, TagSize - 1} {
		if _, err := keys.OpenChunk(nil, 0, make([]byte, n)); !errors.Is(err, ErrTruncated) {
			t.Fatalf("OpenChunk(%d bytes) error = %v, want ErrTruncated", n, err)
		}
	}
	if _, err := keys.OpenChunk(nil, 0, make([]byte, EncryptedChunkSize+1)); !errors.Is(err, ErrTrailingData) {
		t.Fatalf("OpenChunk(EncryptedChunkSize+1 bytes) error = %v, want ErrTrailingData", err)
	}
}

func TestKeys_SealChunk_TooManyChunks(t *testing.T) {
	keys, err := Derive(testKey, testSalt[:], testCtx)
	if err != nil {
		t.Fatalf("Derive error: %v", err)
	}
	ct, err := keys.SealChunk(nil, MaxChunks-1, []byte("last possible chunk"))
	if err != nil {
		t.Fatalf("SealChunk(MaxChunks-1) error: %v", err)
	}
	if _, err := keys.OpenChunk(nil, MaxChunks-1, ct); err != nil {
		t.Fatalf("OpenChunk(MaxChunks-1) error: %v", err)
	}
	if _, err := keys.SealChunk(nil, MaxChunks, nil); !errors.Is(err, ErrTooManyChunks) {
		t.Fatalf("SealChunk(MaxChunks) error = %v, want ErrTooManyChunks", err)
	}
	if _, err := keys.OpenChunk(nil, MaxChunks, ct); !errors.Is(err, ErrTooManyChunks) {
		t.Fatalf("OpenChunk(MaxChunks) error = %v, want ErrTooManyChunks", err)
	}
}

// TestKeys_Nonce checks the counter is XORed as a 12-byte big-endian integer,
// across a byte boundary and up to the 38-bit limit.
func TestKeys_Nonce(t *testing.T) {
	k := &Keys{BaseNonce: [NonceSize]byte{0xf0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0xff}}
	for _, tc := range []struct {
		i    uint64
		want [NonceSize]byte
	}{
		{0, k.BaseNonce},
		{1, [NonceSize]byte{0xf0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0xfe}},
		{0x100, [NonceSize]byte{0xf0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 0xff}},
		{MaxChunks - 1, [NonceSize]byte{0xf0, 1, 2, 3, 4, 5, 6, 0x3f ^ 7, 0xff ^ 8, 0xff ^ 9, 0xff ^ 10, 0}},
	} {
		if got := k.nonce(tc.i); got != tc.want {
			t.Errorf("nonce(%d) = %x, want %x", tc.i, got, tc.want)
		}
	}
}

// TestSeal_TooManyChunks starts the chunk counter just below the limit, as
// a 4 PiB input would reach it.
func TestSeal_TooManyChunks(t *testing.T) {
	keys, err := Derive(testKey, testSalt[:], testCtx)
	if err != nil {
		t.Fatalf("Derive error: %v", err)
	}
	for _, workers := range []int{1, 2} {
		s := &sealer{keys: keys, dst: io.Discard, src: bytes.NewReader(testPlaintext(3 * ChunkSize)), next: MaxChunks - 2}
		if err := run(context.Background(), s, workers); !errors.Is(err, ErrTooManyChunks) {
			t.Fatalf("sealing 4 chunks from index MaxChunks-2 (workers=%d) error = %v, want ErrTooManyChunks", workers, err)
		}
		s = &sealer{keys: keys, dst: io.Discard, src: bytes.NewReader(testPlaintext(ChunkSize + 1)), next: MaxChunks - 2}
		if err := run(context.Background(), s, workers); err != nil {
			t.Fatalf("sealing 2 chunks from index MaxChunks-2 (workers=%d) error: %v", workers, err)
		}
	}
}

// TestOpen_TooManyChunks opens chunks sealed at the top of the index range.
func TestOpen_TooManyChunks(t *testing.T) {
	keys, err := Derive(testKey, testSalt[:], testCtx)
	if err != nil {
		t.Fatalf("Derive error: %v", err)
	}
	// Two full chunks at the last two indices, then bytes where chunk
	// MaxChunks would be.
	var body []byte
	for i := uint64(MaxChunks - 2); i < MaxChunks; i++ {
		body, _ = keys.SealChunk(body, i, make([]byte, ChunkSize))
	}
	body = append(body, make([]byte, 20)...)
	// A valid message ending at index MaxChunks-1.
	ok, _ := keys.SealChunk(nil, MaxChunks-2, make([]byte, ChunkSize))
	ok, _ = keys.SealChunk(ok, MaxChunks-1, []byte("short"))
	for _, workers := range []int{1, 2} {
		var out bytes.Buffer
		o := &opener{keys: keys, dst: &out, src: bytes.NewReader(body), remaining: -1, next: MaxChunks - 2}
		if err := run(context.Background(), o, workers); !errors.Is(err, ErrTooManyChunks) {
			t.Fatalf("opening past chunk MaxChunks-1 (workers=%d) error = %v, want ErrTooManyChunks", workers, err)
		}
		if out.Len() != 2*ChunkSize {
			t.Fatalf("opening past chunk MaxChunks-1 wrote %d bytes, want the %d of the valid chunks", out.Len(), 2*ChunkSize)
		}
		out.Reset()
		o = &opener{keys: keys, dst: &out, src: bytes.NewReader(ok), remaining: -1, next: MaxChunks - 2}
		if err := run(context.Background(), o, workers); err != nil {
			t.Fatalf("opening up to chunk MaxChunks-1 (workers=%d) error: %v", workers, err)
		}
	}
}

func TestSeal_Canceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Seal(ctx, io.Discard, nil, bytes.NewReader(testPlaintext(100)), testKey, testCtx, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Seal(canceled) error = %v, want context.Canceled", err)
	}
}

// cancelingReader cancels its context after the first read, mid-message.
type cancelingReader struct {
	r      io.Reader
	cancel func()
}

func (c *cancelingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.cancel()
	return n, err
}

func TestOpen_CanceledMidway(t *testing.T) {
	s := seal(t, 3*batchChunks*ChunkSize, 2)
	for _, workers := range []int{1, 2} {
		ctx, cancel := context.WithCancel(context.Background())
		var out bytes.Buffer
		_, err := Open(ctx, &out, &cancelingReader{r: bytes.NewReader(s.ct), cancel: cancel}, testKey, testCtx, &OpenOptions{Workers: workers})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Open(canceled midway, workers=%d) error = %v, want context.Canceled", workers, err)
		}
		if !bytes.HasPrefix(s.pt, out.Bytes()) || out.Len() == len(s.pt) {
			t.Fatalf("Open(canceled midway, workers=%d) wrote %d bytes, want a strict prefix", workers, out.Len())
		}
	}
}

// failingWriter fails after accepting limit bytes.
type failingWriter struct {
	limit, n int
}

var errWrite = errors.New("write failed")

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.n+len(p) > w.limit {
		return 0, errWrite
	}
	w.n += len(p)
	return len(p), nil
}

func TestSeal_WriteError(t *testing.T) {
	pt := testPlaintext(5 * batchChunks * ChunkSize)
	for _, workers := range []int{1, 2, 4} {
		for _, limit := range []int{0, 100, 2 * batchChunks * EncryptedChunkSize} {
			_, err := Seal(context.Background(), &failingWriter{limit: limit}, nil, bytes.NewReader(pt), testKey, testCtx, &SealOptions{Workers: workers})
			if !errors.Is(err, errWrite) {
				t.Fatalf("Seal(dst failing after %d bytes, workers=%d) error = %v, want %v", limit, workers, err, errWrite)
			}
		}
		_, err := Seal(context.Background(), io.Discard, &failingWriter{limit: 3 * LeafSize}, bytes.NewReader(pt), testKey, testCtx, &SealOptions{Workers: workers})
		if !errors.Is(err, errWrite) {
			t.Fatalf("Seal(leaves failing, workers=%d) error = %v, want %v", workers, err, errWrite)
		}
	}
}

func TestOpen_WriteError(t *testing.T) {
	s := seal(t, 5*batchChunks*ChunkSize, 2)
	for _, workers := range []int{1, 2, 4} {
		w := &failingWriter{limit: 2 * batchChunks * ChunkSize}
		n, err := Open(context.Background(), w, bytes.NewReader(s.ct), testKey, testCtx, &OpenOptions{Workers: workers})
		if !errors.Is(err, errWrite) || n != int64(w.n) {
			t.Fatalf("Open(dst failing, workers=%d) = %d, %v, want %d, %v", workers, n, err, w.n, errWrite)
		}
	}
}

var errRead = errors.New("read failed")

func TestSeal_ReadError(t *testing.T) {
	for _, workers := range []int{1, 2} {
		src := io.MultiReader(bytes.NewReader(testPlaintext(3*batchChunks*ChunkSize+5)), iotest.ErrReader(errRead))
		if _, err := Seal(context.Background(), io.Discard, nil, src, testKey, testCtx, &SealOptions{Workers: workers}); !errors.Is(err, errRead) {
			t.Fatalf("Seal(failing source, workers=%d) error = %v, want %v", workers, err, errRead)
		}
	}
}

func TestOpen_ReadError(t *testing.T) {
	s := seal(t, 3*batchChunks*ChunkSize, 2)
	cut := HeaderSize + batchChunks*EncryptedChunkSize + 3*EncryptedChunkSize + 100
	for _, workers := range []int{1, 2} {
		var out bytes.Buffer
		src := io.MultiReader(bytes.NewReader(s.ct[:cut]), iotest.ErrReader(errRead))
		_, err := Open(context.Background(), &out, src, testKey, testCtx, &OpenOptions{Workers: workers})
		if !errors.Is(err, errRead) {
			t.Fatalf("Open(failing source, workers=%d) error = %v, want %v", workers, err, errRead)
		}
		// Every whole chunk before the failure is released, nothing after.
		if want := s.pt[:(batchChunks+3)*ChunkSize]; !bytes.Equal(out.Bytes(), want) {
			t.Fatalf("Open(failing source, workers=%d) wrote %d bytes, want %d", workers, out.Len(), len(want))
		}
	}
}

// TestSeal_Leaves cross-checks the leaf list order through merkle.Hasher.
func TestSeal_Leaves(t *testing.T) {
	s := seal(t, 40*ChunkSize+3, 4)
	var h merkle.Hasher
	for off := 0; off < len(s.leaves); off += LeafSize {
		h.Add([LeafSize]byte(s.leaves[off:]))
	}
	if h.Root() != s.sum.Root || h.Count() != s.sum.ChunkCount {
		t.Fatalf("root of the leaf list = %x (%d leaves), want Summary %x (%d)", h.Root(), h.Count(), s.sum.Root, s.sum.ChunkCount)
	}
}
