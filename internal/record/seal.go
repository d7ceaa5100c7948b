// Package record seals and opens one version of a record: its padded Cobblestone
// body with the leaf list, its encrypted metadata, its wrapped DEK and its signed
// header (format-v1 §2.7–§5). It knows nothing about files or servers.
package record

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"time"

	"github.com/blindvault/blindvault/internal/cobble"
	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/internal/padding"
)

// SealParams says which version is being written, under which ACL and epoch, and by whom.
type SealParams struct {
	RecordID       [32]byte
	Owner          [32]byte // owner's account id
	Version        uint64
	PrevHeaderHash [32]byte // zero for version 1
	ACL            *format.ACL
	EpochKey       []byte
	Author         [32]byte // author's account id
	Signer         ed25519.PrivateKey
	Meta           Meta // Length is filled in from the body
	Workers        int  // 0: all cores

	// Rand and Time are for deterministic test vectors only (internal/testkit).
	// Rand, if set, replaces crypto/rand for everything sealing draws, in this
	// order: the DEK (32 bytes), the body salt (24), the DEK-wrap nonce (12)
	// and the metadata nonce (12). Time, if set, replaces the clock for the
	// header's created time and metadata dates left zero.
	Rand io.Reader
	Time time.Time
}

// Seal pads and encrypts body, writing its ciphertext to bodyOut and its leaf list to
// leavesOut, and returns the signed header. A fresh DEK is drawn for every call.
func Seal(ctx context.Context, p *SealParams, body io.Reader, bodyOut, leavesOut io.Writer) (*format.Header, error) {
	s, err := newSealing(p)
	if err != nil {
		return nil, err
	}
	defer s.close()
	var salt [cobble.SaltSize]byte
	if err := s.draw(salt[:]); err != nil {
		return nil, err
	}
	padded := padding.NewReader(body)
	sum, err := cobble.Seal(ctx, bodyOut, leavesOut, padded, s.dek, s.ctx, &cobble.SealOptions{Salt: &salt, Workers: p.Workers})
	if err != nil {
		return nil, fmt.Errorf("sealing body: %w", err)
	}
	return s.header(sum, padded.Length())
}

// sealing is a version being written: its parameters, its fresh DEK and its body context.
type sealing struct {
	p   *SealParams
	dek []byte
	ctx []byte
}

func newSealing(p *SealParams) (*sealing, error) {
	if err := p.Meta.Check(); err != nil {
		return nil, err
	}
	if p.ACL == nil || len(p.EpochKey) != 32 || p.Version == 0 {
		return nil, fmt.Errorf("record: incomplete seal parameters")
	}
	s := &sealing{p: p, dek: make([]byte, 32), ctx: format.BodyContext(p.RecordID, p.Version, p.Owner)}
	if err := s.draw(s.dek); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *sealing) close() { clear(s.dek) }

// draw fills b from SealParams.Rand, or from crypto/rand when it is nil.
func (s *sealing) draw(b []byte) error {
	if s.p.Rand == nil {
		rand.Read(b)
		return nil
	}
	if _, err := io.ReadFull(s.p.Rand, b); err != nil {
		return fmt.Errorf("record: reading randomness: %w", err)
	}
	return nil
}

// now is SealParams.Time, or the clock when it is zero.
func (s *sealing) now() time.Time {
	if s.p.Time.IsZero() {
		return time.Now()
	}
	return s.p.Time
}

// header seals the metadata, with the true body length, and signs the header over
// the sealed body's summary.
func (s *sealing) header(sum *cobble.Summary, length uint64) (*format.Header, error) {
	p := s.p
	meta := p.Meta
	meta.Length = length
	now := s.now()
	if meta.Created.IsZero() {
		meta.Created = now
	}
	if meta.Modified.IsZero() {
		meta.Modified = meta.Created
	}
	var dekNonce, metaNonce [nonceSize]byte
	if err := s.draw(dekNonce[:]); err != nil {
		return nil, err
	}
	if err := s.draw(metaNonce[:]); err != nil {
		return nil, err
	}
	sealedMeta, err := sealMeta(s.dek, s.ctx, metaNonce, &meta)
	if err != nil {
		return nil, err
	}
	h := &format.Header{
		RecordID:       p.RecordID,
		Owner:          p.Owner,
		Version:        p.Version,
		PrevHeaderHash: p.PrevHeaderHash,
		ACLHash:        p.ACL.Hash(),
		Epoch:          p.ACL.Epoch,
		Author:         p.Author,
		Created:        uint64(now.Unix()),
		Salt:           sum.Salt,
		Commitment:     sum.Commitment,
		CiphertextLen:  sum.CiphertextLen,
		ChunkCount:     sum.ChunkCount,
		Root:           sum.Root,
		WrappedDEK:     wrapDEK(p.EpochKey, s.dek, s.ctx, dekNonce),
		SealedMeta:     sealedMeta,
	}
	copy(h.SignerPK[:], p.Signer.Public().(ed25519.PublicKey))
	if err := h.Sign(p.Signer); err != nil {
		return nil, err
	}
	return h, nil
}
