package sdk

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/blindvault/blindvault/internal/format"
)

// Restriction (the right to restrict): a patient marks records that no group
// share may include, now or later. Restricting a record takes it out of every
// collection and team it is shared with (a new epoch, as a revocation); a
// restricted record joins no collection by rule or by hand and is shared with
// no team; a share with one person asks for ShareOptions.ConfirmRestricted.
// The mark is the owner's own decision, kept in the synced profile (encrypted,
// shared by the owner's devices): the server does not learn which records are
// restricted, and enforces nothing about them; the owner's clients do.

// Restrict marks record id (owned by this account) restricted and removes it
// from every group share.
func (c *Client) Restrict(ctx context.Context, id RecordID) (err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return err
	}
	v, err := c.ownHead(ctx, id)
	if err != nil {
		return err
	}
	groups, err := c.readerGroups(ctx)
	if err != nil {
		v.close()
		return err
	}
	var held []*groupRef
	for _, g := range groups {
		if slices.ContainsFunc(v.acl.Entries, func(e format.ACLEntry) bool { return g.holds(e.Reader) }) {
			held = append(held, g)
		}
	}
	v.close()
	if c.prof.Restricted == nil {
		c.prof.Restricted = map[string]bool{}
	}
	c.prof.Restricted[id.String()] = true
	c.profileDirty = true
	if err := c.pushProfile(ctx); err != nil {
		return err
	}
	for _, g := range held {
		if err := c.withoutGroup(ctx, id, g); err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("taking the record out of %s: %w", g.name, err)
		}
	}
	return nil
}

// Unrestrict lifts the restriction of record id; it joins nothing again by
// itself.
func (c *Client) Unrestrict(ctx context.Context, id RecordID) (err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return err
	}
	if !c.prof.Restricted[id.String()] {
		return nil
	}
	delete(c.prof.Restricted, id.String())
	c.profileDirty = true
	return c.pushProfile(ctx)
}

// Restricted reports whether record id is restricted.
func (c *Client) Restricted(id RecordID) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.prof != nil && c.prof.Restricted[id.String()]
}

// checkRestricted refuses to let a restricted record reach a group, or a
// person without the caller's explicit confirmation.
func (c *Client) checkRestricted(id [32]byte, what string, confirmed bool) error {
	if c.prof.Restricted[RecordID(id).String()] && !confirmed {
		return fmt.Errorf("record %x cannot be shared with %s: %w", id[:4], what, ErrRestricted)
	}
	return nil
}
