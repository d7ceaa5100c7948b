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
	"github.com/blindvault/blindvault/internal/grant"
	"github.com/blindvault/blindvault/internal/record"
)

// A care team is one reader of a patient's records whatever its size: the
// team has an X-Wing key per epoch, and a record shared with the team is one
// grant to that key. The team's key record, an ordinary record owned by its
// admin, holds the membership as its ACL and the team's epoch keys as its
// grants; the team key of an epoch is derived from that epoch's key
// (grant.GroupSeed). Adding a member is one grant (one per epoch for a team
// whose members read its past); removing one is a new epoch of the key record,
// hence a new team key, which the records shared with the team take at their
// next write, as after an individual revocation. Patients verify a team from
// the admin's chain, which describes it (name, organisation, members, key) at
// every ACL of the key record (format-v1 §2.10).

// teamType is the metadata type of a team's key record.
const teamType = "application/vnd.blindvault.team"

// Team is a care team as this client verified it from its admin's chain.
type Team struct {
	ID          RecordID
	Name, Org   string
	Admin       AccountID
	AdminHandle string
	// Verified is true when Org is an organisation this client trusts with
	// this admin (TrustOrg): the team is then "of" Org.
	Verified bool
	// History is the team's policy: members read what was shared with the
	// team before they joined.
	History bool
	Epoch   uint32
	Members []AccountID
	// MemberHandles are the members' handles, in Members' order, from key
	// cards this client verified.
	MemberHandles []string

	pk   []byte     // the team's X-Wing public key at Epoch
	keys [][32]byte // KeyIDs of the team's keys at every epoch this client saw
}

// Status is "verified care team NAME of ORG, N members", or says that the
// organisation is not one this client trusts.
func (t *Team) Status() string {
	n := fmt.Sprintf("%d member", len(t.Members))
	if len(t.Members) != 1 {
		n += "s"
	}
	if t.Verified {
		return fmt.Sprintf("verified care team %s of %s, %s", t.Name, t.Org, n)
	}
	return fmt.Sprintf("care team %s of unverified organisation %q (admin %s), %s", t.Name, t.Org, t.AdminHandle, n)
}

// TeamOptions are optional settings for CreateTeam.
type TeamOptions struct {
	// Org is the organisation the team belongs to; patients who trust this
	// admin for Org see the team as verified.
	Org string
	// History lets members added later read what was shared with the team
	// before they joined (one grant per team epoch when they join).
	History bool
}

// teamPin is a team this account administers, belongs to or shared with.
type teamPin struct {
	Admin string `json:"admin"` // account id, hex
	Name  string `json:"name"`
}

// CreateTeam creates a care team administered by this account: its key
// record, and the team's description in this account's chain. The team has no
// members yet.
func (c *Client) CreateTeam(ctx context.Context, name string, opts *TeamOptions) (_ *Team, err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return nil, err
	}
	if opts == nil {
		opts = &TeamOptions{}
	}
	probe := &format.Team{Epoch: 1, XWingPK: c.id.card.c.XWingPK, Name: name, Org: opts.Org}
	if err := probe.Validate(); err != nil {
		return nil, fmt.Errorf("%w: team %q: %w", ErrInvalid, name, err)
	}
	if t, _ := c.ownTeam(ctx, name); t != nil {
		return nil, fmt.Errorf("%w: this account already has a team %q", ErrConflict, name)
	}
	now := time.Now()
	info, err := c.putKeyRecord(ctx, [32]byte{}, record.Meta{Title: name, Type: teamType, Created: now, Modified: now})
	if err != nil {
		return nil, err
	}
	v, err := c.ownHead(ctx, info.RecordID)
	if err != nil {
		return nil, err
	}
	defer v.close()
	var policy uint8
	if opts.History {
		policy = format.TeamHistory
	}
	d, err := teamAt(v, v.acl, v.epochs[v.acl.Epoch], &format.Team{Policy: policy, Name: name, Org: opts.Org})
	if err != nil {
		return nil, err
	}
	ah := v.acl.Hash()
	if err := c.appendEntry(ctx, format.AccountEntry{Event: format.EventTeam, Record: v.id, Number: v.acl.Seq, Object: ah, Team: d}); err != nil {
		return nil, err
	}
	c.pinTeam(v.id, c.accountID(), name)
	return c.verifiedTeam(ctx, v.id, c.accountID(), true)
}

// teamAt returns the description of the team whose key record is v at acl,
// whose epoch key is key: tmpl's policy, name and org, the key derived from
// key, and the members acl lists besides the admin, named by the accounts
// the grants of acl's epoch go to (members, the admin excluded).
func teamAt(v *version, acl *format.ACL, key []byte, tmpl *format.Team) (*format.Team, error) {
	if key == nil {
		return nil, fmt.Errorf("%w: no key for epoch %d of team %x", CheckMissingGrant, acl.Epoch, v.id[:4])
	}
	pk, err := groupPublic(key, v.id, acl.Epoch)
	if err != nil {
		return nil, err
	}
	t := *tmpl
	t.Epoch, t.XWingPK = acl.Epoch, pk
	return &t, nil
}

// groupPublic derives a group's X-Wing public key at epoch from that epoch's key.
func groupPublic(epochKey []byte, group [32]byte, epoch uint32) ([]byte, error) {
	seed, err := grant.GroupSeed(epochKey, group, epoch)
	if err != nil {
		return nil, err
	}
	defer clear(seed)
	return grant.XWingPublic(seed)
}

// AddTeamMember adds the account named handle to a team this account
// administers, after verifying its key card (as Lookup): one grant of the
// team's current epoch key, or of every epoch for a team whose members read
// its past.
func (c *Client) AddTeamMember(ctx context.Context, team, handle string, opts *LookupOptions) (_ *Team, err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return nil, err
	}
	t, err := c.ownTeam(ctx, team)
	if err != nil {
		return nil, err
	}
	ct, err := c.lookup(ctx, handle, opts)
	if err != nil {
		return nil, err
	}
	if ct.AccountID == c.accountID() {
		return nil, fmt.Errorf("%w: the admin holds the team's keys already", ErrInvalid)
	}
	v, err := c.ownHead(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	defer v.close()
	reader := format.KeyID(ct.Card.c.XWingPK)
	acl := v.nextACL(v.acl.Epoch)
	acl.Entries = slices.DeleteFunc(acl.Entries, func(e format.ACLEntry) bool { return e.Reader == reader })
	acl.Entries = append(acl.Entries, format.ACLEntry{Reader: reader, Rights: format.RightRead})
	epochs := v.sharedEpochs(t.History)
	var grants []grantItem
	for _, e := range epochs {
		g, err := sealGrant(c.id, v.id, e, ct.Card, v.epochs[e])
		if err != nil {
			return nil, err
		}
		grants = append(grants, grantItem{ct.AccountID, g})
	}
	d := t.desc()
	if !slices.Contains(d.Members, [32]byte(ct.AccountID)) {
		d.Members = append(d.Members, ct.AccountID)
	}
	if err := c.updateSharing(ctx, v, acl, grants, nil, d); err != nil {
		return nil, err
	}
	return c.verifiedTeam(ctx, t.ID, c.accountID(), true)
}

// RemoveTeamMember removes the account named handle from a team this account
// administers: a new epoch of the team's key record, whose key (and so the
// team's new X-Wing key) goes to the remaining members only. Records shared
// with the team take the new team key at their next write; until then, as
// after any revocation, the removed member may still hold keys it was given.
func (c *Client) RemoveTeamMember(ctx context.Context, team, handle string) (_ *Team, err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return nil, err
	}
	t, err := c.ownTeam(ctx, team)
	if err != nil {
		return nil, err
	}
	ct, err := c.lookup(ctx, handle, nil)
	if err != nil {
		return nil, err
	}
	v, err := c.ownHead(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	defer v.close()
	gone := format.KeyID(ct.Card.c.XWingPK)
	if _, ok := v.acl.Lookup(gone); !ok {
		return nil, fmt.Errorf("%s is not a member of team %s: %w", handle, t.Name, ErrNotFound)
	}
	acl := v.nextACL(v.acl.Epoch + 1)
	acl.Entries = slices.DeleteFunc(acl.Entries, func(e format.ACLEntry) bool { return e.Reader == gone })
	key := newKey()
	defer clear(key)
	grants, err := c.regrant(ctx, v, acl, key, nil)
	if err != nil {
		return nil, err
	}
	d, err := teamAt(v, acl, key, t.desc())
	if err != nil {
		return nil, err
	}
	d.Members = slices.DeleteFunc(d.Members, func(m [32]byte) bool { return m == [32]byte(ct.AccountID) })
	if err := c.updateSharing(ctx, v, acl, grants, [][32]byte{ct.AccountID}, d); err != nil {
		return nil, err
	}
	return c.verifiedTeam(ctx, t.ID, c.accountID(), true)
}

// desc returns the team's description as its admin last signed it, for the
// admin to change.
func (t *Team) desc() *format.Team {
	d := &format.Team{Epoch: t.Epoch, XWingPK: t.pk, Name: t.Name, Org: t.Org}
	if t.History {
		d.Policy = format.TeamHistory
	}
	for _, m := range t.Members {
		d.Members = append(d.Members, m)
	}
	return d
}

// LookupTeam finds and verifies a care team: "ORG/NAME" for a team of an
// organisation this client trusts (TrustOrg), or the name or id of a team
// this account administers, belongs to or has shared with.
func (c *Client) LookupTeam(ctx context.Context, ref string) (_ *Team, err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return nil, err
	}
	return c.team(ctx, ref)
}

// Teams returns the teams this account administers or belongs to, as their
// admins' chains describe them now.
func (c *Client) Teams(ctx context.Context) (_ []*Team, err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return nil, err
	}
	if _, err := c.list(ctx); err != nil { // finds teams this account was added to
		return nil, err
	}
	pinned, err := c.pinnedTeams(ctx, true)
	if err != nil {
		return nil, err
	}
	var out []*Team
	for _, t := range pinned {
		if t.Admin == c.accountID() || slices.Contains(t.Members, c.accountID()) {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Org+"/"+out[i].Name < out[j].Org+"/"+out[j].Name })
	return out, nil
}

// pinnedTeams returns the teams this device pinned, as verified now (with
// names: verifiedTeam); a team deleted since is left out.
func (c *Client) pinnedTeams(ctx context.Context, names bool) ([]*Team, error) {
	var out []*Team
	for key, p := range c.prof.Teams {
		t, err := c.verifiedTeam(ctx, mustID(key), mustID(p.Admin), names)
		if errors.Is(err, ErrDeleted) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// team resolves a team reference (LookupTeam).
func (c *Client) team(ctx context.Context, ref string) (*Team, error) {
	if org, name, ok := strings.Cut(ref, "/"); ok {
		op := c.prof.Orgs[org]
		if op == nil {
			return nil, fmt.Errorf("%w: %q is not an organisation this device trusts (trust-org)", CheckKeyUnverified, org)
		}
		admin := mustID(op.Admin)
		st, err := c.chainOf(ctx, admin)
		if err != nil {
			return nil, err
		}
		for key, ct := range st.Teams {
			e, err := format.ParseAccountEntry(ct.Entry)
			if err == nil && e.Team.Name == name && e.Team.Org == org {
				return c.verifiedTeam(ctx, mustID(key), admin, true)
			}
		}
		return nil, fmt.Errorf("no team %q of %s: %w", name, org, ErrNotFound)
	}
	for key, p := range c.prof.Teams {
		if key == strings.ToLower(ref) || p.Name == ref {
			return c.verifiedTeam(ctx, mustID(key), mustID(p.Admin), true)
		}
	}
	return nil, fmt.Errorf("no team %q known to this device: %w", ref, ErrNotFound)
}

// ownTeam resolves a team this account administers.
func (c *Client) ownTeam(ctx context.Context, ref string) (*Team, error) {
	st, err := c.chainOf(ctx, c.accountID())
	if err != nil {
		return nil, err
	}
	for key, ct := range st.Teams {
		e, err := format.ParseAccountEntry(ct.Entry)
		if err == nil && (key == strings.ToLower(ref) || e.Team.Name == ref) {
			return c.verifiedTeam(ctx, mustID(key), c.accountID(), false)
		}
	}
	return nil, fmt.Errorf("this account administers no team %q: %w", ref, ErrNotFound)
}

// verifiedTeam returns the team whose key record is id as the chain of its
// admin describes it: the newest description, which must describe the key
// record's newest ACL (a description behind the membership, or a deleted
// team, cannot be shared with).
//
// With names, the admin's and members' handles are filled in from their
// verified key cards (a read of each card); without, only their ids.
func (c *Client) verifiedTeam(ctx context.Context, id, admin [32]byte, names bool) (*Team, error) {
	st, err := c.chainOf(ctx, admin)
	if err != nil {
		return nil, err
	}
	key := hex.EncodeToString(id[:])
	ct, r := st.Teams[key], st.Records[key]
	switch {
	case ct == nil || r == nil:
		return nil, fmt.Errorf("%w: the chain of %x describes no team %x", CheckWrongRecord, admin[:4], id[:4])
	case r.Deleted:
		return nil, fmt.Errorf("team %x: %w", id[:4], ErrDeleted)
	}
	e, err := format.ParseAccountEntry(ct.Entry)
	if err != nil {
		return nil, fmt.Errorf("%w: stored team entry: %w", ErrInvalid, err)
	}
	if e.Number != r.ACLSeq {
		return nil, fmt.Errorf("%w: the description of team %x is for ACL %d, its key record is at ACL %d", CheckWrongACL, id[:4], e.Number, r.ACLSeq)
	}
	t := &Team{ID: id, Name: e.Team.Name, Org: e.Team.Org, Admin: admin, History: e.Team.Policy&format.TeamHistory != 0,
		Epoch: e.Team.Epoch, pk: e.Team.XWingPK}
	for _, k := range ct.Keys {
		if b, err := hex.DecodeString(k); err == nil && len(b) == 32 {
			t.keys = append(t.keys, [32]byte(b))
		}
	}
	if op := c.prof.Orgs[t.Org]; op != nil && op.Admin == hex.EncodeToString(admin[:]) {
		t.Verified = true
	}
	for _, m := range e.Team.Members {
		t.Members = append(t.Members, m)
	}
	if !names {
		return t, nil
	}
	adminCards, err := c.cards(ctx, admin)
	if err != nil {
		return nil, err
	}
	t.AdminHandle = adminCards[len(adminCards)-1].Handle()
	for _, m := range e.Team.Members {
		cards, err := c.cards(ctx, m)
		if err != nil {
			return nil, fmt.Errorf("member %x of team %s: %w", m[:4], t.Name, err)
		}
		t.MemberHandles = append(t.MemberHandles, cards[len(cards)-1].Handle())
	}
	return t, nil
}

// pinTeam remembers a team this account administers, belongs to or shares with.
func (c *Client) pinTeam(id, admin [32]byte, name string) {
	key := hex.EncodeToString(id[:])
	if p := c.prof.Teams[key]; p != nil && p.Name == name {
		return
	}
	if c.prof.Teams == nil {
		c.prof.Teams = map[string]*teamPin{}
	}
	c.prof.Teams[key] = &teamPin{Admin: hex.EncodeToString(admin[:]), Name: name}
	c.profileDirty = true
}

// ShareWithTeam gives a care team read access to record id: one grant of the
// record's epoch key to the team's key, whatever the team's size, after the
// team verified (LookupTeam). It returns the team as verified.
func (c *Client) ShareWithTeam(ctx context.Context, id RecordID, team string, opts *ShareOptions) (_ *Team, err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return nil, err
	}
	if opts == nil {
		opts = &ShareOptions{}
	}
	t, err := c.team(ctx, team)
	if err != nil {
		return nil, err
	}
	if err := c.addToGroup(ctx, id, t.group(), opts.History); err != nil {
		return nil, err
	}
	c.pinTeam(t.ID, t.Admin, t.Name)
	return t, c.pushProfile(ctx)
}

// holds reports whether key is one of the team's keys, of any epoch.
func (t *Team) holds(key [32]byte) bool { return t.group().holds(key) }

// RevokeTeam withdraws a team's access to record id, as Revoke does for an
// account: a new ACL without any key of the team, and a new epoch whose key
// goes to the remaining readers.
func (c *Client) RevokeTeam(ctx context.Context, id RecordID, team string) (err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return err
	}
	t, err := c.team(ctx, team)
	if err != nil {
		return err
	}
	return c.withoutGroup(ctx, id, t.group())
}
