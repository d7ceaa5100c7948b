package cobble

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/blindvault/blindvault/internal/merkle"
)

// OpenOptions tune [Open]. A nil *OpenOptions opens plain Cobblestone-256.
type OpenOptions struct {
	// Expect, if set, is the signed summary of the body: the header must
	// match its salt and commitment, and the body must have exactly its
	// chunk count and length. Without it the final chunk is found at EOF.
	Expect *Summary
	// Leaves, if set, supplies the leaf list: each chunk must hash to the
	// next LeafSize bytes before its tag is checked or any of its plaintext
	// is released. The caller must already have checked the leaf list against
	// the signed root; with Expect set, Open checks it again at the end.
	// Open reads exactly one leaf per chunk and never past the last.
	Leaves io.Reader
	// Workers is the number of goroutines opening chunks; 0 means GOMAXPROCS
	// and 1 keeps all work on the calling goroutine.
	Workers int
}

// Open decrypts src under inputKey and context, writing the plaintext to dst,
// and returns the number of plaintext bytes written.
//
// The commitment is checked before any chunk is decrypted. Chunks are opened
// on all cores, but plaintext reaches dst in order and only after its chunk
// passed every check. On error, dst may have received the plaintext of the
// chunks before the failing one (never any of the failing chunk or after it);
// callers that need all-or-nothing must buffer and discard it.
func Open(ctx context.Context, dst io.Writer, src io.Reader, inputKey, context []byte, opts *OpenOptions) (int64, error) {
	if opts == nil {
		opts = &OpenOptions{}
	}
	if len(inputKey) != KeySize {
		return 0, ErrInvalidKeySize
	}
	o := &opener{dst: dst, src: src, leaves: opts.Leaves, expect: opts.Expect, remaining: -1}
	if e := o.expect; e != nil {
		bad := e.CiphertextLen > math.MaxInt64
		if !bad {
			_, n, err := PlaintextSize(int64(e.CiphertextLen))
			bad = err != nil || uint64(n) != e.ChunkCount
		}
		if bad {
			return 0, fmt.Errorf("%w: %d bytes in %d chunks", ErrInvalidSummary, e.CiphertextLen, e.ChunkCount)
		}
		o.remaining = int64(e.CiphertextLen) - HeaderSize
	}

	var header [HeaderSize]byte
	if _, err := io.ReadFull(src, header[:]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return 0, fmt.Errorf("header: %w", ErrTruncated)
		}
		return 0, fmt.Errorf("cobble: reading header: %w", err)
	}
	salt, commitment := header[:SaltSize], header[SaltSize:]
	keys, err := Derive(inputKey, salt, context)
	if err != nil {
		return 0, err
	}
	// The commitment is what makes the key unique to this ciphertext: check
	// it before decrypting anything.
	if subtle.ConstantTimeCompare(keys.Commitment[:], commitment) != 1 {
		return 0, ErrCommitment
	}
	if e := o.expect; e != nil {
		if subtle.ConstantTimeCompare(e.Salt[:], salt)&subtle.ConstantTimeCompare(e.Commitment[:], commitment) != 1 {
			return 0, fmt.Errorf("header does not match expected summary: %w", ErrCommitment)
		}
	}
	o.keys = keys

	err = run(ctx, o, workerCount(opts.Workers))
	if err == nil && o.expect != nil && o.leaves != nil && o.hasher.Root() != o.expect.Root {
		err = fmt.Errorf("leaf list does not hash to expected root: %w", ErrLeafMismatch)
	}
	return o.written, err
}

type opener struct {
	keys   *Keys
	dst    io.Writer
	src    io.Reader
	leaves io.Reader
	expect *Summary

	// reader state
	next      uint64 // index of the next chunk
	remaining int64  // with expect: body bytes still to read; else -1

	// writer state
	written int64
	hasher  merkle.Hasher
}

// fill reads up to b.capacity() encrypted chunks and, if a leaf list is given,
// their leaves. Truncation, trailing data and read errors are set as the
// batch's tail error: the complete chunks before them are still processed,
// and the error is reported after them.
func (o *opener) fill(b *batch) (bool, error) {
	b.reset(o.next)
	want := b.capacity() * EncryptedChunkSize
	if o.remaining >= 0 && o.remaining < int64(want) {
		want = int(o.remaining)
	}
	n, err := io.ReadFull(o.src, b.in[:want])
	if o.remaining >= 0 {
		o.remaining -= int64(n)
	}
	full, rem := n/EncryptedChunkSize, n%EncryptedChunkSize
	last := true
	switch {
	case err != nil && err != io.EOF && err != io.ErrUnexpectedEOF:
		// Only whole chunks are usable; none of them can be final.
		b.n = full
		b.tail = fmt.Errorf("cobble: reading ciphertext: %w", err)
	case err != nil && o.remaining > 0:
		// Short read before the expected length.
		b.n = full
		b.tail = fmt.Errorf("chunk %d: %w", b.first+uint64(full), ErrTruncated)
	case err != nil:
		// EOF without an expected length: what is left is the final chunk,
		// which must hold at least a tag and be shorter than a full chunk.
		if rem < TagSize {
			b.n = full
			b.tail = fmt.Errorf("chunk %d: %w", b.first+uint64(full), ErrTruncated)
		} else {
			b.n, b.final = full+1, true
		}
	case o.remaining == 0:
		// Everything expected is here; PlaintextSize already checked that it
		// ends in a valid final chunk. Withhold that chunk unless EOF follows.
		b.n, b.final = full+1, true
		var probe [1]byte
		if m, perr := io.ReadFull(o.src, probe[:]); m > 0 {
			b.n, b.final = full, false
			b.tail = ErrTrailingData
		} else if perr != io.EOF {
			b.n, b.final = full, false
			b.tail = fmt.Errorf("cobble: reading ciphertext: %w", perr)
		}
	default:
		// A full batch with more to come.
		b.n = full
		last = false
	}
	b.inLen = n
	if b.first+uint64(b.n) > MaxChunks {
		b.n = int(MaxChunks - b.first)
		b.final = false
		b.tail = fmt.Errorf("chunk %d: %w", uint64(MaxChunks), ErrTooManyChunks)
		last = true
	}
	if o.leaves != nil && b.n > 0 {
		m, err := io.ReadFull(o.leaves, b.leaves[:b.n*LeafSize])
		if err != nil {
			b.n = m / LeafSize
			b.final = false
			if errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF {
				b.tail = fmt.Errorf("leaf list ends at chunk %d: %w", b.first+uint64(b.n), ErrLeafMismatch)
			} else {
				b.tail = fmt.Errorf("cobble: reading leaf list: %w", err)
			}
			last = true
		}
	}
	o.next += uint64(b.n)
	return last || b.tail != nil, nil
}

func (o *opener) work(lh *merkle.LeafHasher, b *batch) {
	aead := o.keys.AEAD
	checkLeaves := o.leaves != nil
	off := 0
	for j := range b.n {
		lo := j * EncryptedChunkSize
		ct := b.in[lo:min(lo+EncryptedChunkSize, b.inLen)]
		index := b.first + uint64(j)
		// The leaf is checked first, so a chunk that is not the author's is
		// rejected even if its tag would verify under the shared key.
		if checkLeaves {
			leaf := lh.Sum(ct)
			if subtle.ConstantTimeCompare(leaf[:], b.leaves[j*LeafSize:(j+1)*LeafSize]) != 1 {
				b.err = fmt.Errorf("chunk %d: %w", index, ErrLeafMismatch)
				break
			}
		}
		nonce := o.keys.nonce(index)
		pt, err := aead.Open(b.out[off:off], nonce[:], ct, nil)
		b.scrubOut = max(b.scrubOut, off+len(ct))
		if err != nil {
			b.err = fmt.Errorf("chunk %d: %w", index, ErrChunkAuth)
			break
		}
		off += len(pt)
		b.ok = j + 1
	}
	b.outLen = off
}

func (o *opener) drain(b *batch) error {
	if b.outLen > 0 {
		m, err := o.dst.Write(b.out[:b.outLen])
		o.written += int64(m)
		if err != nil {
			return err
		}
	}
	if o.expect != nil && o.leaves != nil {
		for j := range b.ok {
			o.hasher.Add([LeafSize]byte(b.leaves[j*LeafSize:]))
		}
	}
	if b.err != nil {
		return b.err
	}
	return b.tail
}
