package sdk

import (
	"context"
	"encoding/hex"
	"errors"

	"github.com/blindvault/blindvault/internal/format"
)

// Reader is one reader of a record's ACL in force, as this device verified it.
type Reader struct {
	// Contact is the reader's verified account: this one, or a contact this
	// device pinned. It is nil for a reader this device cannot name (a
	// clinician looking at who else reads a patient's record); KeyID then
	// identifies the key.
	Contact *Contact
	// Team is the care team whose key this is, if the reader is a team this
	// device knows (its current key, or an older one until the next write).
	Team  *Team
	KeyID string // hex of the reader's key id (format-v1 §2.5)
	Owner bool   // the record's owner (every right)
	Write bool   // may write new versions
}

// Readers returns who can read record id now: the entries of the ACL in
// force, verified as Get verifies the record (signatures, the owner's chain,
// the floor), each named by the key card this device verified for it.
func (c *Client) Readers(ctx context.Context, id RecordID) (_ []Reader, err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return nil, err
	}
	v, err := c.fetch(ctx, id, 0)
	if err != nil {
		return nil, err
	}
	defer v.close()
	n, err := c.readerNamer(ctx)
	if err != nil {
		return nil, err
	}
	out, err := n.readers(ctx, v)
	if err != nil {
		return nil, err
	}
	return out, c.saveProfile(ctx)
}

// readersOf is Readers of several records in one operation, their views
// api.MaxViews a request (a summary of thousands of records asks for the
// views of each 200, not for each record and its owner's chain).
func (c *Client) readersOf(ctx context.Context, ids []RecordID) (_ map[RecordID][]Reader, err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return nil, err
	}
	n, err := c.readerNamer(ctx)
	if err != nil {
		return nil, err
	}
	keys := make([][32]byte, len(ids))
	for i, id := range ids {
		keys[i] = id
	}
	out := make(map[RecordID][]Reader, len(ids))
	err = c.eachView(ctx, keys, func(v *version) error {
		rs, err := n.readers(ctx, v)
		out[v.id] = rs
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, c.saveProfile(ctx)
}

// readerNamer names the readers of records by the cards and teams this
// device knows, read once for however many records.
type readerNamer struct {
	c     *Client
	known map[[32]byte]*KeyCard
	teams []*Team
}

func (c *Client) readerNamer(ctx context.Context) (*readerNamer, error) {
	known, err := c.knownCards(ctx)
	if err != nil {
		return nil, err
	}
	n := &readerNamer{c: c, known: known}
	if len(c.prof.Teams) > 0 {
		if n.teams, err = c.pinnedTeams(ctx, true); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// readers lists the ACL in force of v, verified, each reader named.
func (n *readerNamer) readers(ctx context.Context, v *version) ([]Reader, error) {
	out := make([]Reader, 0, len(v.acl.Entries))
	for _, e := range v.acl.Entries {
		r := Reader{KeyID: hex.EncodeToString(e.Reader[:]), Owner: e.Rights == format.RightsAll,
			Write: e.Rights.Has(format.RightWrite)}
		if kc, ok := n.known[e.Reader]; ok {
			r.Contact = &Contact{Handle: kc.Handle(), AccountID: kc.AccountID(), Card: kc, Fingerprint: kc.Fingerprint()}
			var err error
			if r.Contact.Attestation, err = n.c.attestation(ctx, kc.Fingerprint()); err != nil {
				return nil, err
			}
		}
		for _, t := range n.teams {
			if t.holds(e.Reader) {
				r.Team = t
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// knownCards returns the newest verified card of this account and of every
// pinned contact, by key id.
func (c *Client) knownCards(ctx context.Context) (map[[32]byte]*KeyCard, error) {
	out := map[[32]byte]*KeyCard{format.KeyID(c.id.card.c.XWingPK): c.id.card}
	for acct := range c.prof.Pins {
		cards, err := c.cards(ctx, mustID(acct))
		if errors.Is(err, ErrNotFound) {
			// A contact pinned on the server this account moved from and
			// not on this one (yet): no key of its is known here, and
			// whatever needs one fails as for a stranger.
			continue
		}
		if err != nil {
			return nil, err
		}
		kc := cards[len(cards)-1]
		out[format.KeyID(kc.c.XWingPK)] = kc
	}
	return out, nil
}
