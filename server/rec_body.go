package server

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"hash"
	"io"
	"net/http"

	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/internal/merkle"
)

// The server cannot open a body, but it can check that a body is the one its
// header signs: the body starts with the header's salt and commitment, and
// each chunk's ciphertext hashes to its leaf, whose tree hashes to the signed
// root (format-v1 §4). So a version is stored only with the exact bytes its
// author signed, and garbage is refused at upload instead of at every read.

// Body layout (format-v1 §4).
const (
	bodyPrefix   = format.SaltSize + 32 // salt ‖ commitment
	chunkCTBytes = bodyChunk + 16       // a full chunk's ciphertext and tag
)

var (
	errBodyShort = errorf(http.StatusBadRequest, "bad_body", "the body is shorter than the header's ciphertext_len")
	errBodyLong  = errorf(http.StatusBadRequest, "bad_body", "the body is longer than the header's ciphertext_len")
	errBodyStart = errorf(http.StatusBadRequest, "bad_body", "the body does not start with the header's salt and commitment")
	errBodyLeaf  = errorf(http.StatusBadRequest, "bad_body", "a body chunk does not hash to its leaf")
)

// leafPrefix starts every leaf hash (RFC 6962).
var leafPrefix = []byte{0}

// checkLeaves checks that leaves is the leaf list of h: one leaf per chunk,
// whose Merkle tree hash is h's root.
func checkLeaves(h *format.Header, leaves []byte) error {
	if uint64(len(leaves)) != leafSize*h.ChunkCount {
		return errorf(http.StatusBadRequest, "bad_leaves", "the leaf list is %d bytes, want 32 × %d chunks", len(leaves), h.ChunkCount)
	}
	var t merkle.Hasher
	for i := 0; i < len(leaves); i += leafSize {
		t.Add([leafSize]byte(leaves[i : i+leafSize]))
	}
	if t.Root() != h.Root {
		return errorf(http.StatusBadRequest, "bad_leaves", "the leaf list does not hash to the header's root")
	}
	return nil
}

// bodyCheck passes a body through, failing a Read as soon as the bytes seen
// differ from what the header and leaf list promise, and before the last
// chunk's bytes are returned if it does not match, so that a store consuming
// it never sees a bad body end cleanly.
type bodyCheck struct {
	r      io.Reader
	prefix [bodyPrefix]byte
	leaves []byte
	total  int64 // ciphertext_len
	pos    int64
	chunk  int   // index of the chunk being hashed
	end    int64 // where it ends
	h      hash.Hash
	sum    [32]byte
	err    error
}

// newBodyCheck checks r against h and its (already checked) leaf list.
func newBodyCheck(r io.Reader, h *format.Header, leaves []byte) *bodyCheck {
	b := &bodyCheck{r: r, leaves: leaves, total: int64(h.CiphertextLen), h: sha256.New()}
	copy(b.prefix[:], h.Salt[:])
	copy(b.prefix[format.SaltSize:], h.Commitment[:])
	b.startChunk(0)
	return b
}

func (b *bodyCheck) startChunk(i int) {
	b.chunk = i
	b.end = min(bodyPrefix+int64(i+1)*chunkCTBytes, b.total)
	b.h.Reset()
	b.h.Write(leafPrefix)
}

func (b *bodyCheck) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.r.Read(p)
	if int64(n) > b.total-b.pos {
		b.err = errBodyLong
		return 0, b.err
	}
	if cerr := b.consume(p[:n]); cerr != nil {
		b.err = cerr
		return 0, cerr
	}
	if errors.Is(err, io.EOF) && b.pos < b.total {
		b.err = errBodyShort
		return 0, b.err
	}
	return n, err
}

// consume checks the next bytes of the body.
func (b *bodyCheck) consume(p []byte) error {
	for len(p) > 0 {
		if b.pos < bodyPrefix {
			k := min(int64(len(p)), bodyPrefix-b.pos)
			if !bytes.Equal(p[:k], b.prefix[b.pos:b.pos+k]) {
				return errBodyStart
			}
			b.pos += k
			p = p[k:]
			continue
		}
		k := min(int64(len(p)), b.end-b.pos)
		b.h.Write(p[:k])
		b.pos += k
		p = p[k:]
		if b.pos == b.end {
			want := b.leaves[b.chunk*leafSize : (b.chunk+1)*leafSize]
			if !bytes.Equal(b.h.Sum(b.sum[:0]), want) {
				return errBodyLeaf
			}
			if b.pos < b.total {
				b.startChunk(b.chunk + 1)
			}
		}
	}
	return nil
}
