package record

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/blindvault/blindvault/internal/cobble"
	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/internal/merkle"
	"github.com/blindvault/blindvault/internal/padding"
)

var (
	// ErrCommitment means the unwrapped DEK does not match the signed commitment: the
	// author gave this reader a different key than the one the header commits to.
	ErrCommitment = errors.New("DEK does not match the signed key commitment")
	// ErrLayout means the header's sizes are inconsistent with each other or the metadata.
	ErrLayout = errors.New("record sizes are inconsistent")
	// ErrLeafMismatch means the leaf list does not hash to the signed root.
	ErrLeafMismatch = cobble.ErrLeafMismatch
	// ErrPadding means the body padding is not all zero.
	ErrPadding = errors.New("body padding is not zero")
)

// Unlocked is a version whose DEK has been unwrapped and checked against the signed
// commitment. Only an Unlocked version's metadata or body is ever read.
type Unlocked struct {
	Header *format.Header
	Meta   *Meta
	dek    []byte
	ctx    []byte
}

// CheckLayout verifies that the header's chunk count and ciphertext length describe a
// padded Cobblestone body, and that neither exceeds maxCiphertext.
func CheckLayout(h *format.Header, maxCiphertext uint64) error {
	if h.CiphertextLen > maxCiphertext {
		return fmt.Errorf("%w: body of %d bytes exceeds the limit of %d", ErrLayout, h.CiphertextLen, maxCiphertext)
	}
	if !format.BodySizesValid(h.CiphertextLen, h.ChunkCount) {
		return fmt.Errorf("%w: %d chunks in %d bytes", ErrLayout, h.ChunkCount, h.CiphertextLen)
	}
	return nil
}

// paddedLen is the padded plaintext length implied by a header that passed CheckLayout.
func paddedLen(h *format.Header) uint64 {
	return h.CiphertextLen - uint64(cobble.HeaderSize) - uint64(cobble.TagSize)*h.ChunkCount
}

// Unlock unwraps the DEK with the epoch key, checks it against the signed commitment
// before using it for anything, then opens the metadata and checks the length.
func Unlock(h *format.Header, epochKey []byte) (*Unlocked, error) {
	if err := CheckLayout(h, ^uint64(0)); err != nil {
		return nil, err
	}
	bodyCtx := format.BodyContext(h.RecordID, h.Version, h.Owner)
	dek, err := unwrapDEK(epochKey, h.WrappedDEK, bodyCtx)
	if err != nil {
		return nil, err
	}
	if err := cobble.CheckCommitment(dek, h.Salt[:], bodyCtx, h.Commitment); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCommitment, err)
	}
	meta, err := openMeta(dek, bodyCtx, h.SealedMeta)
	if err != nil {
		return nil, err
	}
	if padding.BodySize(meta.Length) != paddedLen(h) {
		return nil, fmt.Errorf("%w: length %d does not pad to %d", ErrLayout, meta.Length, paddedLen(h))
	}
	return &Unlocked{Header: h, Meta: meta, dek: dek, ctx: bodyCtx}, nil
}

// CheckLeaves reads exactly ChunkCount leaves from r, copying them to spool (which may
// be nil), and checks their Merkle root against the signed root.
func CheckLeaves(h *format.Header, r io.Reader, spool io.Writer) error {
	var hs merkle.Hasher
	var leaf [32]byte
	for i := uint64(0); i < h.ChunkCount; i++ {
		if _, err := io.ReadFull(r, leaf[:]); err != nil {
			return fmt.Errorf("%w: reading leaf %d: %w", ErrLeafMismatch, i, err)
		}
		hs.Add(leaf)
		if spool != nil {
			if _, err := spool.Write(leaf[:]); err != nil {
				return err
			}
		}
	}
	if hs.Root() != h.Root {
		return ErrLeafMismatch
	}
	return nil
}

// Open streams the whole body from body to dst: each chunk's ciphertext must hash to
// its leaf from leaves (already checked with CheckLeaves) and authenticate before its
// plaintext is written, in order; the padding must be zero. Only the true Length
// bytes reach dst.
func (u *Unlocked) Open(ctx context.Context, dst io.Writer, body, leaves io.Reader, workers int) error {
	h := u.Header
	clip := &clipWriter{dst: dst, keep: u.Meta.Length}
	expect := &cobble.Summary{Salt: h.Salt, Commitment: h.Commitment, CiphertextLen: h.CiphertextLen, ChunkCount: h.ChunkCount, Root: h.Root}
	n, err := cobble.Open(ctx, clip, body, u.dek, u.ctx, &cobble.OpenOptions{Expect: expect, Leaves: leaves, Workers: workers})
	if errors.Is(err, cobble.ErrCommitment) {
		// The body's salt or commitment is not the header's (or not this DEK's):
		// the same failure as a DEK that does not match the signed commitment.
		return fmt.Errorf("%w: body: %w", ErrCommitment, err)
	}
	if err != nil {
		return err
	}
	if uint64(n) != paddedLen(h) {
		return fmt.Errorf("%w: opened %d bytes, want %d", ErrLayout, n, paddedLen(h))
	}
	return clip.err
}

// Close forgets the DEK.
func (u *Unlocked) Close() { clear(u.dek) }

// clipWriter passes the first keep bytes through and checks that the rest is zero.
type clipWriter struct {
	dst  io.Writer
	keep uint64
	seen uint64
	err  error
}

func (c *clipWriter) Write(p []byte) (int, error) {
	n := len(p)
	if c.seen < c.keep {
		k := min(uint64(len(p)), c.keep-c.seen)
		if _, err := c.dst.Write(p[:k]); err != nil {
			return 0, err
		}
		c.seen += k
		p = p[k:]
	}
	for _, b := range p {
		if b != 0 {
			c.err = ErrPadding
			return 0, ErrPadding
		}
	}
	c.seen += uint64(len(p))
	return n, nil
}
