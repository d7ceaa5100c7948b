package cobble

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"testing"
)

// openMode is how a tampering test opens the ciphertext.
type openMode int

const (
	plain      openMode = iota // no Expect, no leaves: EOF framing
	withExpect                 // signed summary, no leaves
	withLeaves                 // signed summary and leaf list
	numOpenModes
)

func (m openMode) String() string {
	return [...]string{"plain", "expect", "leaves"}[m]
}

// checkOpen opens ct and checks the error and that exactly pt[:wantOut] was
// released.
func checkOpen(t *testing.T, pt, ct []byte, opts *OpenOptions, wantErr error, wantOut int) {
	t.Helper()
	var out bytes.Buffer
	n, err := Open(context.Background(), &out, bytes.NewReader(ct), testKey, testCtx, opts)
	if wantErr == nil && err != nil || wantErr != nil && !errors.Is(err, wantErr) {
		t.Fatalf("Open() error = %v, want %v", err, wantErr)
	}
	if n != int64(out.Len()) {
		t.Fatalf("Open() = %d, but wrote %d bytes", n, out.Len())
	}
	if out.Len() != wantOut || !bytes.Equal(out.Bytes(), pt[:wantOut]) {
		t.Fatalf("Open() released %d bytes, want exactly the first %d of the plaintext", out.Len(), wantOut)
	}
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x01
	return c
}

func chunkStart(i int) int { return int(ChunkOffset(uint64(i))) }

func TestOpen_Tampered(t *testing.T) {
	for _, size := range []int{2*ChunkSize + 100, (2*batchChunks+2)*ChunkSize + 100} {
		for _, workers := range []int{1, 4} {
			s := seal(t, size, workers)
			n := int(s.sum.ChunkCount)
			last := n - 1
			full := last * ChunkSize // plaintext before the final chunk

			opts := func(m openMode, ct []byte) *OpenOptions {
				switch m {
				case withExpect:
					return &OpenOptions{Workers: workers, Expect: s.sum}
				case withLeaves:
					return &OpenOptions{Workers: workers, Expect: s.sum, Leaves: bytes.NewReader(s.leaves)}
				}
				return &OpenOptions{Workers: workers}
			}
			// authErr is what a modified chunk gives: the leaf check comes
			// first when there is a leaf list.
			authErr := func(m openMode) error {
				if m == withLeaves {
					return ErrLeafMismatch
				}
				return ErrChunkAuth
			}

			type tc struct {
				name    string
				ct      []byte
				wantErr func(openMode) error
				wantOut int
			}
			var cases []tc
			for _, k := range []int{0, 1, batchChunks + 1, last} {
				if k > last {
					continue
				}
				cases = append(cases,
					tc{fmt.Sprintf("chunk%d/body", k), flip(s.ct, chunkStart(k)+3), authErr, k * ChunkSize},
					tc{fmt.Sprintf("chunk%d/tag", k), flip(s.ct, min(chunkStart(k+1), len(s.ct))-1), authErr, k * ChunkSize},
				)
				if k < last {
					cut := chunkStart(k) + 5000
					cases = append(cases, tc{fmt.Sprintf("chunk%d/cut", k), s.ct[:cut], func(m openMode) error {
						if m == plain {
							// Without a length the cut chunk reads as a
							// final one, and fails its tag.
							return ErrChunkAuth
						}
						return ErrTruncated
					}, k * ChunkSize})
					cases = append(cases, tc{fmt.Sprintf("chunk%d/cut-short", k), s.ct[:chunkStart(k)+TagSize-1], func(openMode) error { return ErrTruncated }, k * ChunkSize})
				}
			}
			swapped := bytes.Clone(s.ct)
			copy(swapped[chunkStart(0):], s.ct[chunkStart(1):chunkStart(2)])
			copy(swapped[chunkStart(1):], s.ct[chunkStart(0):chunkStart(1)])
			dup := bytes.Clone(s.ct)
			copy(dup[chunkStart(1):], s.ct[chunkStart(0):chunkStart(1)])
			always := func(err error) func(openMode) error { return func(openMode) error { return err } }
			cases = append(cases,
				tc{"salt", flip(s.ct, 0), always(ErrCommitment), 0},
				tc{"commitment", flip(s.ct, SaltSize+31), always(ErrCommitment), 0},
				tc{"header-cut", s.ct[:HeaderSize-1], always(ErrTruncated), 0},
				tc{"header-only", s.ct[:HeaderSize], always(ErrTruncated), 0},
				tc{"empty", nil, always(ErrTruncated), 0},
				tc{"swapped01", swapped, authErr, 0},
				tc{"duplicated0", dup, authErr, ChunkSize},
				tc{"final-dropped", s.ct[:chunkStart(last)], always(ErrTruncated), full},
				tc{"trailing-byte", append(bytes.Clone(s.ct), 0), func(m openMode) error {
					if m == plain {
						return ErrChunkAuth
					}
					return ErrTrailingData
				}, full},
				tc{"trailing-chunk", append(bytes.Clone(s.ct), s.ct[chunkStart(0):chunkStart(1)]...), func(m openMode) error {
					if m == plain {
						return ErrChunkAuth
					}
					return ErrTrailingData
				}, full},
			)

			for _, c := range cases {
				for m := range numOpenModes {
					t.Run(fmt.Sprintf("%d/workers=%d/%s/%v", size, workers, c.name, m), func(t *testing.T) {
						checkOpen(t, s.pt, c.ct, opts(m, c.ct), c.wantErr(m), c.wantOut)
					})
				}
			}

			// Wrong leaves with an intact ciphertext.
			for _, k := range []int{0, 1, last} {
				badLeaves := flip(s.leaves, k*LeafSize+7)
				t.Run(fmt.Sprintf("%d/workers=%d/leaf%d", size, workers, k), func(t *testing.T) {
					checkOpen(t, s.pt, s.ct, &OpenOptions{Workers: workers, Expect: s.sum, Leaves: bytes.NewReader(badLeaves)}, ErrLeafMismatch, k*ChunkSize)
					// Without Expect the leaves are still checked.
					checkOpen(t, s.pt, s.ct, &OpenOptions{Workers: workers, Leaves: bytes.NewReader(badLeaves)}, ErrLeafMismatch, k*ChunkSize)
				})
				t.Run(fmt.Sprintf("%d/workers=%d/leaves-short%d", size, workers, k), func(t *testing.T) {
					short := s.leaves[:k*LeafSize+LeafSize/2]
					checkOpen(t, s.pt, s.ct, &OpenOptions{Workers: workers, Expect: s.sum, Leaves: bytes.NewReader(short)}, ErrLeafMismatch, k*ChunkSize)
				})
			}
		}
	}
}

func TestOpen_WrongExpect(t *testing.T) {
	for _, workers := range []int{1, 4} {
		s := seal(t, 2*batchChunks*ChunkSize+100, workers)
		// Another message under the same key, with its own salt.
		other, err := Seal(context.Background(), io.Discard, nil, bytes.NewReader(s.pt[:100]), testKey, testCtx, nil)
		if err != nil {
			t.Fatalf("Seal error: %v", err)
		}
		full := int(s.sum.ChunkCount-1) * ChunkSize
		for _, tc := range []struct {
			name    string
			edit    func(*Summary)
			leaves  bool
			wantErr error
			wantOut int
		}{
			{"salt", func(e *Summary) { e.Salt[3] ^= 1 }, false, ErrCommitment, 0},
			{"commitment", func(e *Summary) { e.Commitment[3] ^= 1 }, false, ErrCommitment, 0},
			{"other-message", func(e *Summary) { *e = *other }, false, ErrCommitment, 0},
			{"count", func(e *Summary) { e.ChunkCount++ }, false, ErrInvalidSummary, 0},
			{"count-zero", func(e *Summary) { e.ChunkCount = 0 }, false, ErrInvalidSummary, 0},
			{"len-invalid", func(e *Summary) { e.CiphertextLen = HeaderSize + EncryptedChunkSize }, false, ErrInvalidSummary, 0},
			{"len-huge", func(e *Summary) { e.CiphertextLen = math.MaxUint64 }, false, ErrInvalidSummary, 0},
			{"len-shorter", func(e *Summary) { e.CiphertextLen-- }, false, ErrTrailingData, full},
			{"len-longer", func(e *Summary) { e.CiphertextLen++ }, false, ErrTruncated, full},
			{"one-chunk-more", func(e *Summary) { e.CiphertextLen += EncryptedChunkSize; e.ChunkCount++ }, false, ErrTruncated, full},
			{"one-chunk-less", func(e *Summary) { e.CiphertextLen -= EncryptedChunkSize; e.ChunkCount-- }, false, ErrTrailingData, full - ChunkSize},
			// The root is only checked at the end: by then every chunk matched
			// its leaf and was released. Readers check the leaf list against
			// the signed root before they open.
			{"root", func(e *Summary) { e.Root[0] ^= 1 }, true, ErrLeafMismatch, len(s.pt)},
		} {
			t.Run(fmt.Sprintf("workers=%d/%s", workers, tc.name), func(t *testing.T) {
				e := *s.sum
				tc.edit(&e)
				opts := &OpenOptions{Workers: workers, Expect: &e}
				if tc.leaves {
					opts.Leaves = bytes.NewReader(s.leaves)
				}
				checkOpen(t, s.pt, s.ct, opts, tc.wantErr, tc.wantOut)
			})
		}
	}
}

func TestOpen_WrongKeyOrContext(t *testing.T) {
	s := seal(t, 3*ChunkSize, 1)
	otherKey := bytes.Repeat([]byte{0x12}, KeySize)
	for _, tc := range []struct {
		name     string
		key, ctx []byte
	}{
		{"key", otherKey, testCtx},
		{"context", testKey, []byte("blindvault.v1 body other")},
		{"empty-context", testKey, nil},
	} {
		for m := range numOpenModes {
			t.Run(fmt.Sprintf("%s/%v", tc.name, m), func(t *testing.T) {
				opts := &OpenOptions{}
				if m >= withExpect {
					opts.Expect = s.sum
				}
				if m == withLeaves {
					opts.Leaves = bytes.NewReader(s.leaves)
				}
				var out bytes.Buffer
				_, err := Open(context.Background(), &out, bytes.NewReader(s.ct), tc.key, tc.ctx, opts)
				if !errors.Is(err, ErrCommitment) || out.Len() != 0 {
					t.Fatalf("Open(wrong %s) = %d bytes, %v, want 0, ErrCommitment", tc.name, out.Len(), err)
				}
			})
		}
	}
}
