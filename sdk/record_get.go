package sdk

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/blindvault/blindvault/internal/auditlog"
	"github.com/blindvault/blindvault/internal/cobble"
	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/internal/record"
)

// Get verifies the newest version of record id and writes its plaintext to w,
// each chunk only after its leaf and tag have been checked, in order.
func (c *Client) Get(ctx context.Context, id RecordID, w io.Writer) (*RecordInfo, error) {
	return c.GetVersion(ctx, id, 0, w)
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
func (c *Client) bodyStreams(ctx context.Context, v *version) (spool, *response, error) {
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
	want, nonce, err := c.bodyReadEntry(id, h)
	if err != nil {
		spooled.Close()
		return nil, nil, err
	}
	body, err := c.stream(ctx, "GET", fmt.Sprintf("/v1/records/%x/versions/%d/body", id, h.Version),
		map[string]string{readNonceHeader: hex.EncodeToString(nonce[:])}, nil)
	if err != nil {
		spooled.Close()
		return nil, nil, err
	}
	// The server must have logged this read, this request of this account,
	// before serving it.
	rcs, err := receiptHeader(body)
	if err == nil {
		err = c.expectLogged(ctx, rcs, want)
	}
	if err != nil {
		body.Body.Close()
		spooled.Close()
		return nil, nil, err
	}
	return spooled, body, nil
}

// readNonceHeader carries a body read's request nonce (docs/spec/log-v1.md §1).
const readNonceHeader = "Blindvault-Read-Nonce"

// bodyReadEntry picks a fresh request nonce for a read of version h of record
// id and returns it with the test its receipt's entry must pass: a body read
// of this record, header and version, by this account (its actor hash under
// the record's log salt this client pinned) and for this request (Peer is the
// nonce). A receipt of another reader's read, or of an earlier read of this
// one, proves nothing about this request, so it is CheckNotLogged.
func (c *Client) bodyReadEntry(id [32]byte, h *format.Header) (func(*auditlog.Entry) bool, [32]byte, error) {
	var nonce [32]byte
	salt := c.prof.Salts[hex.EncodeToString(id[:])]
	if len(salt) != auditlog.SaltSize {
		return nil, nonce, fmt.Errorf("%w: record %x: no log salt pinned to check the read's entry", CheckNotLogged, id[:4])
	}
	rand.Read(nonce[:])
	me, hh := auditlog.ActorHash(salt, c.accountID()), h.Hash()
	return func(e *auditlog.Entry) bool {
		return e.Type == auditlog.BodyRead && e.Subject == id && e.Object == hh && e.Number == h.Version &&
			e.Actor == me && e.Peer == nonce
	}, nonce, nil
}

// openUnlocked streams a body through u.Open. A body that does not start with
// the salt and commitment the header signs (another record's body, say) is
// CheckCommitment, as a key that does not match them is.
func openUnlocked(ctx context.Context, u *record.Unlocked, dst io.Writer, body, leaves io.Reader, workers int) error {
	err := u.Open(ctx, dst, body, leaves, workers)
	if errors.Is(err, cobble.ErrCommitment) {
		return fmt.Errorf("%w: the body is not the one the header signs: %w", CheckCommitment, err)
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
