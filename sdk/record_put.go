package sdk

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/blindvault/blindvault/internal/cobble"
	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/internal/padding"
	"github.com/blindvault/blindvault/internal/record"
)

// PutOptions describe what Put writes. Title, Type and Tags are encrypted
// with the version; the server sees none of them.
type PutOptions struct {
	Title, Type string
	Tags        []string
	// Size is the body's exact length if known (-1 or 0: unknown); a known
	// size keeps small bodies in memory while they are sealed.
	Size int64
	// Update, if not zero, is the record to write a new version of; the
	// caller must own it or hold write in its ACL.
	Update [32]byte
}

// Put encrypts body on this device and stores it as a new record, or as a new
// version of opts.Update, and appends the write to this account's chain in
// the same server transaction.
func (c *Client) Put(ctx context.Context, body io.Reader, opts *PutOptions) (*RecordInfo, error) {
	defer c.begin()()
	if err := c.ready(); err != nil {
		return nil, err
	}
	if opts == nil {
		opts = &PutOptions{}
	}
	now := time.Now()
	meta := record.Meta{Title: opts.Title, Type: opts.Type, Tags: opts.Tags, Created: now, Modified: now}
	return c.put(ctx, body, opts.Size, opts.Update, meta, format.EventVersion)
}

// put seals and uploads one version; event is EventVersion, or EventProfile
// for the profile record.
func (c *Client) put(ctx context.Context, body io.Reader, size int64, update [32]byte, meta record.Meta, event format.Event) (*RecordInfo, error) {
	if _, err := record.SealedMetaSize(&meta); err != nil {
		return nil, err
	}
	me := c.accountID()
	p := &record.SealParams{Author: me, Signer: c.id.sign, Meta: meta, Workers: c.cfg.Workers}
	var acl []byte
	var grants []grantItem
	if update == ([32]byte{}) {
		epochKey := make([]byte, 32)
		rand.Read(epochKey)
		defer clear(epochKey)
		a := &format.ACL{Owner: me, Seq: 1, Epoch: 1, Entries: []format.ACLEntry{
			{Reader: format.KeyID(c.id.card.c.XWingPK), Rights: format.RightsAll}}}
		rand.Read(a.RecordID[:])
		if err := a.Sign(c.id.sign); err != nil {
			return nil, err
		}
		g, err := sealGrant(c.id, a.RecordID, 1, c.id.card, epochKey)
		if err != nil {
			return nil, err
		}
		acl, grants = a.Marshal(), []grantItem{{me, g}}
		p.RecordID, p.Owner, p.Version, p.ACL, p.EpochKey = a.RecordID, me, 1, a, epochKey
	} else {
		head, err := c.fetch(ctx, update, 0)
		if err != nil {
			return nil, err
		}
		defer head.close()
		key, ok := head.epochs[head.acl.Epoch]
		if !ok {
			return nil, fmt.Errorf("%w: no key for the current epoch %d", ErrMissingGrant, head.acl.Epoch)
		}
		p.RecordID, p.Owner, p.Version, p.PrevHeaderHash = update, head.owner, head.header.Version+1, head.header.Hash()
		p.ACL, p.EpochKey = head.acl, key
	}

	bodyHint, leafHint := int64(-1), int64(-1)
	if size > 0 {
		padded := int64(padding.BodySize(uint64(size)))
		bodyHint, leafHint = cobble.CiphertextSize(padded), 32*cobble.ChunkCount(padded)
	}
	bodySpool, err := newSpool(bodyHint)
	if err != nil {
		return nil, err
	}
	defer bodySpool.Close()
	leafSpool, err := newSpool(leafHint)
	if err != nil {
		return nil, err
	}
	defer leafSpool.Close()
	counted := &countingReader{r: body}
	h, err := record.Seal(ctx, p, counted, bodySpool, leafSpool)
	if err != nil {
		return nil, err
	}

	for attempt := 0; ; attempt++ {
		e, err := c.ownEntry(ctx, format.AccountEntry{Event: event, Record: h.RecordID, Owner: h.Owner, Number: h.Version, Object: h.Hash()})
		if err != nil {
			return nil, err
		}
		head := versionFrameHead(h, acl, grants, e)
		open := func() (io.Reader, int64, error) {
			leaves, err := leafSpool.Reader()
			if err != nil {
				return nil, 0, err
			}
			body, err := bodySpool.Reader()
			if err != nil {
				return nil, 0, err
			}
			n := int64(len(head)) + 4 + int64(32*h.ChunkCount) + int64(h.CiphertextLen)
			var l [4]byte
			binary.BigEndian.PutUint32(l[:], uint32(32*h.ChunkCount))
			return io.MultiReader(bytes.NewReader(head), bytes.NewReader(l[:]), leaves, body), n, nil
		}
		resp, err := c.stream(ctx, "PUT", fmt.Sprintf("/v1/records/%x/versions/%d", h.RecordID, h.Version),
			map[string]string{"Content-Type": "application/octet-stream"}, open)
		if err != nil {
			// A lost compare-and-swap on the chain (another device appended) is
			// retried; one on the record's head is the caller's to resolve.
			var ae *APIError
			if errors.As(err, &ae) && ae.Status == statusPrecondition && attempt < 3 && c.chainMoved(ctx, e) {
				continue
			}
			return nil, err
		}
		resp.Body.Close()
		if err := c.committed(ctx, e); err != nil {
			return nil, err
		}
		kc := c.id.card
		return &RecordInfo{RecordID: h.RecordID, Version: h.Version, Author: kc, AuthorVerified: true,
			Title: meta.Title, Type: meta.Type, Tags: meta.Tags, Length: counted.n, Created: meta.Created,
			Modified: meta.Modified, StoredBytes: h.CiphertextLen, Epoch: h.Epoch, ACLSeq: p.ACL.Seq}, nil
	}
}

// chainMoved reports whether this account's chain grew past the entry e was
// built on, which is why the server refused it.
func (c *Client) chainMoved(ctx context.Context, e *format.AccountEntry) bool {
	delete(c.fresh, e.Account)
	st, err := c.syncChain(ctx, e.Account)
	return err == nil && st.Seq >= e.Seq
}

// grantItem is a grant with the account whose current card holds its key.
type grantItem struct {
	account [32]byte
	grant   *format.Grant
}

// versionFrameHead encodes the start of a version upload (docs/api): u24<header>
// ‖ u24<ACL> ‖ u24<grant items> ‖ u24<chain item>; the leaf list and the body
// follow.
func versionFrameHead(h *format.Header, acl []byte, grants []grantItem, e *format.AccountEntry) []byte {
	var b cryptobyte.Builder
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(h.Marshal()) })
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(acl) })
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, g := range grants {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				b.AddBytes(g.account[:])
				b.AddBytes(g.grant.Marshal())
			})
		}
	})
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(chainBody(e)) })
	return b.BytesOrPanic()
}

// chainBody is u64 seq ‖ entry, the chain item of a version upload or a delete.
func chainBody(e *format.AccountEntry) []byte {
	return append(binary.BigEndian.AppendUint64(nil, e.Seq), e.Marshal()...)
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n uint64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += uint64(n)
	return n, err
}
