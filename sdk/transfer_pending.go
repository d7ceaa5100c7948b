package sdk

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/blindvault/blindvault/internal/format"
)

// A reader of a moved record who is not on the new server yet stays in the
// record's ACL, which moves byte for byte, without a grant: the new server
// holds nothing that reader could open. The owner's profile keeps the reader
// pending (profile.Pending, synced to the account's devices), with the
// records it is owed. Once the reader is on the new server with the card this
// device pinned (or, for a care team, once its admin's chain there describes
// the team with the key the ACL lists), grantPending seals it every epoch key
// the record's ACL history lists it for, in one new ACL with the same
// readers. The server names no reader: it only serves cards and chains, which
// are checked against the pins as any share's are.

// pendingReader is a reader the profile keeps pending, by the KeyID the
// records' ACLs list.
type pendingReader struct {
	Account string   `json:"account"`         // the reader's account, or the team's key record (hex)
	Admin   string   `json:"admin,omitempty"` // a team's admin (hex); empty for a person
	Name    string   `json:"name"`            // handle, or "team NAME"
	Records []string `json:"records"`         // the records it is owed keys of (hex)
}

// PendingReader is a reader of this account's records that a transfer could
// not give its keys on the new server yet (TransferReport.Pending).
type PendingReader struct {
	Name        string `json:"name"`                  // the handle, or "team NAME"
	Account     string `json:"account"`               // the account id, or the team's id (hex)
	Fingerprint string `json:"fingerprint,omitempty"` // the card this device pinned (a person)
	Records     int    `json:"records"`               // the records it is owed keys of
}

// GrantPending gives each reader that a transfer left pending, and that is
// now on this client's server, the keys of every epoch of each record it is
// owed, sealed to the card this device pinned for it (after the same checks
// as Share). It returns the number of grants made and the readers still
// pending.
func (c *Client) GrantPending(ctx context.Context) (granted int, pending []PendingReader, err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return 0, nil, err
	}
	if granted, pending, err = c.grantPending(ctx); err != nil {
		return 0, nil, err
	}
	return granted, pending, c.pushProfile(ctx)
}

// grantPending is GrantPending within an operation.
func (c *Client) grantPending(ctx context.Context) (granted int, pending []PendingReader, err error) {
	for key, p := range c.prof.Pending {
		reader := mustID(key)
		r, err := c.pendingRecipient(ctx, reader, p)
		if err != nil {
			return 0, nil, err
		}
		if r == nil {
			pending = append(pending, c.pendingView(p))
			continue
		}
		for len(p.Records) > 0 {
			id := mustID(p.Records[0])
			n, err := c.grantOwed(ctx, id, reader, r)
			if err != nil {
				return 0, nil, fmt.Errorf("%s, record %x: %w", p.Name, id[:4], err)
			}
			granted += n
			p.Records = p.Records[1:]
			c.profileDirty = true
			if err := c.saveProfile(ctx); err != nil {
				return 0, nil, err
			}
		}
		delete(c.prof.Pending, key)
		if p.Admin != "" {
			c.pinTeam(mustID(p.Account), mustID(p.Admin), strings.TrimPrefix(p.Name, "team "))
		}
		c.profileDirty = true
	}
	return granted, pending, nil
}

// pendingRecipient finds a pending reader on this client's server: a person
// by the card history there, which must verify against this device's pin and
// whose newest card must have key (else CheckKeyUnverified); a team by its
// admin's verified chain there, whose newest description must give it key.
// It returns nil if the reader is not there yet.
func (c *Client) pendingRecipient(ctx context.Context, key [32]byte, p *pendingReader) (*recipient, error) {
	acct := mustID(p.Account)
	if p.Admin == "" {
		cards, err := c.cards(ctx, acct)
		if errors.Is(err, ErrNotFound) {
			return nil, nil
		} else if err != nil {
			return nil, err
		}
		now := cards[len(cards)-1]
		if format.KeyID(now.c.XWingPK) != key {
			return nil, fmt.Errorf("%w: %s's card on the new server is not the one the ACL lists", CheckKeyUnverified, p.Name)
		}
		return &recipient{account: acct, pk: now.c.XWingPK, name: now.c.Handle}, nil
	}
	admin := mustID(p.Admin)
	if _, err := c.cards(ctx, admin); errors.Is(err, ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	st, err := c.chainOf(ctx, admin)
	if err != nil {
		return nil, err
	}
	if st.Teams[p.Account] == nil {
		return nil, nil // the admin is there, the team not yet
	}
	t, err := c.verifiedTeam(ctx, acct, admin, false)
	if errors.Is(err, ErrDeleted) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if !t.holds(key) {
		return nil, fmt.Errorf("%w: %s's key on the new server is not the one the ACL lists", CheckKeyUnverified, p.Name)
	}
	// The ACL may list an older key of the team (its admin changed it
	// since): grantOwed moves the record to the current one first.
	return &recipient{account: acct, pk: t.pk, name: p.Name, team: t}, nil
}

// grantOwed gives reader r the key of every epoch whose ACL in the record's
// history lists it, in a new ACL with the same readers and epoch. A record
// deleted since, or whose current ACL no longer lists the reader (revoked
// since), owes nothing.
func (c *Client) grantOwed(ctx context.Context, id, reader [32]byte, r *recipient) (int, error) {
	v, err := c.ownHead(ctx, id)
	if errors.Is(err, ErrDeleted) {
		return 0, nil
	} else if err != nil {
		return 0, err
	}
	defer func() {
		if v != nil {
			v.close()
		}
	}()
	if _, ok := v.acl.Lookup(reader); !ok {
		return 0, nil
	}
	if r.team != nil && format.KeyID(r.pk) != reader {
		// A team listed by an older key of its own: a new ACL and epoch
		// with its current key, as before any write (followGroups); the
		// current key then gets the epochs the older one was listed for.
		// followGroupsIn closes the head it replaces.
		if v, err = c.followGroupsIn(ctx, v, []*groupRef{r.team.group()}); err != nil {
			return 0, err
		}
	}
	acls, _, err := c.aclHistory(ctx, v)
	if err != nil {
		return 0, err
	}
	var epochs []uint32
	for _, a := range acls {
		if _, ok := a.Lookup(reader); ok && !slices.Contains(epochs, a.Epoch) {
			epochs = append(epochs, a.Epoch)
		}
	}
	var grants []grantItem
	for _, e := range epochs {
		g, err := sealGrantTo(c.id, id, e, r.pk, r.name, v.epochs[e])
		if err != nil {
			return 0, err
		}
		grants = append(grants, grantItem{r.account, g})
	}
	// A team's key record takes its description again with the new ACL, or
	// the team's chain would describe an older ACL than its key record's.
	team, err := c.teamEntry(ctx, id)
	if err != nil {
		return 0, err
	}
	var desc *format.Team
	if team != nil {
		d := *team.Team
		desc = &d
	}
	return len(grants), c.updateSharing(ctx, v, v.nextACL(v.acl.Epoch), grants, nil, desc)
}

// pendingFor reports whether reader is pending for record id.
func (c *Client) pendingFor(reader, id [32]byte) bool {
	p := c.prof.Pending[hex.EncodeToString(reader[:])]
	return p != nil && slices.Contains(p.Records, hex.EncodeToString(id[:]))
}

// owePending adds record id to what a pending reader is owed: a new epoch of
// the record that the reader, listed, could not be given yet. It reports
// whether reader is pending.
func (c *Client) owePending(reader, id [32]byte) bool {
	p := c.prof.Pending[hex.EncodeToString(reader[:])]
	if p == nil {
		return false
	}
	if rec := hex.EncodeToString(id[:]); !slices.Contains(p.Records, rec) {
		p.Records = append(p.Records, rec)
		c.profileDirty = true
	}
	return true
}

// pendingByName returns the KeyID of the pending person named handle, which
// Revoke takes in place of a lookup: the reader is not on this server.
func (c *Client) pendingByName(handle string) ([32]byte, bool) {
	for key, p := range c.prof.Pending {
		if p.Admin == "" && p.Name == handle {
			return mustID(key), true
		}
	}
	return [32]byte{}, false
}

// owedNoMore drops record id from what reader is owed (it was revoked), and
// the reader once it is owed nothing.
func (c *Client) owedNoMore(reader, id [32]byte) {
	key := hex.EncodeToString(reader[:])
	p := c.prof.Pending[key]
	if p == nil {
		return
	}
	p.Records = slices.DeleteFunc(p.Records, func(r string) bool { return r == hex.EncodeToString(id[:]) })
	if len(p.Records) == 0 {
		delete(c.prof.Pending, key)
	}
	c.profileDirty = true
}

// readerName names a reader for errors: a pending reader by its name.
func (c *Client) readerName(reader [32]byte) string {
	if p := c.prof.Pending[hex.EncodeToString(reader[:])]; p != nil {
		return p.Name
	}
	return fmt.Sprintf("key %x", reader[:4])
}

// pendingView is a pending reader as the report shows it.
func (c *Client) pendingView(p *pendingReader) PendingReader {
	out := PendingReader{Name: p.Name, Account: p.Account, Records: len(p.Records)}
	if pin := c.prof.Pins[p.Account]; pin != nil && p.Admin == "" {
		if b, err := hex.DecodeString(pin.Fingerprint); err == nil && len(b) == 32 {
			out.Fingerprint = Fingerprint(b).String()
		}
	}
	return out
}
