package sdk

import (
	"context"
	"encoding/hex"
	"fmt"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/internal/auditlog"
	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/internal/record"
)

// Reading a record means believing nothing the server says until it verifies:
// the header and ACL signatures, the owner's and author's cards against their
// pins, write authority, the grant's signer, the commitment after unwrapping,
// and, against what this device has seen, that nothing is older than before.

// version is a record version that verified, with the epoch keys this
// account holds for it.
type version struct {
	id       [32]byte
	owner    [32]byte
	header   *format.Header
	acl      *format.ACL // the ACL in force now
	author   *KeyCard
	ownerKC  *KeyCard
	epochs   map[uint32][]byte // epoch keys from this account's grants
	unlocked *record.Unlocked
	// priorACLs are the view's ACLs before the current one, newest first,
	// not yet verified (api.Record.PriorACLs).
	priorACLs [][]byte
	// via is the group this account reads the record through, if the
	// server said so (api.Record.Via); nil for its own grants.
	via *[32]byte
}

func (v *version) close() {
	if v.unlocked != nil {
		v.unlocked.Close()
	}
	for _, k := range v.epochs {
		clear(k)
	}
}

// fetch returns version n of record id (0: the head), verified and unlocked.
func (c *Client) fetch(ctx context.Context, id [32]byte, n uint64) (*version, error) {
	path := fmt.Sprintf("/v1/records/%x", id)
	if n > 0 {
		path += fmt.Sprintf("/versions/%d", n)
	}
	var view api.Record
	if err := c.call(ctx, "GET", path, nil, &view); err != nil {
		if isStatus(err, statusNotFound) {
			return nil, c.explainMissing(ctx, id, err)
		}
		return nil, err
	}
	return c.fetched(ctx, id, n, &view)
}

// fetched verifies and unlocks the server's view of version n of record id
// (0: the head), as fetch or a list's views request got it.
func (c *Client) fetched(ctx context.Context, id [32]byte, n uint64, view *api.Record) (*version, error) {
	owner, err := ParseRecordID(view.Owner)
	if err != nil || view.ID != hex.EncodeToString(id[:]) {
		return nil, fmt.Errorf("%w: asked for record %x", CheckWrongRecord, id[:4])
	}
	floor, err := c.floor(ctx, id, owner)
	if err != nil {
		return nil, err
	}
	if view.Deleted {
		if !floor.deleted {
			return nil, fmt.Errorf("%w: the server says record %x was deleted, its owner's chain does not", CheckRollback, id[:4])
		}
		return nil, ErrDeleted
	}
	if floor.deleted {
		return nil, fmt.Errorf("%w: record %x was deleted, the server still serves it", CheckRollback, id[:4])
	}
	v := &version{id: id, owner: owner, epochs: map[uint32][]byte{}, priorACLs: view.PriorACLs}
	if view.Via != "" {
		g, err := ParseRecordID(view.Via)
		if err != nil || g == RecordID(id) {
			return nil, fmt.Errorf("%w: record %x served through group %q", CheckGrant, id[:4], view.Via)
		}
		v.via = (*[32]byte)(&g)
	}
	if err := c.verifyVersion(ctx, v, view, n, floor); err != nil {
		v.close()
		return nil, err
	}
	// The salt is kept from a view that verified, for audits.
	if key := hex.EncodeToString(id[:]); len(view.LogSalt) == auditlog.SaltSize && c.prof.Salts[key] == nil {
		c.prof.setSalt(key, view.LogSalt)
	}
	return v, nil
}

// verifyVersion checks a version's view in the order of client-v1 §5: the
// ACL in force against the floor, the header against what was asked and the
// floor, the write authority of its author, its grants, and then unlocks it.
func (c *Client) verifyVersion(ctx context.Context, v *version, view *api.Record, n uint64, floor *floor) error {
	ownerCards, err := c.cards(ctx, v.owner)
	if err != nil {
		return err
	}
	v.ownerKC = ownerCards[len(ownerCards)-1]
	if err := c.verifyACL(v, view, ownerCards, floor); err != nil {
		return err
	}
	if err := verifyHeader(v, view, n, floor); err != nil {
		return err
	}
	hdrACL, err := c.aclByHash(ctx, v, v.header.ACLHash, ownerCards)
	if err != nil {
		return err
	}
	if err := c.verifyAuthor(ctx, v, hdrACL, ownerCards); err != nil {
		return err
	}
	if err := c.openGrants(ctx, v, view.Grants, hdrACL); err != nil {
		return err
	}
	return c.unlock(ctx, v, hdrACL)
}

// verifyACL parses the ACL in force and checks it against the floor.
func (c *Client) verifyACL(v *version, view *api.Record, ownerCards []*KeyCard, floor *floor) error {
	var err error
	if v.acl, err = parseACL(view.ACL, v.id, ownerCards); err != nil {
		return err
	}
	switch {
	case v.acl.Seq < floor.aclSeq:
		return fmt.Errorf("%w: ACL %d of record %x, this device has seen %d", CheckRollback, v.acl.Seq, v.id[:4], floor.aclSeq)
	case v.acl.Seq == floor.hashedACL && floor.aclHash != "" && !sameHash(floor.aclHash, v.acl.Hash()):
		return fmt.Errorf("%w: two ACLs of seq %d for record %x", CheckEquivocation, v.acl.Seq, v.id[:4])
	}
	return nil
}

// verifyHeader parses the header and checks it is the one asked for, not
// below the floor, and not another header of a version already seen.
func verifyHeader(v *version, view *api.Record, n uint64, floor *floor) error {
	h, err := format.ParseHeader(view.Header)
	if err != nil {
		return fmt.Errorf("record header: %w", err)
	}
	switch {
	case h.RecordID != v.id || h.Owner != v.owner || (n > 0 && h.Version != n) || (n == 0 && h.Version != view.Version):
		return fmt.Errorf("%w: header of record %x version %d", CheckWrongRecord, h.RecordID[:4], h.Version)
	case n == 0 && h.Version < floor.version:
		return fmt.Errorf("%w: version %d of record %x, this device has seen %d", CheckRollback, h.Version, v.id[:4], floor.version)
	case h.Version == floor.hashedVersion && floor.headerHash != "" && !sameHash(floor.headerHash, h.Hash()):
		return fmt.Errorf("%w: two headers for version %d of record %x", CheckEquivocation, h.Version, v.id[:4])
	}
	v.header = h
	return nil
}

// verifyAuthor checks the header's signer and its write authority. Write
// authority is judged by the ACL in force when the version was written, which
// is the one its header signs (hdrACL): a delegate may write from the ACL that
// gave it write on. That ACL may not be older than the one the previous
// version signed, or a revoked writer could sign against a stale ACL
// (docs/decisions.md, "Write authority").
func (c *Client) verifyAuthor(ctx context.Context, v *version, hdrACL *format.ACL, ownerCards []*KeyCard) error {
	h := v.header
	var prevACL *format.ACL
	if h.Version > 1 {
		prevACL = hdrACL
	}
	if h.Author != v.owner && h.Version > 1 {
		var prev api.Record
		if err := c.call(ctx, "GET", fmt.Sprintf("/v1/records/%x/versions/%d", v.id, h.Version-1), nil, &prev); err != nil {
			return err
		}
		ph, err := format.ParseHeader(prev.Header)
		if err != nil || ph.Hash() != h.PrevHeaderHash {
			return fmt.Errorf("%w: previous header of version %d", CheckWrongRecord, h.Version)
		}
		prevHdrACL, err := c.aclByHash(ctx, v, ph.ACLHash, ownerCards)
		if err != nil {
			return err
		}
		if hdrACL.Seq < prevHdrACL.Seq {
			return fmt.Errorf("%w: version %d signs ACL %d, older than version %d's ACL %d", CheckWriteAuthority, h.Version, hdrACL.Seq, h.Version-1, prevHdrACL.Seq)
		}
	}
	author, err := c.author(ctx, h)
	if err != nil {
		return err
	}
	v.author = author
	return record.VerifyHeader(h, hdrACL, prevACL, record.Author{Card: author.c})
}

// unlock opens the version with the key of its epoch from this account's
// grants, or says why it holds none: a withheld grant or no share at all.
func (c *Client) unlock(ctx context.Context, v *version, hdrACL *format.ACL) error {
	h := v.header
	key, ok := v.epochs[h.Epoch]
	if !ok {
		// Every reader of an ACL holds a grant of its epoch: a reader of the
		// ACL the header signs, or of the ACL in force at the header's epoch,
		// has one for this version. (A reader added after a revocation holds
		// only the new epoch's key, unless shared with history.)
		me := format.KeyID(c.id.card.c.XWingPK)
		_, atWrite := hdrACL.Lookup(me)
		_, inForce := v.acl.Lookup(me)
		if atWrite || (inForce && v.acl.Epoch == h.Epoch) {
			return fmt.Errorf("%w: epoch %d of record %x", CheckMissingGrant, h.Epoch, v.id[:4])
		}
		return fmt.Errorf("%w: epoch %d of record %x", ErrNotRecipient, h.Epoch, v.id[:4])
	}
	var err error
	if v.unlocked, err = record.Unlock(h, key); err != nil {
		return err
	}
	return c.raiseFloor(ctx, v)
}

// parseACL parses and verifies an ACL of record id under the owner's keys.
func parseACL(raw []byte, id [32]byte, ownerCards []*KeyCard) (*format.ACL, error) {
	acl, err := format.ParseACL(raw)
	if err != nil {
		return nil, fmt.Errorf("ACL: %w", err)
	}
	if acl.RecordID != id || acl.Owner != ownerCards[0].c.AccountID {
		return nil, fmt.Errorf("%w: ACL of another record", CheckWrongRecord)
	}
	for _, kc := range ownerCards {
		if acl.Verify(kc.c.Ed25519PK) == nil {
			return acl, nil
		}
	}
	return nil, fmt.Errorf("%w: ACL %d of record %x is not signed by its owner", CheckBadSignature, acl.Seq, id[:4])
}

// aclByHash returns the ACL of v's record with the given hash, walking back
// from the current ACL through signed predecessors.
func (c *Client) aclByHash(ctx context.Context, v *version, hash [32]byte, ownerCards []*KeyCard) (*format.ACL, error) {
	cur := v.acl
	w := c.aclWalks[v.id]
	if w != nil && (c.noCache || w.base.Hash() != hash) {
		w = nil
	}
	var seen [][32]byte
	for cur.Hash() != hash {
		if w != nil && w.reach[cur.Hash()] {
			cur = w.base // verified to descend from it before
			break
		}
		seen = append(seen, cur.Hash())
		if cur.Seq == 1 {
			return nil, fmt.Errorf("%w: the header signs an ACL the record never had", CheckWrongACL)
		}
		raw, err := c.priorACL(ctx, v, cur.Seq-1)
		if err != nil {
			return nil, err
		}
		prev, err := parseACL(raw, v.id, ownerCards)
		if err != nil {
			return nil, err
		}
		if err := cur.VerifySuccessor(prev); err != nil {
			return nil, fmt.Errorf("%w: ACL %d: %w", CheckEquivocation, cur.Seq, err)
		}
		cur = prev
	}
	c.rememberWalk(v.id, cur, seen)
	return cur, nil
}

// priorACL returns the signed ACL seq of v's record: from the view's prior
// ACLs when it brought that one, else from the server. Either way the caller
// verifies it against its successor.
func (c *Client) priorACL(ctx context.Context, v *version, seq uint64) ([]byte, error) {
	if i := int(v.acl.Seq - 1 - seq); v.acl.Seq > seq && i < len(v.priorACLs) {
		return v.priorACLs[i], nil
	}
	var out api.ACL
	if err := c.call(ctx, "GET", fmt.Sprintf("/v1/records/%x/acl?seq=%d", v.id, seq), nil, &out); err != nil {
		return nil, err
	}
	return out.ACL, nil
}

// author returns the card of h's author whose identity key is h's signer_pk:
// any card of the author's verified card chain, so that headers signed before
// a key rotation stay valid. A header signed by any other key, a device key
// included, is CheckSigner (format-v1 §2.7): a device key's header carries a
// created time of the signer's choosing, which cannot be ordered against the
// device's revocation.
func (c *Client) author(ctx context.Context, h *format.Header) (*KeyCard, error) {
	cards, err := c.cards(ctx, h.Author)
	if err != nil {
		return nil, err
	}
	for _, kc := range cards {
		if kc.c.Ed25519PK == h.SignerPK {
			return kc, nil
		}
	}
	return nil, fmt.Errorf("%w: the header's signer is not an identity key of its author", CheckSigner)
}

// openGrants verifies this account's grants for v's record and opens each: a
// grant must be signed by the owner or by a reader holding share in the ACL,
// and be to this account's key or, read through a group, to the group's.
func (c *Client) openGrants(ctx context.Context, v *version, raw [][]byte, hdrACL *format.ACL) error {
	for _, b := range raw {
		g, err := format.ParseGrant(b)
		if err != nil {
			return fmt.Errorf("%w: %w", CheckGrant, err)
		}
		if g.RecordID != v.id {
			return fmt.Errorf("%w: grant for another record or reader", CheckGrant)
		}
		if err := c.checkGranter(ctx, g, v, hdrACL); err != nil {
			return err
		}
		own := g.Recipient == format.KeyID(c.id.card.c.XWingPK)
		if key, ok := c.openedGrant(g); own && ok {
			v.epochs[g.Epoch] = key
			continue
		}
		xkey, err := c.grantKey(ctx, g, v.via)
		if err != nil {
			return err
		}
		key, err := xkey.Open(g.RecordID, g.Epoch, g.Enc, g.CT)
		if err != nil {
			return fmt.Errorf("%w: %w", CheckGrant, err)
		}
		if own {
			c.rememberGrant(g, key)
		}
		v.epochs[g.Epoch] = key
	}
	return nil
}

func (c *Client) checkGranter(ctx context.Context, g *format.Grant, v *version, acls ...*format.ACL) error {
	cards, err := c.cards(ctx, g.Granter)
	if err != nil {
		return fmt.Errorf("%w: granter: %w", CheckGrant, err)
	}
	var signer *KeyCard
	for _, kc := range cards {
		if kc.c.Ed25519PK == g.SignerPK && g.Verify(g.SignerPK) == nil {
			signer = kc
		}
	}
	if signer == nil {
		return fmt.Errorf("%w: grant not signed by its granter", CheckGrant)
	}
	if g.Granter == v.owner {
		return nil
	}
	for _, acl := range append([]*format.ACL{v.acl}, acls...) {
		if r, ok := acl.Lookup(format.KeyID(signer.c.XWingPK)); ok && r.Has(format.RightShare) {
			return nil
		}
	}
	return fmt.Errorf("%w: grant by %s, who may not share this record", CheckGrant, signer.c.Handle)
}
