package sdk

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/internal/auditlog"
	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/internal/grant"
	"github.com/blindvault/blindvault/internal/record"
)

// Emergency access and threshold records (docs/spec/threshold-v1.md). An
// owner sets up a threshold key: an X-Wing key whose seed derives from a
// secret split k-of-n among holders (guardians), which the owner's client
// forgets at once. Records shared with the key (one grant, as with a team)
// open only for whoever recovers it. A requester asks in its own chain; each
// holder approves in its own chain by re-sealing its share to the requester,
// only once the request is in the log, the delay has passed since it was
// logged and the owner's chain, synced fresh against the log, holds no
// refusal. The requester checks the same, recovers the secret from k
// approvals and checks that it gives the set-up's public key. The server
// serves the records to a requester with a logged request (defence in depth);
// the shares are the gate.

// thresholdType is the metadata type of a threshold key's key record.
const thresholdType = "application/vnd.blindvault.threshold"

// ThresholdKey is a threshold key as its owner's chain describes it.
type ThresholdKey struct {
	ID        RecordID // its key record's id (group_id)
	Owner     AccountID
	Emergency bool // purpose 1 (emergency access) rather than 2
	K, N      int
	Delay     time.Duration
	// Holders are the holders' account ids, by share index; a care team's
	// is its id (its key record's).
	Holders []AccountID
	// Teams are the holders that are care teams (SetUpEmergency with
	// "ORG/NAME"): any current member approves on the team's behalf.
	Teams []*GuardianTeam
	pk    []byte
	setup *format.Threshold
}

// GuardianTeam is a care team holding a share of a threshold key. Its
// share is sealed to the team's key of Epoch: members who hold that
// epoch's key can open it. After the team's key rotated (a member was
// removed), the removed member could have opened the share, so the owner
// sets the key up again (Stale).
type GuardianTeam struct {
	Index uint8 // the share's index
	ID    RecordID
	Admin AccountID
	Epoch uint32 // the team key the share is sealed to
	// Name and CurrentEpoch are the team as its admin's chain describes it
	// now (ThresholdKeys, EmergencyStatus); CurrentEpoch is 0 for a team
	// deleted since.
	Name         string
	CurrentEpoch uint32
}

// Stale reports whether the team's key rotated since the set-up (or the
// team was deleted): the owner should set the key up again.
func (g *GuardianTeam) Stale() bool { return g.CurrentEpoch != g.Epoch }

// Note is what the owner should know of the team's share, or "".
func (g *GuardianTeam) Note() string {
	switch {
	case g.CurrentEpoch == 0:
		return fmt.Sprintf("guardian team %x was deleted: set up emergency access again", g.ID[:4])
	case g.Stale():
		return fmt.Sprintf("guardian team %s rotated its key since set-up (epoch %d, now %d): a removed member could open its share; set up emergency access again",
			g.Name, g.Epoch, g.CurrentEpoch)
	}
	return ""
}

// EmergencyRequest is a request for a threshold key, as the log and the
// chains show it.
type EmergencyRequest struct {
	ID        string // the request entry's hash, hex
	Requester AccountID
	// RequesterHandle is the requester's handle from its verified key card.
	RequesterHandle string
	Owner           AccountID
	Key             RecordID  // the threshold key's id
	Logged          time.Time // the log's time for the request
	NotBefore       time.Time // Logged + the delay
	Refused         bool
	Approvals       int // approvals logged by the key's holders
	K               int
	// Role is this account's part in it, in EmergencyStatus: "owner",
	// "requester" or "holder" (for itself, or as a member of a guardian
	// team).
	Role string
	// Notes are warnings about the key's guardian teams (GuardianTeam.Note).
	Notes []string

	entry *format.AccountEntry
	key   *ThresholdKey
}

// SetUpEmergency names guardians for this account's emergency access: any k
// of them can, delay after a clinician's request and unless this account
// refuses it meanwhile, give the requester what this account shared with the
// returned key (ShareWithThreshold). A guardian is a handle, or "ORG/NAME":
// a care team of an organisation this client trusts (LookupTeam), whose
// share is sealed to the team's current key and which any current member
// approves for, counted once.
func (c *Client) SetUpEmergency(ctx context.Context, guardians []string, k int, delay time.Duration) (_ *ThresholdKey, err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return nil, err
	}
	if delay < 0 || delay > format.MaxThresholdDelay*time.Second {
		return nil, fmt.Errorf("%w: the delay is 0 to 30 days", ErrInvalid)
	}
	return c.setUpThreshold(ctx, format.PurposeEmergency, guardians, k, delay)
}

// SetUpThreshold creates a k-of-n threshold key among holders (this
// account's own handle may be one of them): records shared with it open only
// when k holders approve a request (2-of-2: a customer and a platform).
func (c *Client) SetUpThreshold(ctx context.Context, holders []string, k int) (_ *ThresholdKey, err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return nil, err
	}
	return c.setUpThreshold(ctx, format.PurposeThreshold, holders, k, 0)
}

func (c *Client) setUpThreshold(ctx context.Context, purpose uint8, handles []string, k int, delay time.Duration) (*ThresholdKey, error) {
	n := len(handles)
	if k < 1 || k > n || n > format.MaxHolders {
		return nil, fmt.Errorf("%w: threshold %d of %d is not 1 ≤ k ≤ n ≤ %d", ErrInvalid, k, n, format.MaxHolders)
	}
	// Each holder: an account's verified card, or a verified team.
	cards := make([]*KeyCard, n)
	teams := make([]*Team, n)
	for i, h := range handles {
		switch {
		case h == c.prof.Handle:
			cards[i] = c.id.card
		case strings.Contains(h, "/"):
			t, err := c.team(ctx, h)
			if err != nil {
				return nil, fmt.Errorf("guardian team %s: %w", h, err)
			}
			if len(t.Members) == 0 {
				return nil, fmt.Errorf("%w: guardian team %s has no member to approve", ErrInvalid, h)
			}
			teams[i] = t
		default:
			ct, err := c.lookup(ctx, h, nil)
			if err != nil {
				return nil, fmt.Errorf("holder %s: %w", h, err)
			}
			cards[i] = ct.Card
		}
	}
	now := time.Now()
	title := "threshold key"
	if purpose == format.PurposeEmergency {
		title = "emergency access"
	}
	info, err := c.putKeyRecord(ctx, [32]byte{}, record.Meta{Title: title, Type: thresholdType, Created: now, Modified: now})
	if err != nil {
		return nil, err
	}
	group := [32]byte(info.RecordID)
	secret, coms, shares, err := grant.Split(k, n)
	if err != nil {
		return nil, err
	}
	// The owner's client forgets the secret and the shares here.
	defer func() {
		clear(secret)
		for _, s := range shares {
			clear(s)
		}
	}()
	tk, err := grant.NewThresholdKey(secret, group)
	if err != nil {
		return nil, err
	}
	th := &format.Threshold{Purpose: purpose, K: uint8(k), N: uint8(n), Delay: uint32(delay / time.Second),
		XWingPK: tk.Public(), Commitments: coms}
	for i, kc := range cards {
		idx := uint8(i + 1)
		h := format.Holder{Index: idx}
		var pk []byte
		if t := teams[i]; t != nil {
			h.Account, pk, h.Team = t.ID, t.pk, &format.TeamHolder{Admin: t.Admin, Epoch: t.Epoch}
		} else {
			h.Account, pk = kc.c.AccountID, kc.c.XWingPK
		}
		h.Key = format.KeyID(pk)
		var err error
		if h.Enc, h.CT, err = grant.SealShare(pk, grant.ShareInfo(group, idx, h.Key), shares[i]); err != nil {
			return nil, fmt.Errorf("sealing share %d to %s: %w", idx, handles[i], err)
		}
		th.Holders = append(th.Holders, h)
	}
	if err := th.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if err := c.appendEntry(ctx, format.AccountEntry{Event: format.EventThreshold, Record: group, Threshold: th}); err != nil {
		return nil, err
	}
	out := thresholdKeyOf(c.accountID(), group, th)
	for _, g := range out.Teams {
		g.Name, g.CurrentEpoch = teams[g.Index-1].Name, teams[g.Index-1].Epoch
	}
	return out, nil
}

func thresholdKeyOf(owner, group [32]byte, th *format.Threshold) *ThresholdKey {
	t := &ThresholdKey{ID: group, Owner: owner, Emergency: th.Purpose == format.PurposeEmergency, K: int(th.K), N: int(th.N),
		Delay: time.Duration(th.Delay) * time.Second, pk: th.XWingPK, setup: th}
	for _, h := range th.Holders {
		t.Holders = append(t.Holders, h.Account)
		if h.Team != nil {
			t.Teams = append(t.Teams, &GuardianTeam{Index: h.Index, ID: h.Account, Admin: h.Team.Admin, Epoch: h.Team.Epoch})
		}
	}
	return t
}

// describeTeams fills in key's guardian teams as their admins' chains
// describe them now, and returns their notes.
func (c *Client) describeTeams(ctx context.Context, key *ThresholdKey) ([]string, error) {
	var notes []string
	for _, g := range key.Teams {
		t, err := c.verifiedTeam(ctx, g.ID, g.Admin, false)
		switch {
		case errors.Is(err, ErrDeleted):
			g.CurrentEpoch = 0
		case err != nil:
			return nil, fmt.Errorf("guardian team %x: %w", g.ID[:4], err)
		default:
			g.Name, g.CurrentEpoch = t.Name, t.Epoch
		}
		if n := g.Note(); n != "" {
			notes = append(notes, n)
		}
	}
	return notes, nil
}

// ThresholdKeys returns the threshold keys this account set up.
func (c *Client) ThresholdKeys(ctx context.Context) (_ []*ThresholdKey, err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return nil, err
	}
	ks, err := c.thresholdKeysOf(ctx, c.accountID())
	if err != nil {
		return nil, err
	}
	for _, k := range ks {
		if _, err := c.describeTeams(ctx, k); err != nil {
			return nil, err
		}
	}
	return ks, nil
}

// thresholdKeysOf returns the live threshold keys owner's chain sets up.
func (c *Client) thresholdKeysOf(ctx context.Context, owner [32]byte) ([]*ThresholdKey, error) {
	st, err := c.chainOf(ctx, owner)
	if err != nil {
		return nil, err
	}
	var out []*ThresholdKey
	for key, b := range st.Thresholds {
		if r := st.Records[key]; r == nil || r.Deleted {
			continue
		}
		e, err := format.ParseAccountEntry(b)
		if err != nil {
			return nil, fmt.Errorf("%w: stored threshold entry: %w", ErrInvalid, err)
		}
		out = append(out, thresholdKeyOf(owner, e.Record, e.Threshold))
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i].ID[:], out[j].ID[:]) < 0 })
	return out, nil
}

// thresholdKey returns the threshold key group of owner, from owner's chain
// as synced in this operation.
func (c *Client) thresholdKey(ctx context.Context, owner, group [32]byte) (*ThresholdKey, error) {
	ks, err := c.thresholdKeysOf(ctx, owner)
	if err != nil {
		return nil, err
	}
	for _, k := range ks {
		if k.ID == group {
			return k, nil
		}
	}
	return nil, fmt.Errorf("the chain of %x sets up no threshold key %x: %w", owner[:4], group[:4], ErrNotFound)
}

// name is "emergency key (k of n)" or "threshold key (k of n)".
func (t *ThresholdKey) name() string {
	if t.Emergency {
		return fmt.Sprintf("emergency key (%d of %d)", t.K, t.N)
	}
	return fmt.Sprintf("threshold key (%d of %d)", t.K, t.N)
}

// group returns the threshold key as a reader of records.
func (t *ThresholdKey) group() *groupRef {
	return &groupRef{id: t.ID, name: t.name(), epoch: 1, pk: t.pk}
}

// thresholdGroups returns this account's threshold keys as readers.
func (c *Client) thresholdGroups(ctx context.Context) ([]*groupRef, error) {
	ks, err := c.thresholdKeysOf(ctx, c.accountID())
	if err != nil {
		return nil, err
	}
	out := make([]*groupRef, 0, len(ks))
	for _, k := range ks {
		out = append(out, k.group())
	}
	return out, nil
}

// ShareWithThreshold gives the threshold key key (its id) read access to
// record id (or to a collection's key record): grants of the record's epoch
// keys (its whole history: an emergency reader needs the past) to the
// threshold key, filed under its id. A restricted record is refused.
func (c *Client) ShareWithThreshold(ctx context.Context, id, key RecordID) (err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return err
	}
	t, err := c.thresholdKey(ctx, c.accountID(), key)
	if err != nil {
		return err
	}
	return c.addToGroup(ctx, id, t.group(), true)
}

// RequestEmergency asks for the emergency key of the account named owner:
// an entry of this account's chain, logged as an emergency request that the
// owner sees on every device. It returns the request; give its ID to the
// owner's guardians.
func (c *Client) RequestEmergency(ctx context.Context, owner string) (_ *EmergencyRequest, err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return nil, err
	}
	return c.request(ctx, owner, format.PurposeEmergency)
}

// RequestThreshold asks for the threshold key of the account named owner
// (purpose 2), as RequestEmergency.
func (c *Client) RequestThreshold(ctx context.Context, owner string) (_ *EmergencyRequest, err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return nil, err
	}
	return c.request(ctx, owner, format.PurposeThreshold)
}

func (c *Client) request(ctx context.Context, owner string, purpose uint8) (*EmergencyRequest, error) {
	var oid [32]byte
	if owner == c.prof.Handle {
		oid = c.accountID()
	} else {
		ct, err := c.lookup(ctx, owner, nil)
		if err != nil {
			return nil, err
		}
		oid = ct.AccountID
	}
	ks, err := c.thresholdKeysOf(ctx, oid)
	if err != nil {
		return nil, err
	}
	var key *ThresholdKey
	for _, k := range ks {
		if (k.Emergency) == (purpose == format.PurposeEmergency) {
			key = k // the newest by id order is as good as any: one of each is usual
		}
	}
	if key == nil {
		return nil, fmt.Errorf("%s has set up no such threshold key: %w", owner, ErrNotFound)
	}
	var rid [32]byte
	if _, err := rand.Read(rid[:]); err != nil {
		return nil, err
	}
	ev := format.AccountEntry{Event: format.EventRequest, Record: key.ID, Owner: oid, Object: rid,
		Key: format.KeyID(c.id.card.c.XWingPK)}
	var sent *format.AccountEntry
	err = c.chainWrite(ctx, ev,
		func(e *format.AccountEntry) ([]api.Receipt, error) {
			sent = e
			var out api.Receipts
			err := c.call(ctx, "POST", fmt.Sprintf("/v1/chains/%x", e.Account), itemOf(e), &out)
			return out.Receipts, err
		},
		func(e *format.AccountEntry, le *auditlog.Entry) bool {
			return le.Type == auditlog.EmergencyRequest && le.Subject == e.Account && le.Peer == e.Owner &&
				le.Object == e.Hash() && le.Number == e.Seq
		})
	if err != nil {
		return nil, err
	}
	h := sent.Hash()
	return c.requestStatus(ctx, h)
}

// loggedRequest finds the request whose entry hashes to id in the log and
// returns it with its log entry: the entry is fetched from the requester's
// chain (synced against the log) and must hash to what the log holds, and
// the log entry must be an emergency request naming the owner, so that the
// owner's devices see it (Alerts).
//
// The returned log entry's Time is when the delay starts: the latest of the
// log's time for it, the time of any entry logged before it (log times do not
// go backwards) and the time the requester signed (a server alone cannot
// backdate a request below what the requester's client wrote).
func (c *Client) loggedRequest(ctx context.Context, id [32]byte) (*format.AccountEntry, *auditlog.Entry, error) {
	var le *auditlog.Entry
	var before uint64 // the latest time of an entry logged before the request
	for attempt := 0; le == nil && attempt < 2; attempt++ {
		if attempt > 0 {
			c.logSynced = false // a request made in this operation: read the log again, once
		}
		before = 0
		err := c.scanLog(ctx, func(_ int64, e *auditlog.Entry) {
			if le != nil {
				return
			}
			if e.Object == id && (e.Type == auditlog.EmergencyRequest || e.Type == auditlog.ChainEntry) {
				x := *e
				le = &x
				return
			}
			before = max(before, e.Time)
		})
		if err != nil {
			return nil, nil, err
		}
	}
	if le == nil {
		return nil, nil, fmt.Errorf("request %x is not in the log: %w", id[:4], ErrNotFound)
	}
	if _, err := c.chainOf(ctx, le.Subject); err != nil {
		return nil, nil, err
	}
	var page api.ChainPage
	if err := c.call(ctx, "GET", fmt.Sprintf("/v1/chains/%x?from=%d&limit=1", le.Subject, le.Number), nil, &page); err != nil {
		return nil, nil, err
	}
	if len(page.Entries) != 1 {
		return nil, nil, fmt.Errorf("%w: entry %d of the chain of %x", CheckRollback, le.Number, le.Subject[:4])
	}
	e, err := format.ParseAccountEntry(page.Entries[0].Entry)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: request entry: %w", CheckChain, err)
	}
	switch {
	case e.Hash() != id || e.Account != le.Subject || e.Seq != le.Number:
		return nil, nil, fmt.Errorf("%w: the server served another entry than the logged request %x", CheckWrongRecord, id[:4])
	case e.Event != format.EventRequest:
		return nil, nil, fmt.Errorf("%x is not a request: %w", id[:4], ErrNotFound)
	case le.Type != auditlog.EmergencyRequest || le.Peer != e.Owner:
		// Logged as a plain chain entry, or naming someone else: the
		// owner's devices would not be shown it.
		return nil, nil, fmt.Errorf("%w: request %x is not logged as a request to its owner", CheckNotLogged, id[:4])
	}
	le.Time = max(le.Time, before, e.Created)
	return e, le, nil
}

// parseRequestID reads a request id: 64 hex digits.
func parseRequestID(s string) ([32]byte, error) {
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != 32 {
		return [32]byte{}, fmt.Errorf("%w: a request id is 64 hex digits", ErrInvalid)
	}
	return [32]byte(b), nil
}

// requestStatus returns the request id as the log and the chains show it now.
func (c *Client) requestStatus(ctx context.Context, id [32]byte) (*EmergencyRequest, error) {
	e, le, err := c.loggedRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	key, err := c.thresholdKey(ctx, e.Owner, e.Record)
	if err != nil {
		return nil, err
	}
	ost, err := c.chainOf(ctx, e.Owner)
	if err != nil {
		return nil, err
	}
	hexID := hex.EncodeToString(id[:])
	r := &EmergencyRequest{ID: hexID, Requester: e.Account, Owner: e.Owner, Key: e.Record,
		Logged: time.Unix(int64(le.Time), 0).UTC(), Refused: slices.Contains(ost.Refused, hexID), K: key.K, entry: e, key: key}
	r.NotBefore = r.Logged.Add(key.Delay)
	r.RequesterHandle = c.requesterName(ctx, e.Account)
	if r.Notes, err = c.describeTeams(ctx, key); err != nil {
		return nil, err
	}
	return r, nil
}

// ApproveEmergency approves request id as one of the key's holders: after
// checking that the request is logged (naming the owner), that its delay has
// passed since it was logged, and that the owner's chain, synced against the
// log now, holds no refusal, it re-seals this holder's share to the
// requester's X-Wing key in an entry of this account's chain.
func (c *Client) ApproveEmergency(ctx context.Context, id string) (_ *EmergencyRequest, err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return nil, err
	}
	r, key, err := c.openableRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	rid := mustID(r.ID)
	shares, err := c.ownShares(ctx, key)
	if err != nil {
		return nil, err
	}
	if len(shares) == 0 {
		return nil, fmt.Errorf("%w: this account holds no share of key %x, alone or in a team", ErrForbidden, r.Key[:4])
	}
	rpk, err := c.requesterKey(ctx, r)
	if err != nil {
		return nil, err
	}
	for _, sh := range shares {
		if err := c.approveWith(ctx, r, key, rid, rpk, sh); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// ownShare is a share this account can give: its own (team nil), or a
// team's of which it is a current member.
type ownShare struct {
	h    *format.Holder
	team *Team
}

// ownShares returns the shares of key this account can give: the one sealed
// to it, and those of the guardian teams whose newest description (in their
// admin's chain, synced against the log now) lists it as a member.
func (c *Client) ownShares(ctx context.Context, key *ThresholdKey) ([]ownShare, error) {
	me := c.accountID()
	var out []ownShare
	for i := range key.setup.Holders {
		h := &key.setup.Holders[i]
		if h.Team == nil {
			if h.Account == me {
				out = append(out, ownShare{h: h})
			}
			continue
		}
		t, err := c.verifiedTeam(ctx, h.Account, h.Team.Admin, false)
		if errors.Is(err, ErrDeleted) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("guardian team %x: %w", h.Account[:4], err)
		}
		if slices.Contains(t.Members, AccountID(me)) {
			out = append(out, ownShare{h: h, team: t})
		}
	}
	return out, nil
}

// approveWith opens the share sh, checks it against the set-up's
// commitments, re-seals it to the requester's key rpk and appends the
// approval to this account's chain.
func (c *Client) approveWith(ctx context.Context, r *EmergencyRequest, key *ThresholdKey, rid [32]byte, rpk []byte, sh ownShare) error {
	h := sh.h
	opener := c.id.xkey
	if sh.team == nil {
		if h.Key != format.KeyID(c.id.card.c.XWingPK) {
			return fmt.Errorf("%w: the share was sealed to an earlier key of this account", ErrNotRecipient)
		}
	} else {
		// The team's key of the set-up's epoch, from the team's key
		// record: members of that epoch hold it (and later members of a
		// team whose members read its past).
		k, err := c.groupKey(ctx, h.Account, h.Key)
		if err != nil {
			return fmt.Errorf("%w: the share of team %s is sealed to its key of epoch %d, which this member does not hold (the owner sets up again): %w",
				ErrNotRecipient, sh.team.Name, h.Team.Epoch, err)
		}
		opener = k
	}
	value, err := opener.OpenShare(grant.ShareInfo(key.ID, h.Index, h.Key), h.Enc, h.CT)
	if err != nil {
		return fmt.Errorf("%w: share %d does not open: %w", CheckGrant, h.Index, err)
	}
	defer clear(value)
	if !grant.VerifyShare(key.setup.Commitments, h.Index, value) {
		return fmt.Errorf("%w: share %d is not on the set-up's commitments", CheckGrant, h.Index)
	}
	enc, ct, err := grant.SealShare(rpk, grant.ShareToInfo(rid, h.Index), value)
	if err != nil {
		return err
	}
	ev := format.AccountEntry{Event: format.EventApproval, Record: key.ID, Owner: r.Owner, Object: rid,
		Share: &format.SealedShare{Index: h.Index, Enc: enc, CT: ct}}
	return c.appendEntry(ctx, ev)
}

// openableRequest finds request id (64 hex digits) and its key, checking the
// rules every holder and the requester apply before a share moves: the owner
// did not refuse it, and its delay has passed by this client's clock.
func (c *Client) openableRequest(ctx context.Context, id string) (*EmergencyRequest, *ThresholdKey, error) {
	rid, err := parseRequestID(id)
	if err != nil {
		return nil, nil, err
	}
	r, err := c.requestStatus(ctx, rid)
	if err != nil {
		return nil, nil, err
	}
	if r.Refused {
		return nil, nil, fmt.Errorf("%w: the owner refused request %s", ErrRevoked, r.ID[:8])
	}
	if now := c.clock(); now.Before(r.NotBefore) {
		return nil, nil, fmt.Errorf("%w: the delay of request %s runs until %s", ErrForbidden, r.ID[:8], r.NotBefore.Format(time.RFC3339))
	}
	key, err := c.thresholdKey(ctx, r.Owner, r.Key)
	if err != nil {
		return nil, nil, err
	}
	return r, key, nil
}

// requesterKey returns the X-Wing key of the requester that the request names,
// from the requester's verified cards.
func (c *Client) requesterKey(ctx context.Context, r *EmergencyRequest) ([]byte, error) {
	cards, err := c.cards(ctx, r.Requester)
	if err != nil {
		return nil, err
	}
	for _, kc := range slices.Backward(cards) {
		if format.KeyID(kc.c.XWingPK) == r.entry.Key {
			return kc.c.XWingPK, nil
		}
	}
	return nil, fmt.Errorf("%w: the request names a key that is no card of its requester", CheckKeyUnverified)
}

// RefuseEmergency refuses request id for one of this account's keys: an
// entry of this account's chain that every holder's client checks before
// approving.
func (c *Client) RefuseEmergency(ctx context.Context, id string) (err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return err
	}
	rid, err := parseRequestID(id)
	if err != nil {
		return err
	}
	r, err := c.requestStatus(ctx, rid)
	if err != nil {
		return err
	}
	if r.Owner != c.accountID() {
		return fmt.Errorf("%w: request %s is for another account's key", ErrForbidden, id[:8])
	}
	if r.Refused {
		return nil
	}
	return c.appendEntry(ctx, format.AccountEntry{Event: format.EventRefusal, Record: r.Key, Object: rid})
}

// EmergencyStatus lists, oldest first from the log, the requests for this
// account's keys, those it made, and those for keys it holds a share of (the
// requests it may approve).
func (c *Client) EmergencyStatus(ctx context.Context) (_ []*EmergencyRequest, err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return nil, err
	}
	me := c.accountID()
	type logged struct{ id, owner, requester [32]byte }
	var found []logged
	err = c.scanLog(ctx, func(_ int64, e *auditlog.Entry) {
		if e.Type == auditlog.EmergencyRequest {
			found = append(found, logged{e.Object, e.Peer, e.Subject})
		}
	})
	if err != nil {
		return nil, err
	}
	holds := map[[32]byte]bool{} // owners with a key this account holds a share of, alone or in a team
	out := make([]*EmergencyRequest, 0, len(found))
	for _, f := range found {
		role := ""
		switch {
		case f.owner == me:
			role = "owner"
		case f.requester == me:
			role = "requester"
		default:
			h, seen := holds[f.owner]
			if !seen {
				ks, err := c.thresholdKeysOf(ctx, f.owner)
				if err != nil {
					return nil, err
				}
				for _, k := range ks {
					sh, err := c.ownShares(ctx, k)
					if err != nil {
						return nil, err
					}
					h = h || len(sh) > 0
				}
				holds[f.owner] = h
			}
			if !h {
				continue
			}
			role = "holder"
		}
		r, err := c.requestStatus(ctx, f.id)
		if err != nil {
			return nil, err
		}
		if _, err := c.approvals(ctx, r); err != nil {
			return nil, err
		}
		if role == "holder" {
			sh, err := c.ownShares(ctx, r.key)
			if err != nil {
				return nil, err
			}
			if len(sh) == 0 {
				continue // another key of the same owner
			}
		}
		r.Role = role
		out = append(out, r)
	}
	return out, nil
}

// approvals returns the approvals of r logged by the key's holders, by share
// index, and counts them in r. Each holder's chain is synced against the
// log; only an approval from the holder the set-up lists at its index counts.
func (c *Client) approvals(ctx context.Context, r *EmergencyRequest) (map[uint8]*format.AccountEntry, error) {
	key, err := c.thresholdKey(ctx, r.Owner, r.Key)
	if err != nil {
		return nil, err
	}
	out := map[uint8]*format.AccountEntry{}
	for _, h := range key.setup.Holders {
		// An account approves for itself; a team's share is approved by
		// any member its newest description lists (a removed member, or
		// someone else, is not asked), counted once, as the one index.
		approvers := [][32]byte{h.Account}
		if h.Team != nil {
			t, err := c.verifiedTeam(ctx, h.Account, h.Team.Admin, false)
			if errors.Is(err, ErrDeleted) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("guardian team %x: %w", h.Account[:4], err)
			}
			approvers = approvers[:0]
			for _, m := range t.Members {
				approvers = append(approvers, m)
			}
		}
		for _, a := range approvers {
			st, err := c.chainOf(ctx, a)
			if err != nil {
				return nil, fmt.Errorf("holder %x: %w", a[:4], err)
			}
			e, err := st.approval(r.ID, h.Index)
			if err != nil {
				return nil, err
			}
			if e == nil {
				continue
			}
			if e.Record != r.Key || e.Owner != r.Owner || e.Share.Index != h.Index {
				return nil, fmt.Errorf("%w: holder %d's approval names another key or index", CheckGrant, h.Index)
			}
			out[h.Index] = e
			break
		}
	}
	r.Approvals = len(out)
	return out, nil
}

// approval returns the approval of request (hex) with share index in this
// chain, or nil.
func (st *chainState) approval(request string, index uint8) (*format.AccountEntry, error) {
	b := st.Approvals[fmt.Sprintf("%s/%d", request, index)]
	legacy := b == nil
	if legacy {
		b = st.Approvals[request] // as stored before an account could approve twice
	}
	if b == nil {
		return nil, nil
	}
	e, err := format.ParseAccountEntry(b)
	if err != nil {
		return nil, fmt.Errorf("%w: stored approval: %w", ErrInvalid, err)
	}
	if legacy && e.Share.Index != index {
		return nil, nil
	}
	return e, nil
}

// OpenEmergency opens request id, made by this account, once approved: it
// checks the delay and that no refusal is in the owner's chain, opens k
// approvals from the key's holders, recovers the key and checks it is the
// set-up's. It returns the records shared with the key (and those of a
// collection shared with it), which this client can read from then on (Get),
// also after a restart: the recovered key is kept in the profile, sealed to
// this account's key, and used while the owner's chain still sets it up and
// holds no refusal of the request (emergency_keep.go).
func (c *Client) OpenEmergency(ctx context.Context, id string) (_ []RecordID, err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return nil, err
	}
	r, key, err := c.openableRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.Requester != c.accountID() {
		return nil, fmt.Errorf("%w: request %s was made by another account", ErrForbidden, r.ID[:8])
	}
	// A key kept from an earlier open (of this request or another for the
	// same key) needs no approvals again.
	if k, err := c.keptThresholdKey(ctx, format.KeyID(key.pk)); err != nil {
		return nil, err
	} else if k != nil {
		return c.thresholdRecords(ctx, key)
	}
	rid := mustID(r.ID)
	aps, err := c.approvals(ctx, r)
	if err != nil {
		return nil, err
	}
	values := map[uint8][]byte{}
	defer func() {
		for _, v := range values {
			clear(v)
		}
	}()
	for idx, e := range aps {
		v, err := c.id.xkey.OpenShare(grant.ShareToInfo(rid, idx), e.Share.Enc, e.Share.CT)
		if err != nil {
			return nil, fmt.Errorf("%w: approval %d does not open: %w", CheckGrant, idx, err)
		}
		if !grant.VerifyShare(key.setup.Commitments, idx, v) {
			clear(v)
			return nil, fmt.Errorf("%w: approval %d carries a share that is not the set-up's", CheckGrant, idx)
		}
		values[idx] = v
	}
	if len(values) < key.K {
		return nil, fmt.Errorf("%w: %d of the %d approvals needed", ErrForbidden, len(values), key.K)
	}
	secret, err := grant.Recover(key.K, values)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", CheckGrant, err)
	}
	seed, err := grant.ThresholdSeed(secret, key.ID)
	clear(secret)
	if err != nil {
		return nil, err
	}
	defer clear(seed)
	k, err := grant.NewPrivateKey(seed)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(k.Public(), key.pk) {
		return nil, fmt.Errorf("%w: the recovered key is not the set-up's", CheckGrant)
	}
	if c.thresholdKeys == nil {
		c.thresholdKeys = map[[32]byte]*grant.PrivateKey{}
	}
	c.thresholdKeys[format.KeyID(k.Public())] = k
	if err := c.keepKey(ctx, key, rid, seed); err != nil {
		return nil, err
	}
	return c.thresholdRecords(ctx, key)
}

// thresholdRecords lists the records shared with the threshold key, and
// those of the collections shared with it.
func (c *Client) thresholdRecords(ctx context.Context, key *ThresholdKey) ([]RecordID, error) {
	hs, err := c.heads(ctx, "/v1/shared?via="+RecordID(key.ID).String())
	if err != nil {
		return nil, err
	}
	// A collection shared with the key reaches its records one group further.
	found := map[string]bool{}
	for id := range hs {
		found[id] = true
		inner, err := c.heads(ctx, "/v1/shared?via="+id)
		if err != nil {
			return nil, err
		}
		for id := range inner {
			found[id] = true
		}
	}
	var out []RecordID
	for id := range found {
		out = append(out, RecordID(mustID(id)))
	}
	sortIDs(out)
	return out, nil
}

// clock is the client's clock for delays (tests set it).
func (c *Client) clock() time.Time {
	if c.now != nil {
		return c.now()
	}
	return time.Now()
}

// thresholdEvent reports whether ev is one of the threshold events, which
// name another account's key record rather than one of this account's.
func thresholdEvent(ev format.Event) bool {
	switch ev {
	case format.EventThreshold, format.EventRequest, format.EventRefusal, format.EventApproval:
		return true
	}
	return false
}

// addThreshold folds a threshold event of this chain into st.
func (st *chainState) addThreshold(id string, e *format.AccountEntry) {
	switch e.Event {
	case format.EventThreshold:
		if st.Thresholds == nil {
			st.Thresholds = map[string][]byte{}
		}
		st.Thresholds[id] = e.Marshal()
	case format.EventRefusal:
		if h := hex.EncodeToString(e.Object[:]); !slices.Contains(st.Refused, h) {
			st.Refused = append(st.Refused, h)
		}
	case format.EventApproval:
		if st.Approvals == nil {
			st.Approvals = map[string][]byte{}
		}
		// By request and index: an account approves once for itself and
		// once for each guardian team it belongs to.
		st.Approvals[fmt.Sprintf("%x/%d", e.Object[:], e.Share.Index)] = e.Marshal()
	}
}

// requestAlerts adds to alerts a high-severity alert for each request in ids
// not refused yet: who asked, and by when to refuse it.
func (c *Client) requestAlerts(ctx context.Context, ids [][32]byte, alerts []Alert) ([]Alert, error) {
	for _, id := range ids {
		r, err := c.requestStatus(ctx, id)
		if err != nil {
			return nil, err
		}
		if r.Refused {
			continue
		}
		who := r.RequesterHandle
		alerts = append(alerts, Alert{Time: r.Logged, Kind: AlertEmergencyRequest, Who: who, Severity: "high",
			Message: fmt.Sprintf("an emergency request by %s for your records; refuse it before %s (blindvault emergency refuse %s)",
				who, r.NotBefore.Format(time.DateTime), r.ID)})
	}
	return alerts, nil
}

// requesterName is the handle of account from its verified key cards, or its
// id's first bytes.
func (c *Client) requesterName(ctx context.Context, account [32]byte) string {
	if cards, err := c.cards(ctx, account); err == nil && len(cards) > 0 {
		return cards[len(cards)-1].Handle()
	}
	return fmt.Sprintf("account %x", account[:4])
}
