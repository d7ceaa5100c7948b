package sdk

import (
	"context"
	"encoding/hex"
	"fmt"

	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/internal/grant"
)

// A record shared with a group (a care team, or a collection) carries a grant
// to the group's key, not to this account's. The server names the group it
// serves the record through (api.Record.Via); this client then reads the
// group's key record like any record it may read (every signature, the
// owner's chain, the floor), derives the group's key of each epoch it holds
// (grant.GroupSeed), and opens the grant with the one whose KeyID the grant
// names. The server's word picks the group; only a key this account derived
// can open the grant.

// maxGroupDepth bounds how many groups a grant is followed through: a record
// in a collection shared with a team is two.
const maxGroupDepth = 2

// groupKey returns the key of group whose KeyID is want, from the group's key
// record. Keys derived in this operation are kept for its next records.
func (c *Client) groupKey(ctx context.Context, group [32]byte, want [32]byte) (*grant.PrivateKey, error) {
	if k, ok := c.groupKeys[want]; ok {
		return k, nil
	}
	if k, ok := c.thresholdKeys[want]; ok {
		return k, nil
	}
	if k, err := c.keptThresholdKey(ctx, want); k != nil || err != nil {
		return k, err
	}
	if c.groupDepth >= maxGroupDepth {
		return nil, fmt.Errorf("%w: the grant is reached through more than %d groups", CheckGrant, maxGroupDepth)
	}
	c.groupDepth++
	v, err := c.fetch(ctx, group, 0)
	c.groupDepth--
	if err != nil {
		return nil, fmt.Errorf("group %x: %w", group[:4], err)
	}
	defer v.close()
	if m := v.unlocked.Meta; m.Type == teamType || m.Type == collectionType {
		c.pinGroup(group, v.owner, m.Type, m.Title) // lists go through it from now on
	}
	if c.groupKeys == nil {
		c.groupKeys = map[[32]byte]*grant.PrivateKey{}
	}
	for e, key := range v.epochs {
		seed, err := grant.GroupSeed(key, group, e)
		if err != nil {
			return nil, err
		}
		k, err := grant.NewPrivateKey(seed)
		clear(seed)
		if err != nil {
			return nil, err
		}
		c.groupKeys[format.KeyID(k.Public())] = k
	}
	if k, ok := c.groupKeys[want]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("%w: no epoch of group %x this account holds has the grant's key", CheckGrant, group[:4])
}

// grantKey returns the key that opens g: this account's, or, for a record
// read through a group (via), the group's.
func (c *Client) grantKey(ctx context.Context, g *format.Grant, via *[32]byte) (*grant.PrivateKey, error) {
	if g.Recipient == format.KeyID(c.id.card.c.XWingPK) {
		return c.id.xkey, nil
	}
	if via == nil {
		return nil, fmt.Errorf("%w: grant for another record or reader", CheckGrant)
	}
	return c.groupKey(ctx, *via, g.Recipient)
}

// pinGroup remembers a group whose key record this account read: a team, or
// another account's collection.
func (c *Client) pinGroup(id, owner [32]byte, typ, name string) {
	switch {
	case typ == teamType:
		c.pinTeam(id, owner, name)
	case typ == collectionType && owner != c.accountID():
		key := hex.EncodeToString(id[:])
		if c.prof.SharedCollections[key] != "" {
			return
		}
		if c.prof.SharedCollections == nil {
			c.prof.SharedCollections = map[string]string{}
		}
		c.prof.SharedCollections[key] = hex.EncodeToString(owner[:])
	}
}
