package sdk

import (
	"bytes"
	"context"
	"slices"

	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/internal/record"
)

// groupRef is a group (a care team or a collection) as a reader of this
// account's records: its id (its key record's), its current key, and the
// KeyIDs of every key of it this client knows, so that an ACL listing an
// older one can be brought to the current one.
type groupRef struct {
	id    [32]byte
	name  string
	epoch uint32
	pk    []byte
	keys  [][32]byte
}

// putKeyRecord writes a version of a group's key record (a team's, a
// collection's, a threshold key's): new if update is zero. Its body is the
// title: what a group holds is in its ACL and grants, not its body.
func (c *Client) putKeyRecord(ctx context.Context, update [32]byte, m record.Meta) (*RecordInfo, error) {
	body := []byte(m.Title + "\n")
	return c.put(ctx, bytes.NewReader(body), int64(len(body)), update, m, format.EventVersion)
}

// holds reports whether key is one of the group's keys, of any epoch.
func (g *groupRef) holds(key [32]byte) bool {
	return format.KeyID(g.pk) == key || slices.Contains(g.keys, key)
}

// readerGroups returns the groups this account's records may list as
// readers: the teams it pinned and its own collections.
func (c *Client) readerGroups(ctx context.Context) ([]*groupRef, error) {
	thresholds, err := c.thresholdGroups(ctx)
	if err != nil {
		return nil, err
	}
	if len(c.prof.Teams) == 0 && len(c.prof.Collections) == 0 {
		return thresholds, nil
	}
	teams, err := c.teamGroups(ctx)
	if err != nil {
		return nil, err
	}
	cols, err := c.collectionGroups(ctx)
	if err != nil {
		return nil, err
	}
	return append(append(cols, teams...), thresholds...), nil
}

// group returns the team as a reader of records.
func (t *Team) group() *groupRef {
	return &groupRef{id: t.ID, name: "team " + t.Name, epoch: t.Epoch, pk: t.pk, keys: t.keys}
}

// followGroups moves a record this account owns to the current keys of the
// groups it is shared with before a new version is written: if the ACL lists
// a group by an older key (a team removed a member, a collection was revoked
// from someone), a new ACL and epoch replace it, as a revocation does, so that
// the new version is closed to whoever the group dropped. It returns the head
// to write on: v itself if nothing changed.
func (c *Client) followGroups(ctx context.Context, v *version) (*version, error) {
	if v.owner != c.accountID() || (len(c.prof.Teams) == 0 && len(c.prof.Collections) == 0) {
		return v, nil // no group this account could have shared with
	}
	// A record read by people alone lists no group: no group's key record
	// needs reading.
	known, err := c.knownCards(ctx)
	if err != nil {
		v.close()
		return nil, err
	}
	if !slices.ContainsFunc(v.acl.Entries, func(e format.ACLEntry) bool { _, ok := known[e.Reader]; return !ok }) {
		return v, nil
	}
	groups, err := c.readerGroups(ctx)
	if err != nil {
		v.close()
		return nil, err
	}
	return c.followGroupsIn(ctx, v, groups)
}

// followGroupsIn is followGroups against the given groups.
func (c *Client) followGroupsIn(ctx context.Context, v *version, groups []*groupRef) (*version, error) {
	stale := false
	for _, e := range v.acl.Entries {
		for _, g := range groups {
			stale = stale || (g.holds(e.Reader) && format.KeyID(g.pk) != e.Reader)
		}
	}
	if !stale {
		return v, nil
	}
	defer v.close()
	acl := v.nextACL(v.acl.Epoch + 1)
	key := newKey()
	defer clear(key)
	grants, err := c.regrant(ctx, v, acl, key, groups)
	if err != nil {
		return nil, err
	}
	if err := c.updateSharing(ctx, v, acl, grants, nil, nil); err != nil {
		return nil, err
	}
	return c.fetch(ctx, v.id, 0)
}

// teamGroups returns the pinned teams as readers of records.
func (c *Client) teamGroups(ctx context.Context) ([]*groupRef, error) {
	teams, err := c.pinnedTeams(ctx, false)
	if err != nil {
		return nil, err
	}
	out := make([]*groupRef, 0, len(teams))
	for _, t := range teams {
		out = append(out, t.group())
	}
	return out, nil
}
