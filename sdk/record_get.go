package sdk

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/blindvault/blindvault/internal/auditlog"
	"github.com/blindvault/blindvault/internal/cobble"
	"github.com/blindvault/blindvault/internal/record"
)

// Get verifies the newest version of record id and writes its plaintext to w,
// each chunk only after its leaf and tag have been checked, in order.
func (c *Client) Get(ctx context.Context, id [32]byte, w io.Writer) (*RecordInfo, error) {
	defer c.begin()()
	if err := c.ready(); err != nil {
		return nil, err
	}
	v, err := c.fetch(ctx, id, 0)
	if err != nil {
		return nil, err
	}
	defer v.close()
	if err := c.openBody(ctx, v, w); err != nil {
		return nil, err
	}
	return v.info(), nil
}

// openBody streams a verified version's body into w.
func (c *Client) openBody(ctx context.Context, v *version, w io.Writer) error {
	leaves, body, err := c.bodyStreams(ctx, v)
	if err != nil {
		return err
	}
	defer leaves.Close()
	defer body.Body.Close()
	lr, err := leaves.Reader()
	if err != nil {
		return err
	}
	// The server's lengths mean nothing: the signed header bounds the read.
	br := io.LimitReader(body.Body, int64(v.header.CiphertextLen))
	return openUnlocked(ctx, v.unlocked, w, br, lr, c.cfg.Workers)
}

// bodyStreams fetches a verified version's leaf list, which must hash to the
// signed root before any chunk is opened, and then requests its body. The
// caller closes both.
func (c *Client) bodyStreams(ctx context.Context, v *version) (spool, *Response, error) {
	id, h := v.id, v.header
	leaves, err := c.stream(ctx, "GET", fmt.Sprintf("/v1/records/%x/versions/%d/leaves", id, h.Version), nil, nil)
	if err != nil {
		return nil, nil, err
	}
	defer leaves.Body.Close()
	spooled, err := newSpool(int64(32 * h.ChunkCount))
	if err != nil {
		return nil, nil, err
	}
	if err := record.CheckLeaves(h, leaves.Body, spooled); err != nil {
		spooled.Close()
		return nil, nil, err
	}
	body, err := c.stream(ctx, "GET", fmt.Sprintf("/v1/records/%x/versions/%d/body", id, h.Version), nil, nil)
	if err != nil {
		spooled.Close()
		return nil, nil, err
	}
	// The server must have logged this read before serving it.
	hh := h.Hash()
	rcs, err := receiptHeader(body)
	if err == nil {
		err = c.expectLogged(ctx, rcs, func(e *auditlog.Entry) bool {
			return e.Type == auditlog.BodyRead && e.Subject == id && e.Object == hh && e.Number == h.Version
		})
	}
	if err != nil {
		body.Body.Close()
		spooled.Close()
		return nil, nil, err
	}
	return spooled, body, nil
}

// openUnlocked streams a body through u.Open. A body that does not start with
// the salt and commitment the header signs (another record's body, say) is
// ErrCommitment, as a key that does not match them is.
func openUnlocked(ctx context.Context, u *record.Unlocked, dst io.Writer, body, leaves io.Reader, workers int) error {
	err := u.Open(ctx, dst, body, leaves, workers)
	if errors.Is(err, cobble.ErrCommitment) {
		return fmt.Errorf("%w: the body is not the one the header signs: %w", ErrCommitment, err)
	}
	return err
}

// info describes a verified version.
func (v *version) info() *RecordInfo {
	m := v.unlocked.Meta
	return &RecordInfo{RecordID: v.id, Version: v.header.Version, Author: v.author, AuthorVerified: true,
		Title: m.Title, Type: m.Type, Tags: m.Tags, Length: m.Length, Created: m.Created, Modified: m.Modified,
		Owner: v.ownerKC, StoredBytes: v.header.CiphertextLen, Epoch: v.header.Epoch, ACLSeq: v.acl.Seq}
}
