package sdk

import (
	"context"
	"fmt"
	"io"

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
	id, h := v.id, v.header
	leaves, err := c.stream(ctx, "GET", fmt.Sprintf("/v1/records/%x/versions/%d/leaves", id, h.Version), nil, nil)
	if err != nil {
		return err
	}
	defer leaves.Body.Close()
	// The leaf list must hash to the signed root before any chunk is opened.
	spooled, err := newSpool(int64(32 * h.ChunkCount))
	if err != nil {
		return err
	}
	defer spooled.Close()
	if err := record.CheckLeaves(h, leaves.Body, spooled); err != nil {
		return err
	}
	lr, err := spooled.Reader()
	if err != nil {
		return err
	}
	body, err := c.stream(ctx, "GET", fmt.Sprintf("/v1/records/%x/versions/%d/body", id, h.Version), nil, nil)
	if err != nil {
		return err
	}
	defer body.Body.Close()
	// The server's lengths mean nothing: the signed header bounds the read.
	br := io.LimitReader(body.Body, int64(h.CiphertextLen))
	return v.unlocked.Open(ctx, w, br, lr, c.cfg.Workers)
}

// info describes a verified version.
func (v *version) info() *RecordInfo {
	m := v.unlocked.Meta
	return &RecordInfo{RecordID: v.id, Version: v.header.Version, Author: v.author, AuthorVerified: true,
		Title: m.Title, Type: m.Type, Tags: m.Tags, Length: m.Length, Created: m.Created, Modified: m.Modified,
		Owner: v.ownerKC, StoredBytes: v.header.CiphertextLen, Epoch: v.header.Epoch, ACLSeq: v.acl.Seq}
}
