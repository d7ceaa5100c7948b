package cobble

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"

	"github.com/blindvault/blindvault/internal/merkle"
)

// Summary describes a sealed body: what the record header signs
// (docs/spec/format-v1.md §4), and what [Open] can be told to expect.
type Summary struct {
	Salt          [SaltSize]byte
	Commitment    [CommitmentSize]byte
	CiphertextLen uint64 // header included
	ChunkCount    uint64
	Root          [merkle.HashSize]byte // RFC 6962 root of the leaf list
}

// SealOptions tune [Seal]. The zero value (or nil) is the production setting.
type SealOptions struct {
	// Salt fixes the salt, for deterministic test vectors only: a salt must
	// never repeat under one input key. Nil means a fresh random salt.
	Salt *[SaltSize]byte
	// Workers is the number of goroutines sealing chunks; 0 means GOMAXPROCS
	// and 1 keeps all work on the calling goroutine.
	Workers int
}

// Seal encrypts src, read to EOF, under inputKey and context. It writes
// salt ‖ commitment ‖ chunks to dst and the leaf list (LeafSize bytes per
// chunk, in order) to leaves, which may be nil, and returns the summary the
// header signs. Chunks are sealed and hashed on all cores; dst and leaves are
// written in order from the calling goroutine.
//
// On error, dst holds a partial ciphertext that must be discarded.
func Seal(ctx context.Context, dst io.Writer, leaves io.Writer, src io.Reader, inputKey, context []byte, opts *SealOptions) (*Summary, error) {
	if opts == nil {
		opts = &SealOptions{}
	}
	var salt [SaltSize]byte
	if opts.Salt != nil {
		salt = *opts.Salt
	} else {
		rand.Read(salt[:])
	}
	keys, err := Derive(inputKey, salt[:], context)
	if err != nil {
		return nil, err
	}
	if _, err := dst.Write(append(salt[:], keys.Commitment[:]...)); err != nil {
		return nil, err
	}
	s := &sealer{keys: keys, dst: dst, leaves: leaves, src: src}
	if err := run(ctx, s, workerCount(opts.Workers)); err != nil {
		return nil, err
	}
	return &Summary{
		Salt:          salt,
		Commitment:    keys.Commitment,
		CiphertextLen: HeaderSize + s.written,
		ChunkCount:    s.hasher.Count(),
		Root:          s.hasher.Root(),
	}, nil
}

type sealer struct {
	keys   *Keys
	dst    io.Writer
	leaves io.Writer
	src    io.Reader

	next    uint64 // reader: index of the next chunk
	written uint64 // writer: ciphertext bytes after the header
	hasher  merkle.Hasher
}

func (s *sealer) fill(b *batch) (bool, error) {
	b.reset(s.next)
	n, err := io.ReadFull(s.src, b.in[:b.capacity()*ChunkSize])
	b.inLen = n
	b.scrubIn = max(b.scrubIn, n)
	switch err {
	case nil:
		// A full chunk is never final: at least an empty chunk follows.
		b.n = b.capacity()
	case io.EOF, io.ErrUnexpectedEOF:
		b.n = n/ChunkSize + 1
		b.final = true
	default:
		return false, fmt.Errorf("cobble: reading plaintext: %w", err)
	}
	if b.first+uint64(b.n) > MaxChunks {
		return false, fmt.Errorf("chunk %d: %w", uint64(MaxChunks), ErrTooManyChunks)
	}
	s.next += uint64(b.n)
	return b.final, nil
}

func (s *sealer) work(lh *merkle.LeafHasher, b *batch) {
	aead := s.keys.AEAD
	off := 0
	for j := range b.n {
		lo := j * ChunkSize
		pt := b.in[lo:min(lo+ChunkSize, b.inLen)]
		nonce := s.keys.nonce(b.first + uint64(j))
		// Seal straight into the batch's output; the leaf is hashed while the
		// chunk is still in this core's cache.
		ct := aead.Seal(b.out[off:off], nonce[:], pt, nil)
		leaf := lh.Sum(ct)
		copy(b.leaves[j*LeafSize:], leaf[:])
		off += len(ct)
	}
	b.outLen = off
	b.ok = b.n
}

func (s *sealer) drain(b *batch) error {
	if _, err := s.dst.Write(b.out[:b.outLen]); err != nil {
		return err
	}
	leaves := b.leaves[:b.n*LeafSize]
	if s.leaves != nil {
		if _, err := s.leaves.Write(leaves); err != nil {
			return err
		}
	}
	for j := range b.n {
		s.hasher.Add([LeafSize]byte(leaves[j*LeafSize:]))
	}
	s.written += uint64(b.outLen)
	return nil
}
