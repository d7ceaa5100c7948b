package sdk

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"time"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/internal/auditlog"
	"github.com/blindvault/blindvault/internal/format"
)

// ShareOptions are optional settings for Share.
type ShareOptions struct {
	LookupOptions
	// History also grants the keys of the record's earlier epochs, so the
	// reader can open versions written before the last revocation. Without
	// it the reader gets the current epoch's key, and the newest version's
	// if that is older: it reads the record as it is now.
	History bool
	// Write lets the reader write new versions (write delegation).
	Write bool
	// ConfirmRestricted is the user's explicit confirmation that a restricted
	// record (Restrict) is to be shared with this person; without it Share
	// fails with ErrRestricted. Groups are never given restricted records.
	ConfirmRestricted bool
}

// Share gives the account named handle read access to record id: a new ACL
// with the reader, and a grant of the current epoch key wrapped to the
// reader's X-Wing key, only after the reader's key card verified (Lookup).
// It returns the reader as verified.
func (c *Client) Share(ctx context.Context, id RecordID, handle string, opts *ShareOptions) (_ *Contact, err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return nil, err
	}
	if opts == nil {
		opts = &ShareOptions{}
	}
	if err := c.checkRestricted(id, handle, opts.ConfirmRestricted); err != nil {
		return nil, err
	}
	ct, err := c.lookup(ctx, handle, &opts.LookupOptions)
	if err != nil {
		return nil, err
	}
	if err := c.shareWith(ctx, id, ct, opts); err != nil {
		return nil, err
	}
	return ct, c.pushProfile(ctx)
}

// ShareRecords is Share for every record in ids, in one operation: the
// reader's card is verified once, the chains and the log are synced once
// and the profile is written once, so sharing all of a patient's records
// with a clinician costs the same per record at 10,000 records as at 100
// (issue 18); every check Share makes on each record is made. A restricted
// record without opts.ConfirmRestricted stops it before anything is shared;
// a record that fails stops it with the record named, the records before it
// shared.
func (c *Client) ShareRecords(ctx context.Context, ids []RecordID, handle string, opts *ShareOptions) (_ *Contact, err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return nil, err
	}
	if opts == nil {
		opts = &ShareOptions{}
	}
	for _, id := range ids {
		if err := c.checkRestricted(id, handle, opts.ConfirmRestricted); err != nil {
			return nil, err
		}
	}
	ct, err := c.lookup(ctx, handle, &opts.LookupOptions)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if err := c.shareWith(ctx, id, ct, opts); err != nil {
			return nil, fmt.Errorf("record %x: %w", id[:4], err)
		}
	}
	return ct, c.pushProfile(ctx)
}

// shareWith gives the verified contact ct access to record id, this
// account's, as opts say.
func (c *Client) shareWith(ctx context.Context, id [32]byte, ct *Contact, opts *ShareOptions) error {
	v, err := c.ownHead(ctx, id)
	if err != nil {
		return err
	}
	defer v.close()
	rights := format.RightRead
	if opts.Write {
		rights |= format.RightWrite
	}
	reader := format.KeyID(ct.Card.c.XWingPK)
	acl := v.nextACL(v.acl.Epoch)
	acl.Entries = slices.DeleteFunc(acl.Entries, func(e format.ACLEntry) bool { return e.Reader == reader })
	acl.Entries = append(acl.Entries, format.ACLEntry{Reader: reader, Rights: rights})
	epochs := v.sharedEpochs(opts.History)
	var grants []grantItem
	for _, e := range epochs {
		key, ok := v.epochs[e]
		if !ok {
			return fmt.Errorf("%w: no key for epoch %d", CheckMissingGrant, e)
		}
		g, err := sealGrant(c.id, id, e, ct.Card, key)
		if err != nil {
			return err
		}
		grants = append(grants, grantItem{ct.AccountID, g})
	}
	return c.updateSharing(ctx, v, acl, grants, nil, nil)
}

// Revoke withdraws the access of the account named handle to record id: a
// new ACL without it, and a new epoch whose key goes to the remaining readers
// only, so versions written from now on are closed to it. Versions it could
// read before stay readable to it: it may have kept their keys.
func (c *Client) Revoke(ctx context.Context, id RecordID, handle string) (err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return err
	}
	ct, err := c.lookup(ctx, handle, nil)
	if errors.Is(err, ErrNotFound) {
		if key, ok := c.pendingByName(handle); ok {
			return c.revokeKey(ctx, id, handle, key, nil)
		}
	}
	if err != nil {
		return err
	}
	return c.revokeKey(ctx, id, handle, format.KeyID(ct.Card.c.XWingPK), [][32]byte{ct.AccountID})
}

// revokeKey withdraws reader key (whose grants are filed under the accounts
// in revoke) from record id: a new ACL without it, and a new epoch whose key
// goes to the remaining readers only.
func (c *Client) revokeKey(ctx context.Context, id RecordID, handle string, gone [32]byte, revoke [][32]byte) error {
	v, err := c.ownHead(ctx, id)
	if err != nil {
		return err
	}
	defer v.close()
	if _, ok := v.acl.Lookup(gone); !ok {
		return fmt.Errorf("record %x is not shared with %s: %w", id[:4], handle, ErrNotFound)
	}
	acl := v.nextACL(v.acl.Epoch + 1)
	acl.Entries = slices.DeleteFunc(acl.Entries, func(e format.ACLEntry) bool { return e.Reader == gone })
	key := newKey()
	defer clear(key)
	grants, err := c.regrant(ctx, v, acl, key, nil)
	if err != nil {
		return err
	}
	if err := c.updateSharing(ctx, v, acl, grants, revoke, nil); err != nil {
		return err
	}
	c.owedNoMore(gone, id)
	return nil
}

// newKey returns a new random 32-byte epoch key.
func newKey() []byte {
	key := make([]byte, 32)
	rand.Read(key)
	return key
}

// regrant grants key, the epoch key of acl (a new epoch of v's record), to
// every reader acl lists: this account, the contacts this device verified,
// care teams and collections. A group listed by an older key of its own takes
// its current key here, so that whoever the group dropped since gets nothing
// of the new epoch.
//
// groups are the groups to look readers up in; nil: readerGroups, when a
// reader is no contact.
func (c *Client) regrant(ctx context.Context, v *version, acl *format.ACL, key []byte, groups []*groupRef) ([]grantItem, error) {
	known, err := c.knownCards(ctx)
	if err != nil {
		return nil, err
	}
	var grants []grantItem
	for n, e := range acl.Entries {
		if kc, ok := known[e.Reader]; ok {
			g, err := sealGrant(c.id, v.id, acl.Epoch, kc, key)
			if err != nil {
				return nil, err
			}
			grants = append(grants, grantItem{kc.c.AccountID, g})
			continue
		}
		if groups == nil {
			if groups, err = c.readerGroups(ctx); err != nil {
				return nil, err
			}
		}
		i := slices.IndexFunc(groups, func(g *groupRef) bool { return g.holds(e.Reader) })
		if i < 0 && c.owePending(e.Reader, v.id) {
			continue // a reader not on this server yet: grantPending gives it this epoch too
		}
		if i < 0 {
			return nil, fmt.Errorf("%w: a reader of the ACL is no contact, team or collection this device knows", CheckKeyUnverified)
		}
		gr := groups[i]
		acl.Entries[n].Reader = format.KeyID(gr.pk)
		g, err := sealGrantTo(c.id, v.id, acl.Epoch, gr.pk, gr.name, key)
		if err != nil {
			return nil, err
		}
		grants = append(grants, grantItem{gr.id, g})
	}
	return grants, nil
}

// sharedEpochs returns the epochs whose keys a new reader of v's record is
// given: the ACL's, and the head version's if it is older (after a revocation
// and before the next write), so that the reader opens the record as it is
// now; with history, every epoch this account holds.
func (v *version) sharedEpochs(history bool) []uint32 {
	epochs := []uint32{v.acl.Epoch}
	if history {
		epochs = epochs[:0]
		for e := range v.epochs {
			epochs = append(epochs, e)
		}
		sort.Slice(epochs, func(i, j int) bool { return epochs[i] < epochs[j] })
	} else if h := v.header.Epoch; h != v.acl.Epoch {
		epochs = append(epochs, h)
	}
	return epochs
}

// ownHead fetches the head of a record this account owns.
func (c *Client) ownHead(ctx context.Context, id [32]byte) (*version, error) {
	v, err := c.fetch(ctx, id, 0)
	if err != nil {
		return nil, err
	}
	if v.owner != c.accountID() {
		v.close()
		return nil, fmt.Errorf("record %x: only its owner changes sharing: %w", id[:4], ErrForbidden)
	}
	return v, nil
}

// nextACL starts the successor of v's ACL, with a copy of its entries.
func (v *version) nextACL(epoch uint32) *format.ACL {
	return &format.ACL{RecordID: v.id, Owner: v.owner, Seq: v.acl.Seq + 1, PrevHash: v.acl.Hash(), Epoch: epoch,
		Entries: slices.Clone(v.acl.Entries)}
}

// updateSharing signs acl, stores it with the grants and revocations, and
// appends the change to this account's chain in the same transaction: as an
// ACL event, or, for a team's key record, as the team's new description
// (team, which takes acl's epoch).
func (c *Client) updateSharing(ctx context.Context, v *version, acl *format.ACL, grants []grantItem, revoke [][32]byte, team *format.Team) (err error) {
	sortACL(acl)
	if err := acl.Sign(c.id.sign); err != nil {
		return err
	}
	req := api.Sharing{ACL: acl.Marshal()}
	for _, g := range grants {
		req.Grants = append(req.Grants, api.SharedGrant{Account: fmt.Sprintf("%x", g.account), Grant: g.grant.Marshal()})
	}
	for _, a := range revoke {
		req.Revoke = append(req.Revoke, api.Revoked{Account: fmt.Sprintf("%x", a)})
	}
	ev := format.AccountEntry{Event: format.EventACL, Record: v.id, Number: acl.Seq, Object: acl.Hash()}
	if team != nil {
		sortIDs(team.Members)
		ev.Event, ev.Team = format.EventTeam, team
	}
	if m := v.unlocked.Meta; acl.Epoch > v.acl.Epoch && (m.Type == teamType || m.Type == collectionType) {
		defer func() {
			if err == nil {
				err = c.rewriteKeyRecord(ctx, v)
			}
		}()
	}
	return c.sendSharing(ctx, ev, req)
}

// sendSharing stores an ACL change req (an ACL, grants, revocations) and
// appends ev, which describes it, to this account's chain in the same server
// transaction.
func (c *Client) sendSharing(ctx context.Context, ev format.AccountEntry, req api.Sharing) error {
	return c.chainWrite(ctx, ev,
		func(e *format.AccountEntry) ([]api.Receipt, error) {
			req.Chain = itemOf(e)
			var out api.Receipts
			err := c.call(ctx, "PUT", fmt.Sprintf("/v1/records/%x/acl", ev.Record), req, &out)
			return out.Receipts, err
		},
		func(_ *format.AccountEntry, le *auditlog.Entry) bool {
			return le.Type == auditlog.ACLChanged && le.Subject == ev.Record && le.Object == ev.Object && le.Number == ev.Number
		})
}

// rewriteKeyRecord writes a new version of a group's key record at its new
// epoch: a group's members are given the current epoch's key only (unless the
// group gives its history), and must be able to read its key record's head.
func (c *Client) rewriteKeyRecord(ctx context.Context, v *version) error {
	m := *v.unlocked.Meta
	m.Modified = time.Now()
	_, err := c.putKeyRecord(ctx, v.id, m)
	return err
}

// Delete deletes record id (owner only): the server removes its bodies, leaves
// and grants, and the tombstone goes into this account's chain.
func (c *Client) Delete(ctx context.Context, id RecordID) (err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return err
	}
	v, err := c.ownHead(ctx, id)
	if err != nil {
		return err
	}
	v.close()
	return c.chainWrite(ctx, format.AccountEntry{Event: format.EventTombstone, Record: id, Number: v.header.Version},
		func(e *format.AccountEntry) ([]api.Receipt, error) {
			body := chainBody(e)
			return c.streamReceipts(ctx, "DELETE", fmt.Sprintf("/v1/records/%x", id),
				func() (io.Reader, int64, error) { return bytes.NewReader(body), int64(len(body)), nil })
		},
		func(_ *format.AccountEntry, le *auditlog.Entry) bool {
			return le.Type == auditlog.RecordDeleted && le.Subject == id
		})
}
