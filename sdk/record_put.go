package sdk

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/internal/auditlog"
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
	// Size is the body's exact length, or 0 if unknown, as in
	// EncryptOptions; a known size keeps small bodies in memory while they
	// are sealed. A body of another length fails with ErrInvalid.
	Size int64
	// Update, if not zero, is the record to write a new version of; the
	// caller must own it or hold write in its ACL.
	Update RecordID
}

// Put encrypts body on this device and stores it as a new record, or as a new
// version of opts.Update, and appends the write to this account's chain in
// the same server transaction.
func (c *Client) Put(ctx context.Context, body io.Reader, opts *PutOptions) (*RecordInfo, error) {
	if opts == nil {
		opts = &PutOptions{}
	}
	return c.putRecord(ctx, &spoolSealer{body: body, size: opts.Size}, opts)
}

// putRecord writes a version of a user's record, its body sealed by s.
func (c *Client) putRecord(ctx context.Context, s versionSealer, opts *PutOptions) (_ *RecordInfo, err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return nil, err
	}
	now := time.Now()
	meta := record.Meta{Title: opts.Title, Type: opts.Type, Tags: opts.Tags, Created: now, Modified: now}
	return c.putVersion(ctx, s, opts.Update, meta, format.EventVersion)
}

// put seals and uploads one version; event is EventVersion, or EventProfile
// for the profile record.
func (c *Client) put(ctx context.Context, body io.Reader, size int64, update [32]byte, meta record.Meta, event format.Event) (*RecordInfo, error) {
	return c.putVersion(ctx, &spoolSealer{body: body, size: size}, update, meta, event)
}

// versionSealer seals the body of a version being written: here into spools
// (spoolSealer), or outside Go (externalSealer).
type versionSealer interface {
	seal(ctx context.Context, p *record.SealParams) (*sealedVersion, error)
}

// sealedVersion is a sealed version ready to upload.
type sealedVersion struct {
	header *format.Header
	length uint64 // the body's true length
	// frame returns the whole upload: the frame head given (which ends with
	// the leaf list's length), the leaf list and the body. It is called again
	// for a retried upload.
	frame func(head []byte) (io.Reader, error)
	close func()
}

// putVersion seals a version with s and uploads it.
func (c *Client) putVersion(ctx context.Context, s versionSealer, update [32]byte, meta record.Meta, event format.Event) (*RecordInfo, error) {
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
		g, err := sealGrant(c.id, a.RecordID, 1, c.id.card, epochKey)
		if err != nil {
			return nil, err
		}
		grants = []grantItem{{me, g}}
		if event == format.EventVersion && meta.Type != teamType && meta.Type != collectionType {
			// A record joins the collections whose rule it matches as it is written.
			joined, err := c.joinByRule(ctx, &meta)
			if err != nil {
				return nil, err
			}
			for _, col := range joined {
				a.Entries = append(a.Entries, format.ACLEntry{Reader: format.KeyID(col.pk), Rights: format.RightRead})
				g, err := sealGrantTo(c.id, a.RecordID, 1, col.pk, col.name, epochKey)
				if err != nil {
					return nil, err
				}
				grants = append(grants, grantItem{col.id, g})
			}
			sortACL(a)
		}
		if err := a.Sign(c.id.sign); err != nil {
			return nil, err
		}
		acl = a.Marshal()
		p.RecordID, p.Owner, p.Version, p.ACL, p.EpochKey = a.RecordID, me, 1, a, epochKey
	} else {
		head, err := c.fetch(ctx, update, 0)
		if err != nil {
			return nil, err
		}
		if head, err = c.followGroups(ctx, head); err != nil {
			return nil, err
		}
		defer head.close()
		key, ok := head.epochs[head.acl.Epoch]
		if !ok {
			return nil, fmt.Errorf("%w: no key for the current epoch %d", CheckMissingGrant, head.acl.Epoch)
		}
		p.RecordID, p.Owner, p.Version, p.PrevHeaderHash = update, head.owner, head.header.Version+1, head.header.Hash()
		p.ACL, p.EpochKey = head.acl, key
	}

	sv, err := s.seal(ctx, p)
	if err != nil {
		return nil, err
	}
	defer sv.close()
	h := sv.header

	if err := c.uploadVersion(ctx, event, h, acl, grants, sv.frame); err != nil {
		return nil, err
	}
	return &RecordInfo{RecordID: h.RecordID, Version: h.Version, Author: c.id.card, AuthorVerified: true,
		Title: meta.Title, Type: meta.Type, Tags: meta.Tags, Length: sv.length, Created: meta.Created,
		Modified: meta.Modified, StoredBytes: h.CiphertextLen, Epoch: h.Epoch, ACLSeq: p.ACL.Seq}, nil
}

// uploadVersion uploads version h with acl and grants (version 1 only), its
// leaf list and body after the frame head (frame, as sealedVersion's), and
// appends event for it to this account's chain in the same server
// transaction. A lost compare-and-swap on the chain (another device
// appended) is retried; one on the record's head is the caller's to
// resolve.
func (c *Client) uploadVersion(ctx context.Context, event format.Event, h *format.Header, acl []byte, grants []grantItem,
	frame func(head []byte) (io.Reader, error)) error {
	hh := h.Hash()
	return c.chainWrite(ctx, format.AccountEntry{Event: event, Record: h.RecordID, Owner: h.Owner, Number: h.Version, Object: hh},
		func(e *format.AccountEntry) ([]api.Receipt, error) {
			head := binary.BigEndian.AppendUint32(versionFrameHead(h, acl, grants, e), uint32(32*h.ChunkCount))
			open := func() (io.Reader, int64, error) {
				r, err := frame(head)
				return r, int64(len(head)) + int64(32*h.ChunkCount) + int64(h.CiphertextLen), err
			}
			return c.streamReceipts(ctx, "PUT", fmt.Sprintf("/v1/records/%x/versions/%d", h.RecordID, h.Version), open)
		},
		func(_ *format.AccountEntry, le *auditlog.Entry) bool {
			return le.Type == auditlog.VersionWritten && le.Subject == h.RecordID && le.Object == hh && le.Number == h.Version
		})
}

// streamReceipts sends a binary request body and returns the receipts of the
// answer.
func (c *Client) streamReceipts(ctx context.Context, method, path string, open func() (io.Reader, int64, error)) ([]api.Receipt, error) {
	resp, err := c.stream(ctx, method, path, map[string]string{"Content-Type": "application/octet-stream"}, open)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return receiptsOf(resp.Body)
}

// spoolSealer seals a body in Go on all cores, into spools: in memory when
// small, in unlinked temporary files otherwise.
type spoolSealer struct {
	body io.Reader
	size int64 // the body's length if known, else 0
}

func (s *spoolSealer) seal(ctx context.Context, p *record.SealParams) (*sealedVersion, error) {
	bodyHint, leafHint := int64(-1), int64(-1)
	if s.size > 0 {
		padded := int64(padding.BodySize(uint64(s.size)))
		bodyHint, leafHint = cobble.CiphertextSize(padded), 32*cobble.ChunkCount(padded)
	}
	bodySpool, err := newSpool(bodyHint)
	if err != nil {
		return nil, err
	}
	leafSpool, err := newSpool(leafHint)
	if err != nil {
		bodySpool.Close()
		return nil, err
	}
	closeAll := func() { bodySpool.Close(); leafSpool.Close() }
	counted := &countingReader{r: s.body}
	h, err := record.Seal(ctx, p, counted, bodySpool, leafSpool)
	if err == nil {
		err = checkSize(s.size, counted.n)
	}
	if err != nil {
		closeAll()
		return nil, err
	}
	return &sealedVersion{header: h, length: counted.n, frame: spooledFrame(leafSpool, bodySpool), close: closeAll}, nil
}

// spooledFrame returns the frame function of a version whose leaf list and
// body are spooled: the frame head, the leaves and the body, read again for
// each call.
func spooledFrame(leaves, body spool) func(head []byte) (io.Reader, error) {
	return func(head []byte) (io.Reader, error) {
		l, err := leaves.Reader()
		if err != nil {
			return nil, err
		}
		b, err := body.Reader()
		if err != nil {
			return nil, err
		}
		return io.MultiReader(bytes.NewReader(head), l, b), nil
	}
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
