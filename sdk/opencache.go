package sdk

import (
	"github.com/blindvault/blindvault/internal/format"
)

// Work a client does again and again on the same signed objects is
// remembered for the client's lifetime, keyed by what was verified, so that
// the answer cannot change: an admin adding members to a team re-reads the
// same key record each time.
//
//   - openedGrants: the epoch key of a grant to this account's own X-Wing
//     key, by the grant's hash (an X-Wing decapsulation each, one per epoch
//     of a team's key record). The grant is still served, parsed and
//     checked every time; only the decapsulation, whose result the grant's
//     bytes and this identity fix, is skipped. It holds no more than the
//     identity key in memory can open again.
//   - aclWalks: ACLs verified to descend, through owner-signed successors,
//     from the ACL a record's header signs, so that a record whose ACL moved
//     many times since its last version (a team that added members one by
//     one) is walked back once, not at every read.

// maxCached bounds each cache; a full one starts again.
const maxCached = 4096

// aclWalk is what this client verified of one record's ACL history: base,
// the ACL a header signs, and the hashes of later ACLs that descend from it.
type aclWalk struct {
	base  *format.ACL
	reach map[[32]byte]bool
}

// openedGrant returns a copy of the epoch key of grant g if this client
// opened it before.
func (c *Client) openedGrant(g *format.Grant) ([]byte, bool) {
	if c.noCache {
		return nil, false
	}
	k, ok := c.openedGrants[g.Hash()]
	if !ok {
		return nil, false
	}
	return append([]byte(nil), k...), true
}

// rememberGrant keeps a copy of the epoch key of a grant to this account.
func (c *Client) rememberGrant(g *format.Grant, key []byte) {
	if c.noCache {
		return
	}
	if c.openedGrants == nil || len(c.openedGrants) >= maxCached {
		for _, k := range c.openedGrants {
			clear(k)
		}
		c.openedGrants = map[[32]byte][]byte{}
	}
	c.openedGrants[g.Hash()] = append([]byte(nil), key...)
}

// rememberWalk records that the ACLs hashed in seen descend from base.
func (c *Client) rememberWalk(record [32]byte, base *format.ACL, seen [][32]byte) {
	if len(seen) == 0 || c.noCache {
		return
	}
	if c.aclWalks == nil || len(c.aclWalks) >= maxCached {
		c.aclWalks = map[[32]byte]*aclWalk{}
	}
	w := c.aclWalks[record]
	if w == nil || w.base.Hash() != base.Hash() {
		w = &aclWalk{base: base, reach: map[[32]byte]bool{}}
		c.aclWalks[record] = w
	}
	for _, h := range seen {
		w.reach[h] = true
	}
}
