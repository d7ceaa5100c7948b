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
}

// Seal pads and encrypts body, writing its ciphertext to bodyOut and its leaf list to
// leavesOut, and returns the signed header. A fresh DEK is drawn for every call.
func Seal(ctx context.Context, p *SealParams, body io.Reader, bodyOut, leavesOut io.Writer) (*format.Header, error) {
	s, err := newSealing(p)
	if err != nil {
		return nil, err
	}
	defer s.close()
	padded := padding.NewReader(body)
	sum, err := cobble.Seal(ctx, bodyOut, leavesOut, padded, s.dek, s.ctx, &cobble.SealOptions{Workers: p.Workers})
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
	dek := make([]byte, 32)
	rand.Read(dek)
	return &sealing{p: p, dek: dek, ctx: format.BodyContext(p.RecordID, p.Version, p.Owner)}, nil
}

func (s *sealing) close() { clear(s.dek) }

// header seals the metadata, with the true body length, and signs the header over
// the sealed body's summary.
func (s *sealing) header(sum *cobble.Summary, length uint64) (*format.Header, error) {
	p := s.p
	meta := p.Meta
	meta.Length = length
	if meta.Created.IsZero() {
		meta.Created = time.Now()
	}
	if meta.Modified.IsZero() {
		meta.Modified = meta.Created
	}
	sealedMeta, err := sealMeta(s.dek, s.ctx, &meta)
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
		Created:        uint64(time.Now().Unix()),
		Salt:           sum.Salt,
		Commitment:     sum.Commitment,
		CiphertextLen:  sum.CiphertextLen,
		ChunkCount:     sum.ChunkCount,
		Root:           sum.Root,
		WrappedDEK:     wrapDEK(p.EpochKey, s.dek, s.ctx),
		SealedMeta:     sealedMeta,
	}
	copy(h.SignerPK[:], p.Signer.Public().(ed25519.PublicKey))
	if err := h.Sign(p.Signer); err != nil {
		return nil, err
	}
	return h, nil
}
