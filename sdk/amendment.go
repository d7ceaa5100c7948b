package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/internal/record"
)

// The right to correct. A patient asks the author of a record to amend it;
// the author answers with an amended version and an answer saying so, or a
// refusal with a reason; the patient may then attach a statement of
// disagreement. Each step is a small record of its own (type
// application/vnd.blindvault.amendment+json), signed by its writer like any
// version, encrypted, and shared only with the other party: the server sees
// records and grants, never which record they are about or what they say. The
// history of a record's amendments is read back from those records, each
// checked against its role (client-v1 §8).

// amendmentType is the metadata type of every amendment step.
const amendmentType = "application/vnd.blindvault.amendment+json"

// maxAmendmentText bounds the text of one step.
const maxAmendmentText = 16 << 10

// Amendment kinds and answers.
const (
	AmendmentRequest      = "request"
	AmendmentAnswer       = "answer"
	AmendmentDisagreement = "disagreement"

	AmendmentAmended = "amended"
	AmendmentRefused = "refused"
)

// Amendment is one verified step of a record's amendment history.
type Amendment struct {
	ID      RecordID // the step's own record
	Kind    string   // AmendmentRequest, AmendmentAnswer or AmendmentDisagreement
	Record  RecordID // the record the step is about
	Version uint64   // the version asked about (request), or amended to (answer)
	// Request is the request an answer or a disagreement replies to.
	Request RecordID
	// Decision is an answer's: AmendmentAmended or AmendmentRefused.
	Decision string
	Text     string
	By       *KeyCard // the step's verified writer
	At       time.Time
}

// amendmentBody is a step's plaintext.
type amendmentBody struct {
	Kind     string `json:"kind"`
	Record   string `json:"record"`
	Version  uint64 `json:"version"`
	Request  string `json:"request,omitempty"`
	Decision string `json:"decision,omitempty"`
	Text     string `json:"text"`
}

// RequestAmendment asks the author of record id (as its newest version
// says) to amend it, with the patient's reasons in text. The request is
// shared with the author, with the record's owner if that is someone else,
// and with each verified care team (of an organisation this client trusts)
// that the author belongs to and the record is shared with: one grant to the
// team, so that the author's team sees the request too.
func (c *Client) RequestAmendment(ctx context.Context, id RecordID, text string) (_ *Amendment, err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return nil, err
	}
	v, err := c.fetch(ctx, id, 0)
	if err != nil {
		return nil, err
	}
	author, owner, version, acl := v.author, v.ownerKC, v.header.Version, v.acl
	v.close()
	if author.AccountID() == c.accountID() {
		return nil, fmt.Errorf("%w: you wrote this record: write a new version instead", ErrInvalid)
	}
	to := []*KeyCard{author}
	if owner.AccountID() != author.AccountID() && owner.AccountID() != c.accountID() {
		to = append(to, owner)
	}
	teams, err := c.authorTeams(ctx, acl, author.AccountID())
	if err != nil {
		return nil, err
	}
	return c.putAmendment(ctx, &amendmentBody{Kind: AmendmentRequest, Record: id.String(), Version: version, Text: text}, to, teams...)
}

// authorTeams returns the care teams that acl lists as readers (by a key of
// any epoch) and whose newest description lists author as a member: the
// teams of the organisations this client trusts, verified from their
// admins' chains (synced against the log).
func (c *Client) authorTeams(ctx context.Context, acl *format.ACL, author [32]byte) ([]*Team, error) {
	admins := map[[32]byte]bool{}
	for _, op := range c.prof.Orgs {
		admins[mustID(op.Admin)] = true
	}
	var out []*Team
	for admin := range admins {
		st, err := c.chainOf(ctx, admin)
		if err != nil {
			return nil, err
		}
		for key := range st.Teams {
			t, err := c.verifiedTeam(ctx, mustID(key), admin, false)
			if errors.Is(err, ErrDeleted) {
				continue
			}
			if err != nil {
				return nil, err
			}
			g := t.group()
			if slices.Contains(t.Members, AccountID(author)) &&
				slices.ContainsFunc(acl.Entries, func(e format.ACLEntry) bool { return g.holds(e.Reader) }) {
				out = append(out, t)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i].ID[:], out[j].ID[:]) < 0 })
	return out, nil
}

// AnswerAmendment answers request: AmendmentAmended once this account (the
// author asked) wrote the amended version, which the answer names, or
// AmendmentRefused with the reason in text. The answer is shared with the
// requester.
func (c *Client) AnswerAmendment(ctx context.Context, request RecordID, decision, text string) (_ *Amendment, err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return nil, err
	}
	req, err := c.amendmentStep(ctx, request)
	if err != nil {
		return nil, err
	}
	if req.Kind != AmendmentRequest {
		return nil, fmt.Errorf("%w: %s is not an amendment request", ErrInvalid, request)
	}
	if decision != AmendmentAmended && decision != AmendmentRefused {
		return nil, fmt.Errorf("%w: an answer is %q or %q", ErrInvalid, AmendmentAmended, AmendmentRefused)
	}
	v, err := c.fetch(ctx, req.Record, 0)
	if err != nil {
		return nil, err
	}
	author, version := v.author, v.header.Version
	v.close()
	if decision == AmendmentAmended && (version <= req.Version || author.AccountID() != c.accountID()) {
		return nil, fmt.Errorf("%w: write the amended version of the record first (it is at version %d, asked about %d)", ErrInvalid, version, req.Version)
	}
	return c.putAmendment(ctx, &amendmentBody{Kind: AmendmentAnswer, Record: req.Record.String(), Version: version,
		Request: request.String(), Decision: decision, Text: text}, []*KeyCard{req.By})
}

// DisagreeWithAnswer attaches the requester's statement of disagreement to
// an amendment request of theirs; it is shared with the author asked.
func (c *Client) DisagreeWithAnswer(ctx context.Context, request RecordID, text string) (_ *Amendment, err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return nil, err
	}
	req, err := c.amendmentStep(ctx, request)
	if err != nil {
		return nil, err
	}
	if req.Kind != AmendmentRequest || req.By.AccountID() != c.accountID() {
		return nil, fmt.Errorf("%w: %s is not an amendment request of yours", ErrInvalid, request)
	}
	v, err := c.fetch(ctx, req.Record, 0)
	if err != nil {
		return nil, err
	}
	author, version := v.author, v.header.Version
	v.close()
	return c.putAmendment(ctx, &amendmentBody{Kind: AmendmentDisagreement, Record: req.Record.String(), Version: version,
		Request: request.String(), Text: text}, []*KeyCard{author})
}

// Amendments returns the verified amendment history of record id that this
// account can read, oldest first. A step whose writer may not have written
// it (an answer by someone else than the author asked, a disagreement by
// someone else than the requester) is CheckSigner.
func (c *Client) Amendments(ctx context.Context, id RecordID) (_ []*Amendment, err error) {
	all, err := c.AllAmendments(ctx)
	return all[id], err
}

// AllAmendments returns, for each record with any, the verified amendment
// history this account can read, oldest first, as [Client.Amendments] does
// for one record, in one pass over the account's records.
func (c *Client) AllAmendments(ctx context.Context) (_ map[RecordID][]*Amendment, err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return nil, err
	}
	recs, err := c.list(ctx)
	if err != nil {
		return nil, err
	}
	steps := map[RecordID]*Amendment{}
	byRecord := map[RecordID][]*Amendment{}
	for _, r := range recs {
		if r.Type != amendmentType {
			continue
		}
		a, err := c.amendmentStep(ctx, r.RecordID)
		if err != nil {
			return nil, err
		}
		steps[a.ID] = a
		byRecord[a.Record] = append(byRecord[a.Record], a)
	}
	// Times are in seconds; a reply never comes before what it replies to.
	rank := map[string]int{AmendmentRequest: 0, AmendmentAnswer: 1, AmendmentDisagreement: 2}
	for _, out := range byRecord {
		for _, a := range out {
			if err := checkAmendmentRole(a, steps); err != nil {
				return nil, err
			}
		}
		sort.SliceStable(out, func(i, j int) bool {
			if c := out[i].At.Compare(out[j].At); c != 0 {
				return c < 0
			}
			return rank[out[i].Kind] < rank[out[j].Kind]
		})
	}
	return byRecord, nil
}

// checkAmendmentRole checks that a step's writer is the one its role allows:
// an answer is the asked author's (the request went to them), a
// disagreement the requester's.
func checkAmendmentRole(a *Amendment, steps map[RecordID]*Amendment) error {
	if a.Kind == AmendmentRequest {
		return nil
	}
	req, ok := steps[a.Request]
	if !ok {
		return nil // a request this account cannot read: the reply stands alone
	}
	switch {
	case req.Record != a.Record:
		return fmt.Errorf("%w: amendment step %s replies to a request about another record", CheckWrongRecord, a.ID)
	case a.Kind == AmendmentDisagreement && a.By.AccountID() != req.By.AccountID():
		return fmt.Errorf("%w: a disagreement with request %s not written by its requester", CheckSigner, a.Request)
	case a.Kind == AmendmentAnswer && a.By.AccountID() == req.By.AccountID():
		return fmt.Errorf("%w: request %s answered by its own requester", CheckSigner, a.Request)
	}
	return nil
}

// amendmentStep reads and parses the amendment step in record id.
func (c *Client) amendmentStep(ctx context.Context, id RecordID) (*Amendment, error) {
	v, err := c.fetch(ctx, id, 0)
	if err != nil {
		return nil, err
	}
	defer v.close()
	if v.unlocked.Meta.Type != amendmentType {
		return nil, fmt.Errorf("%w: record %s is not an amendment step", ErrInvalid, id)
	}
	var buf bytes.Buffer
	if err := c.openBody(ctx, v, &buf); err != nil {
		return nil, err
	}
	var b amendmentBody
	if err := json.Unmarshal(buf.Bytes(), &b); err != nil {
		return nil, fmt.Errorf("%w: amendment step %s: %w", ErrInvalid, id, err)
	}
	a := &Amendment{ID: id, Kind: b.Kind, Version: b.Version, Decision: b.Decision, Text: b.Text, By: v.author,
		At: v.unlocked.Meta.Modified}
	var perr error
	if a.Record, perr = ParseRecordID(b.Record); perr == nil && b.Request != "" {
		a.Request, perr = ParseRecordID(b.Request)
	}
	switch {
	case perr != nil:
		return nil, fmt.Errorf("%w: amendment step %s names no record: %w", ErrInvalid, id, perr)
	case v.author.AccountID() != v.ownerKC.AccountID():
		return nil, fmt.Errorf("%w: amendment step %s was written by another account than its owner", CheckSigner, id)
	case b.Kind != AmendmentRequest && b.Kind != AmendmentAnswer && b.Kind != AmendmentDisagreement:
		return nil, fmt.Errorf("%w: amendment step %s is of unknown kind %q", ErrInvalid, id, b.Kind)
	}
	return a, nil
}

// putAmendment writes a step as a record of this account's and shares it
// with the accounts of to, whose cards are verified as Lookup verifies them,
// and with teams (one grant each).
func (c *Client) putAmendment(ctx context.Context, b *amendmentBody, to []*KeyCard, teams ...*Team) (*Amendment, error) {
	if len(b.Text) > maxAmendmentText {
		return nil, fmt.Errorf("%w: at most %d bytes of text", ErrTooLarge, maxAmendmentText)
	}
	if b.Kind == AmendmentRequest && b.Text == "" {
		return nil, fmt.Errorf("%w: say what to correct", ErrInvalid)
	}
	data, err := json.Marshal(b)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	info, err := c.put(ctx, bytes.NewReader(data), int64(len(data)), [32]byte{},
		record.Meta{Title: "amendment " + b.Kind, Type: amendmentType, Created: now, Modified: now}, format.EventVersion)
	if err != nil {
		return nil, err
	}
	for _, kc := range to {
		ct, err := c.lookup(ctx, kc.Handle(), nil)
		if err != nil {
			return nil, err
		}
		if ct.AccountID != kc.AccountID() {
			return nil, fmt.Errorf("%w: %q is now another account than the one that wrote the record", CheckKeyUnverified, kc.Handle())
		}
		if err := c.shareWith(ctx, info.RecordID, ct, &ShareOptions{}); err != nil {
			return nil, err
		}
	}
	for _, t := range teams {
		if err := c.addToGroup(ctx, info.RecordID, t.group(), false); err != nil {
			return nil, err
		}
		c.pinTeam(t.ID, t.Admin, t.Name)
	}
	a := &Amendment{ID: info.RecordID, Kind: b.Kind, Version: b.Version, Decision: b.Decision, Text: b.Text,
		By: c.id.card, At: now}
	a.Record, _ = ParseRecordID(b.Record)
	if b.Request != "" {
		a.Request, _ = ParseRecordID(b.Request)
	}
	return a, c.pushProfile(ctx)
}
