package sdk

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/internal/record"
)

// A collection is a patient's group of records with a key of its own: a
// record in the collection lists the collection's key as a reader, with one
// grant to it, and sharing the collection with a person or a team is one
// grant of the collection's key record, whatever the number of records in
// it; records added later are readable by everyone the collection is shared
// with. Its key record, owned by the patient, works as a team's does (its ACL
// lists who reads the collection; the collection's key of an epoch is derived
// from that epoch's key), but nothing about a collection is public: its name
// and rule are in the key record's sealed metadata and the synced profile.

// collectionType is the metadata type of a collection's key record.
const collectionType = "application/vnd.blindvault.collection"

// CollectionOptions are the rule of a collection: a record written later
// whose type is Type, or which carries the tag Tag, joins it when written.
// Both empty: records join only by AddToCollection.
type CollectionOptions struct {
	Type, Tag string
}

// Collection is a collection of this account's records.
type Collection struct {
	ID        RecordID
	Name      string
	Type, Tag string // the rule; empty: by hand only
	Epoch     uint32
}

// collectionPin is a collection as the profile holds it.
type collectionPin struct {
	Name string `json:"name"`
	Type string `json:"type,omitempty"`
	Tag  string `json:"tag,omitempty"`
}

// CreateCollection creates a collection of this account's records.
func (c *Client) CreateCollection(ctx context.Context, name string, opts *CollectionOptions) (_ *Collection, err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return nil, err
	}
	if opts == nil {
		opts = &CollectionOptions{}
	}
	if name == "" || len(name) > 64 {
		return nil, fmt.Errorf("%w: a collection's name is 1 to 64 bytes", ErrInvalid)
	}
	for _, p := range c.prof.Collections {
		if p.Name == name {
			return nil, fmt.Errorf("%w: this account already has a collection %q", ErrConflict, name)
		}
	}
	now := time.Now()
	info, err := c.putKeyRecord(ctx, [32]byte{}, record.Meta{Title: name, Type: collectionType, Created: now, Modified: now})
	if err != nil {
		return nil, err
	}
	if c.prof.Collections == nil {
		c.prof.Collections = map[string]*collectionPin{}
	}
	c.prof.Collections[info.RecordID.String()] = &collectionPin{Name: name, Type: opts.Type, Tag: opts.Tag}
	c.profileDirty = true
	if err := c.pushProfile(ctx); err != nil {
		return nil, err
	}
	return &Collection{ID: info.RecordID, Name: name, Type: opts.Type, Tag: opts.Tag, Epoch: 1}, nil
}

// Collections returns this account's collections.
func (c *Client) Collections(ctx context.Context) (_ []*Collection, err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return nil, err
	}
	gs, err := c.collectionGroups(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*Collection, 0, len(gs))
	for _, g := range gs {
		p := c.prof.Collections[hex.EncodeToString(g.id[:])]
		out = append(out, &Collection{ID: g.id, Name: p.Name, Type: p.Type, Tag: p.Tag, Epoch: g.epoch})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// AddToCollection adds records of this account to a collection (by name or
// id): each lists the collection's key as a reader, with grants of all its
// epochs, so that whoever reads the collection reads the whole record.
func (c *Client) AddToCollection(ctx context.Context, collection string, ids ...RecordID) (err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return err
	}
	g, err := c.collectionGroup(ctx, collection)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := c.addToGroup(ctx, id, g, true); err != nil {
			return fmt.Errorf("record %x: %w", id[:4], err)
		}
	}
	return nil
}

// addToGroup makes group g a reader of record id, with the keys of the
// epochs a new reader gets (version.sharedEpochs).
func (c *Client) addToGroup(ctx context.Context, id [32]byte, g *groupRef, history bool) error {
	if id == g.id {
		return fmt.Errorf("%w: a group cannot read its own key record", ErrInvalid)
	}
	if err := c.checkRestricted(id, g.name, false); err != nil {
		return err
	}
	v, err := c.ownHead(ctx, id)
	if err != nil {
		return err
	}
	defer v.close()
	if _, ok := v.acl.Lookup(format.KeyID(g.pk)); ok && !history {
		return nil
	}
	acl := v.nextACL(v.acl.Epoch)
	acl.Entries = slices.DeleteFunc(acl.Entries, func(e format.ACLEntry) bool { return g.holds(e.Reader) })
	acl.Entries = append(acl.Entries, format.ACLEntry{Reader: format.KeyID(g.pk), Rights: format.RightRead})
	var grants []grantItem
	for _, e := range v.sharedEpochs(history) {
		gr, err := sealGrantTo(c.id, v.id, e, g.pk, g.name, v.epochs[e])
		if err != nil {
			return err
		}
		grants = append(grants, grantItem{g.id, gr})
	}
	return c.updateSharing(ctx, v, acl, grants, nil, nil)
}

// RemoveFromCollection takes a record out of a collection: a new epoch of the
// record without the collection's keys, as a revocation.
func (c *Client) RemoveFromCollection(ctx context.Context, collection string, id RecordID) (err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return err
	}
	g, err := c.collectionGroup(ctx, collection)
	if err != nil {
		return err
	}
	return c.withoutGroup(ctx, id, g)
}

// withoutGroup gives record id a new epoch whose key goes to every reader but
// group g.
func (c *Client) withoutGroup(ctx context.Context, id [32]byte, g *groupRef) error {
	v, err := c.ownHead(ctx, id)
	if err != nil {
		return err
	}
	defer v.close()
	acl := v.nextACL(v.acl.Epoch + 1)
	acl.Entries = slices.DeleteFunc(acl.Entries, func(e format.ACLEntry) bool { return g.holds(e.Reader) })
	if len(acl.Entries) == len(v.acl.Entries) {
		return fmt.Errorf("record %x is not shared with %s: %w", id[:4], g.name, ErrNotFound)
	}
	key := newKey()
	defer clear(key)
	grants, err := c.regrant(ctx, v, acl, key, nil)
	if err != nil {
		return err
	}
	return c.updateSharing(ctx, v, acl, grants, [][32]byte{g.id}, nil)
}

// collectionGroup resolves a collection of this account by name or id.
func (c *Client) collectionGroup(ctx context.Context, ref string) (*groupRef, error) {
	for key, p := range c.prof.Collections {
		if key == strings.ToLower(ref) || p.Name == ref {
			return c.ownGroup(ctx, mustID(key), "collection "+p.Name)
		}
	}
	return nil, fmt.Errorf("no collection %q: %w", ref, ErrNotFound)
}

// collectionGroups returns this account's live collections.
func (c *Client) collectionGroups(ctx context.Context) ([]*groupRef, error) {
	var out []*groupRef
	for key, p := range c.prof.Collections {
		g, err := c.ownGroup(ctx, mustID(key), "collection "+p.Name)
		if errors.Is(err, ErrDeleted) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

// ownGroup reads the key record of a collection this account owns and
// derives the collection's keys of every epoch. A collection shared with a
// team that changed its key since first moves to the team's new key (a new
// epoch of the collection), so that what joins the collection from now on is
// closed to whoever the team removed.
func (c *Client) ownGroup(ctx context.Context, id [32]byte, name string) (*groupRef, error) {
	v, err := c.ownHead(ctx, id)
	if err != nil {
		return nil, err
	}
	if len(c.prof.Teams) > 0 {
		teams, err := c.teamGroups(ctx)
		if err != nil {
			v.close()
			return nil, err
		}
		if v, err = c.followGroupsIn(ctx, v, teams); err != nil {
			return nil, err
		}
	}
	defer v.close()
	g := &groupRef{id: id, name: name, epoch: v.acl.Epoch}
	for e, key := range v.epochs {
		pk, err := groupPublic(key, id, e)
		if err != nil {
			return nil, err
		}
		g.keys = append(g.keys, format.KeyID(pk))
		if e == v.acl.Epoch {
			g.pk = pk
		}
	}
	if g.pk == nil {
		return nil, fmt.Errorf("%w: no key for the current epoch of %s", CheckMissingGrant, name)
	}
	return g, nil
}

// joinByRule returns the collections a new record with meta joins by their
// rule.
func (c *Client) joinByRule(ctx context.Context, meta *record.Meta) ([]*groupRef, error) {
	var out []*groupRef
	for key, p := range c.prof.Collections {
		if (p.Type == "" || p.Type != meta.Type) && (p.Tag == "" || !slices.Contains(meta.Tags, p.Tag)) {
			continue
		}
		g, err := c.ownGroup(ctx, mustID(key), "collection "+p.Name)
		if errors.Is(err, ErrDeleted) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}
