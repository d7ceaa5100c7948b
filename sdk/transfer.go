package sdk

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/internal/format"
)

// TransferOptions describe a move of this account to another server
// (docs/spec/client-v1.md §9).
type TransferOptions struct {
	// To configures the client of the new server, as for Connect: its URL,
	// and the Storage that keeps this account's profile there. A Storage
	// that already holds this account's profile on that server (a transfer
	// cut off midway) is resumed.
	To Config
	// Passphrase protects the backup on the new server, whose OPRF key is
	// its own, and the keys in the new profile. Weak passphrases are
	// refused. A service account passes none.
	Passphrase []byte
	// Invite registers a role other than patient on the new server.
	Invite string
	// Progress, if set, is called after each record with the records moved
	// so far and the total.
	Progress func(done, total int)
}

// TransferReport says what a transfer moved.
type TransferReport struct {
	To       string `json:"to"`       // the new server's URL, as the pointer names it
	Records  int    `json:"records"`  // records on the new server, all versions in place
	Versions int    `json:"versions"` // versions uploaded by this run (0 for a record already moved)
	Grants   int    `json:"grants"`   // grants sealed again for the new server, this account's own included
	// Pending are the readers of moved records who are not on the new
	// server yet: they stay in the records' ACLs, and get their keys
	// (GrantPending, or Transfer run again) once they are there with the
	// card this device pinned.
	Pending []PendingReader `json:"pending,omitempty"`
}

// Transfer moves every record this account owns to the server of
// opts.To and returns a client logged in there. The identity moves as it is
// (same account id, card, device); on the new server each record gets the
// same signed versions and ACLs, byte for byte, and the readers of its
// current ACL their epoch keys again, sealed to the cards this device
// pinned. Collections and the care teams this account runs move with their
// key records. A reader (a person, or a team) not on the new server yet
// stays in the ACLs without a key and is reported in TransferReport.Pending;
// GrantPending on the returned client gives it its keys once it is there.
// A record with a version by a write delegate not there yet is held back
// (ErrNotFound) while the others move. Last, the old server's chain gets the
// owner-signed pointer EventMoved, which its log holds and MovedTo reports.
// The old server keeps its copy until the account deletes it.
//
// A transfer cut off midway is run again with the same opts.To.Storage: it
// resumes where the new server stands, after checking that what is there
// is what this account wrote. What either server serves is verified; a new
// server that stores something else fails with a *CheckError.
func (c *Client) Transfer(ctx context.Context, opts *TransferOptions) (_ *Client, _ *TransferReport, err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return nil, nil, err
	}
	if opts == nil {
		opts = &TransferOptions{}
	}
	to, err := transferURL(opts.To.Server, c.origin)
	if err != nil {
		return nil, nil, err
	}
	if c.id.card.c.Seq != 1 {
		return nil, nil, fmt.Errorf("%w: an identity whose card was replaced cannot move yet", ErrUnsupported)
	}
	cfg := opts.To
	cfg.Server = to
	if cfg.Passphrase == nil && opts.Passphrase != nil {
		cfg.Passphrase = func() ([]byte, error) { return bytes.Clone(opts.Passphrase), nil }
	}
	dst, err := Connect(ctx, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("new server: %w", err)
	}
	rep := &TransferReport{To: to}
	if err := dst.transferFrom(ctx, c, opts, rep); err != nil {
		return nil, nil, fmt.Errorf("transfer to %s: %w", to, err)
	}
	// The pointer goes last: a client of the old server that sees it can
	// count on the new one holding everything.
	st, err := c.chainOf(ctx, c.accountID())
	if err != nil {
		return nil, nil, err
	}
	if st.Moved != to {
		if err := c.appendEntry(ctx, format.AccountEntry{Event: format.EventMoved, URL: to}); err != nil {
			return nil, nil, fmt.Errorf("moved pointer: %w", err)
		}
	}
	return dst, rep, nil
}

// transferURL checks the new server's URL and returns it as a pointer
// names it.
func transferURL(raw, from string) (string, error) {
	to := normalizeURL(raw)
	// Checked by hand, not with url.Parse, which would link net/netip into
	// blindvault.wasm (~30 KB with brotli) for this one check.
	rest, ok := strings.CutPrefix(to, "https://")
	if !ok {
		rest, ok = strings.CutPrefix(to, "http://")
	}
	printable := !strings.ContainsFunc(to, func(r rune) bool { return r <= ' ' || r == 0x7f })
	switch {
	case to == "":
		return "", fmt.Errorf("%w: transfer needs the new server's URL", ErrInvalid)
	case !ok || rest == "" || rest[0] == '/' || rest[0] == ':' || !printable || strings.ContainsAny(to, "?#@\\") ||
		len(to) > format.MaxMovedURL:
		return "", fmt.Errorf("%w: %q is not a server URL (https://host[:port])", ErrInvalid, raw)
	case to == from:
		return "", fmt.Errorf("%w: the records are already on %s", ErrInvalid, to)
	}
	return to, nil
}

// transferFrom is Transfer on the new server's client: it takes src's
// identity and copies src's records, its collections' key records first
// (the grants to a collection are filed under its key record, which must be
// there).
func (c *Client) transferFrom(ctx context.Context, src *Client, opts *TransferOptions, rep *TransferReport) (err error) {
	defer c.begin(&err)()
	if err := c.adopt(ctx, src, opts); err != nil {
		return err
	}
	ids, err := src.ownedRecords(ctx)
	if err != nil {
		return err
	}
	heads := make([]*version, 0, len(ids))
	defer func() {
		for _, v := range heads {
			v.close()
		}
	}()
	for _, id := range ids {
		v, err := src.fetch(ctx, id, 0)
		if err != nil {
			return err
		}
		// A record listing a group by an older key moves to its current
		// one first, as before any write: only current keys move.
		if v, err = src.followGroups(ctx, v); err != nil {
			return err
		}
		heads = append(heads, v)
	}
	// Every reader is looked for on the new server before anything is
	// copied; the ones not there yet are remembered, with their records, in
	// the profile before the first record moves, so that no run loses them.
	readers, err := c.movedReaders(ctx, src, heads)
	if err != nil {
		return err
	}
	if err := c.pushProfile(ctx); err != nil {
		return err
	}
	var held []error
	for i, v := range heads {
		var absent *authorAbsentError
		if err := c.copyRecord(ctx, src, v, readers, rep); errors.As(err, &absent) {
			held = append(held, err)
		} else if err != nil {
			return fmt.Errorf("record %x: %w", v.id[:4], err)
		} else {
			rep.Records++
		}
		if opts.Progress != nil {
			opts.Progress(i+1, len(heads))
		}
	}
	if len(held) > 0 {
		// The others moved; the pointer waits for these.
		return errors.Join(held...)
	}
	// Readers who arrived since an earlier run get their keys now.
	granted, pending, err := c.grantPending(ctx)
	if err != nil {
		return err
	}
	rep.Grants += granted
	rep.Pending = pending
	// The pins and restrictions reach the account's other devices there.
	return c.pushProfile(ctx)
}

// adopt makes src's identity this client's: it registers the account on
// this client's server with src's card and device, or, on a second run,
// checks that the profile there is the same account's.
func (c *Client) adopt(ctx context.Context, src *Client, opts *TransferOptions) error {
	if c.id != nil {
		if c.accountID() != src.accountID() {
			return fmt.Errorf("%w: the new server's profile is another account's", ErrProfileExists)
		}
		return nil
	}
	if err := c.pinLog(ctx); err != nil {
		return err
	}
	passphrase, local := opts.Passphrase, opts.Passphrase
	if src.prof.Role == format.RoleService {
		if passphrase != nil {
			return fmt.Errorf("%w: a service account has no passphrase", ErrInvalid)
		}
		passphrase = unseenPassphrase()
	} else if len(passphrase) == 0 {
		return fmt.Errorf("%w: the new server's backup needs the passphrase", ErrInvalid)
	}
	cert, err := certifyDevice(src.id, src.device)
	if err != nil {
		return err
	}
	// What this device verified of others moves with it: the new server's
	// cards are checked against the same pins. The collections move with
	// the records; a team is pinned there once it is found there
	// (movedReaders, grantPending).
	c.prof.Pins, c.prof.Orgs = maps.Clone(src.prof.Pins), maps.Clone(src.prof.Orgs)
	c.prof.Restricted = maps.Clone(src.prof.Restricted)
	c.prof.Collections = maps.Clone(src.prof.Collections)
	c.profileDirty = true
	_, err = c.enroll(ctx, src.id, src.device, cert, src.prof.Role, opts.Invite, passphrase, local)
	return err
}

// ownedRecords lists the records this account owns, from its verified
// chain: all but the profile record. The key records of its teams and
// collections come first: the grants to a group are filed under its key
// record, which must be on the new server.
func (c *Client) ownedRecords(ctx context.Context) ([][32]byte, error) {
	me := c.accountID()
	st, err := c.chainOf(ctx, me)
	if err != nil {
		return nil, err
	}
	var groups, ids [][32]byte
	for key, r := range st.Records {
		switch {
		case r.Deleted || r.Profile || r.Version == 0 || r.Owner != c.prof.Account:
		case st.Teams[key] != nil || c.prof.Collections[key] != nil:
			groups = append(groups, mustID(key))
		default:
			ids = append(ids, mustID(key))
		}
	}
	return append(groups, ids...), nil
}

// recipient is a reader of the records being moved as the new server knows
// it: the account (or the group's key record) its grants are filed under,
// and the X-Wing key they are sealed to.
type recipient struct {
	account [32]byte
	pk      []byte
	name    string
	team    *Team // a care team, as its admin's chain describes it
}

// movedReaders returns, by KeyID, every reader that the current ACLs of
// heads list: this account; its collections, by the key of each epoch (their
// key records move first); and each contact and team src verified, as found
// on this client's server (pendingRecipient), or nil if it is not there yet,
// in which case it goes into the profile's pending readers with the record.
// A reader src cannot name stops the transfer.
func (c *Client) movedReaders(ctx context.Context, src *Client, heads []*version) (map[[32]byte]*recipient, error) {
	out := map[[32]byte]*recipient{format.KeyID(c.id.card.c.XWingPK): {account: c.accountID(), pk: c.id.card.c.XWingPK, name: c.id.card.c.Handle}}
	known, err := src.knownReaders(ctx, heads)
	if err != nil {
		return nil, err
	}
	// Reading the teams may have pinned their admins: the new server's
	// cards of them are checked against those pins too.
	for k, p := range src.prof.Pins {
		if _, ok := c.prof.Pins[k]; !ok {
			c.prof.Pins[k] = p
			c.profileDirty = true
		}
	}
	for _, v := range heads {
		rec := hex.EncodeToString(v.id[:])
		for _, e := range v.acl.Entries {
			r, done := out[e.Reader]
			key := hex.EncodeToString(e.Reader[:])
			if !done {
				k, ok := known[e.Reader]
				switch {
				case !ok:
					return nil, fmt.Errorf("%w: record %x is shared with a key this device cannot name (not a contact, team or collection of this account)", ErrUnsupported, v.id[:4])
				case k.rcpt != nil:
					r = k.rcpt
				default:
					if r, err = c.pendingRecipient(ctx, e.Reader, k.pending); err != nil {
						return nil, err
					}
					if r == nil && c.prof.Pending[key] == nil {
						if c.prof.Pending == nil {
							c.prof.Pending = map[string]*pendingReader{}
						}
						p := *k.pending
						c.prof.Pending[key] = &p
					}
				}
				out[e.Reader] = r
			}
			// A reader pending for this record from an earlier run stays so:
			// grantPending gives it every epoch at once.
			if p := c.prof.Pending[key]; p != nil && (r == nil || slices.Contains(p.Records, rec)) {
				if !slices.Contains(p.Records, rec) {
					p.Records = append(p.Records, rec)
				}
				c.profileDirty = true
			}
		}
	}
	return out, nil
}

// knownReader is a reader src can name: a recipient as it is (this
// account's collections), or a contact or team to look for on the new
// server.
type knownReader struct {
	rcpt    *recipient
	pending *pendingReader
}

// knownReaders maps the KeyIDs src can name to the readers they are: its
// pinned contacts, its pinned teams (every key of theirs it knows) and the
// key of every epoch of its collections whose key records are among heads.
func (c *Client) knownReaders(ctx context.Context, heads []*version) (map[[32]byte]knownReader, error) {
	cards, err := c.knownCards(ctx)
	if err != nil {
		return nil, err
	}
	out := map[[32]byte]knownReader{}
	for key, kc := range cards {
		out[key] = knownReader{pending: &pendingReader{Account: hex.EncodeToString(kc.c.AccountID[:]), Name: kc.c.Handle}}
	}
	if len(c.prof.Teams) > 0 {
		teams, err := c.pinnedTeams(ctx, false)
		if err != nil {
			return nil, err
		}
		for _, t := range teams {
			p := &pendingReader{Account: t.ID.String(), Admin: hex.EncodeToString(t.Admin[:]), Name: "team " + t.Name}
			for _, k := range append([][32]byte{format.KeyID(t.pk)}, t.keys...) {
				out[k] = knownReader{pending: p}
			}
		}
	}
	for _, v := range heads {
		p := c.prof.Collections[hex.EncodeToString(v.id[:])]
		if p == nil {
			continue
		}
		for e, key := range v.epochs {
			pk, err := groupPublic(key, v.id, e)
			if err != nil {
				return nil, err
			}
			out[format.KeyID(pk)] = knownReader{rcpt: &recipient{account: v.id, pk: pk, name: "collection " + p.Name}}
		}
	}
	return out, nil
}

// copyRecord brings the record of src's verified head v to this client's
// server: the ACLs and versions the new server lacks, in the order they were
// made, and then checks that the new server's head is v's.
func (c *Client) copyRecord(ctx context.Context, src *Client, v *version, readers map[[32]byte]*recipient, rep *TransferReport) error {
	acls, raws, err := src.aclHistory(ctx, v)
	if err != nil {
		return err
	}
	m := &recordMove{dst: c, src: src, head: v, acls: acls, raws: raws, readers: readers, rep: rep}
	if m.team, err = src.teamEntry(ctx, v.id); err != nil {
		return err
	}
	if err := m.resume(ctx); err != nil || m.done {
		return err
	}
	for n := m.version + 1; n <= v.header.Version; n++ {
		if err := m.copyVersion(ctx, n); err != nil {
			return fmt.Errorf("version %d: %w", n, err)
		}
	}
	for m.aclSeq < uint64(len(acls)) {
		if err := m.putACL(ctx); err != nil {
			return err
		}
	}
	if err := m.describeTeam(ctx); err != nil {
		return err
	}
	// What the new server now serves is verified as any read is, and must
	// be what the old one served.
	got, err := c.fetch(ctx, v.id, 0)
	if err != nil {
		return err
	}
	defer got.close()
	if got.header.Hash() != v.header.Hash() || got.acl.Hash() != v.acl.Hash() {
		return fmt.Errorf("%w: the new server's head is not the record's", CheckEquivocation)
	}
	return nil
}

// aclHistory returns the ACLs of v's record, seq 1 first, each checked
// against its successor back from v's verified current ACL, with their
// signed forms.
func (c *Client) aclHistory(ctx context.Context, v *version) ([]*format.ACL, [][]byte, error) {
	n := v.acl.Seq
	acls, raws := make([]*format.ACL, n), make([][]byte, n)
	acls[n-1], raws[n-1] = v.acl, v.acl.Marshal()
	ownerCards, err := c.cards(ctx, v.owner)
	if err != nil {
		return nil, nil, err
	}
	for seq := n - 1; seq >= 1; seq-- {
		raw, err := c.priorACL(ctx, v, seq)
		if err != nil {
			return nil, nil, err
		}
		prev, err := parseACL(raw, v.id, ownerCards)
		if err != nil {
			return nil, nil, err
		}
		if err := acls[seq].VerifySuccessor(prev); err != nil {
			return nil, nil, fmt.Errorf("%w: ACL %d: %w", CheckEquivocation, seq+1, err)
		}
		acls[seq-1], raws[seq-1] = prev, raw
	}
	return acls, raws, nil
}

// recordMove is one record being copied: how far the new server has it,
// and what the old one verified.
type recordMove struct {
	dst, src *Client
	head     *version      // the old server's head, verified
	acls     []*format.ACL // the record's ACLs, seq 1 first
	raws     [][]byte      // their signed forms
	readers  map[[32]byte]*recipient
	rep      *TransferReport

	team            *format.AccountEntry // a team's newest description, in the old chain
	version, aclSeq uint64               // what the new server holds
	done            bool                 // the new server holds the record and what the owner wrote there since
}

// resume reads how far the new server has the record. What it holds must be
// this record's own history.
func (m *recordMove) resume(ctx context.Context) error {
	var view api.Record
	err := m.dst.call(ctx, "GET", fmt.Sprintf("/v1/records/%x", m.head.id), nil, &view)
	if isStatus(err, statusNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	if view.ACLSeq == 0 {
		return fmt.Errorf("%w: the new server holds version %d, ACL %d of the record", CheckEquivocation, view.Version, view.ACLSeq)
	}
	if view.ACLSeq > uint64(len(m.acls)) || view.Version > m.head.header.Version || view.Deleted {
		// Past what the old server holds: the owner wrote there since (a
		// pending reader granted, a new version, a deletion).
		return m.ahead(ctx)
	}
	old, err := m.src.fetch(ctx, m.head.id, view.Version)
	if err != nil {
		return err
	}
	old.close()
	if !sameHash(view.HeaderHash, old.header.Hash()) || !bytes.Equal(view.ACL, m.raws[view.ACLSeq-1]) {
		return fmt.Errorf("%w: the new server holds another version %d or ACL %d", CheckEquivocation, view.Version, view.ACLSeq)
	}
	m.version, m.aclSeq = view.Version, view.ACLSeq
	return nil
}

// ahead checks a record that the new server holds past the old server's
// head: the owner's verified chain there deleted it, or the new server's head,
// verified as any read, descends from the old head (its ACL history starts
// with the old one, and its version of the old head's number is the old
// head). The record is then moved already.
func (m *recordMove) ahead(ctx context.Context) error {
	st, err := m.dst.chainOf(ctx, m.dst.accountID())
	if err != nil {
		return err
	}
	if r := st.Records[hex.EncodeToString(m.head.id[:])]; r != nil && r.Deleted {
		m.done = true
		return nil
	}
	got, err := m.dst.fetch(ctx, m.head.id, 0)
	if err != nil {
		return err
	}
	defer got.close()
	if got.acl.Seq < uint64(len(m.acls)) || got.header.Version < m.head.header.Version {
		return fmt.Errorf("%w: the new server's head is behind the record's", CheckEquivocation)
	}
	acls, _, err := m.dst.aclHistory(ctx, got)
	if err != nil {
		return err
	}
	for i, a := range m.acls {
		if acls[i].Hash() != a.Hash() {
			return fmt.Errorf("%w: the new server's ACL %d is not the record's", CheckEquivocation, i+1)
		}
	}
	old, err := m.dst.fetch(ctx, m.head.id, m.head.header.Version)
	if err != nil {
		return err
	}
	defer old.close()
	if old.header.Hash() != m.head.header.Hash() {
		return fmt.Errorf("%w: the new server's version %d is not the record's", CheckEquivocation, m.head.header.Version)
	}
	m.done = true
	return nil
}

// teamEntry returns the newest description of the team whose key record is
// id in this account's verified chain, or nil if id is no team's of this
// account.
func (c *Client) teamEntry(ctx context.Context, id [32]byte) (*format.AccountEntry, error) {
	st, err := c.chainOf(ctx, c.accountID())
	if err != nil {
		return nil, err
	}
	ct := st.Teams[hex.EncodeToString(id[:])]
	if ct == nil {
		return nil, nil
	}
	e, err := format.ParseAccountEntry(ct.Entry)
	if err != nil {
		return nil, fmt.Errorf("%w: stored team entry: %w", ErrInvalid, err)
	}
	return e, nil
}

// describeTeam gives a moved team's key record its description in the new
// chain: the old chain's newest, as the entry of the ACL it describes (sent
// with that ACL by putACL), or appended after version 1 for a team whose
// ACL 1 is the newest, as CreateTeam does.
func (m *recordMove) describeTeam(ctx context.Context) error {
	if m.team == nil {
		return nil
	}
	st, err := m.dst.chainOf(ctx, m.dst.accountID())
	if err != nil {
		return err
	}
	key := hex.EncodeToString(m.head.id[:])
	if st.Teams[key] != nil {
		return nil
	}
	if r := st.Records[key]; r == nil || r.ACLSeq >= m.team.Number || m.team.Number > uint64(len(m.acls)) {
		return fmt.Errorf("%w: team %x's description is for ACL %d", CheckWrongACL, m.head.id[:4], m.team.Number)
	}
	n := m.team.Number
	return m.dst.appendEntry(ctx, format.AccountEntry{Event: format.EventTeam, Record: m.head.id, Number: n, Object: m.acls[n-1].Hash(), Team: m.team.Team})
}

// copyVersion copies version n, after the ACLs before the one its header
// signs. Its body is opened on the way, so that only what verifies moves.
func (m *recordMove) copyVersion(ctx context.Context, n uint64) error {
	v, err := m.src.fetch(ctx, m.head.id, n)
	if err != nil {
		return err
	}
	defer v.close()
	h := v.header
	if h.Author != m.head.owner {
		// A delegate's version is uploaded as the delegate signed it, which
		// the new server takes only from an account of its own.
		if _, err := m.dst.cards(ctx, h.Author); errors.Is(err, ErrNotFound) {
			name := fmt.Sprintf("%x", h.Author[:4])
			if cards, err := m.src.cards(ctx, h.Author); err == nil {
				name = cards[len(cards)-1].Handle()
			}
			return &authorAbsentError{record: m.head.id, name: name}
		} else if err != nil {
			return err
		}
	}
	// The ACL the header signs: the new server's current one or a later one.
	seq := max(m.aclSeq, 1)
	for seq <= uint64(len(m.acls)) && m.acls[seq-1].Hash() != h.ACLHash {
		seq++
	}
	if seq > uint64(len(m.acls)) || (n == 1 && seq != 1) {
		return fmt.Errorf("%w: the header signs no ACL from the new server's on", CheckWrongACL)
	}
	for n > 1 && m.aclSeq < seq {
		if err := m.putACL(ctx); err != nil {
			return err
		}
	}
	var acl []byte
	var grants []grantItem
	if n == 1 {
		acl = m.raws[0]
		if grants, err = m.grants(1); err != nil {
			return err
		}
	}
	leaves, body, err := m.src.bodyStreams(ctx, v)
	if err != nil {
		return err
	}
	defer leaves.Close()
	defer body.Body.Close()
	spooled, err := newSpool(int64(h.CiphertextLen))
	if err != nil {
		return err
	}
	defer spooled.Close()
	lr, err := leaves.Reader()
	if err != nil {
		return err
	}
	counted := &countingReader{r: io.LimitReader(body.Body, int64(h.CiphertextLen))}
	if err := openUnlocked(ctx, v.unlocked, io.Discard, io.TeeReader(counted, spooled), lr, m.src.cfg.Workers); err != nil {
		return err
	}
	if counted.n != h.CiphertextLen {
		return fmt.Errorf("%w: body of %d bytes, the header signs %d", CheckTruncated, counted.n, h.CiphertextLen)
	}
	if err := m.dst.uploadVersion(ctx, format.EventVersion, h, acl, grants, spooledFrame(leaves, spooled)); err != nil {
		return err
	}
	m.version, m.aclSeq = n, max(m.aclSeq, 1)
	m.rep.Versions++
	m.rep.Grants += len(grants)
	return nil
}

// putACL stores the record's next ACL on the new server, with its grants.
func (m *recordMove) putACL(ctx context.Context) error {
	seq := m.aclSeq + 1
	grants, err := m.grants(seq)
	if err != nil {
		return err
	}
	req := api.Sharing{ACL: m.raws[seq-1]}
	for _, g := range grants {
		req.Grants = append(req.Grants, api.SharedGrant{Account: fmt.Sprintf("%x", g.account), Grant: g.grant.Marshal()})
	}
	a := m.acls[seq-1]
	ev := format.AccountEntry{Event: format.EventACL, Record: m.head.id, Number: seq, Object: a.Hash()}
	if m.team != nil && m.team.Number == seq {
		ev.Event, ev.Team = format.EventTeam, m.team.Team
	}
	if err := m.dst.sendSharing(ctx, ev, req); err != nil {
		return fmt.Errorf("ACL %d: %w", seq, err)
	}
	m.aclSeq = seq
	m.rep.Grants += len(grants)
	return nil
}

// grants seals again the epoch key of ACL seq to each of its readers that
// the current ACL still lists (all of them for seq 1, whose readers version
// 1 must reach), unless the ACL before already gave that reader that epoch:
// so each grant is made once, whichever run makes it. A reader pending for
// this record (not on the new server, or not when an earlier run started)
// gets nothing here: grantPending gives it every epoch at once. Version 1
// must reach every reader of ACL 1, so a pending one there stops the move of
// that record.
func (m *recordMove) grants(seq uint64) ([]grantItem, error) {
	a := m.acls[seq-1]
	key, ok := m.head.epochs[a.Epoch]
	if !ok {
		return nil, fmt.Errorf("%w: no key for epoch %d", CheckMissingGrant, a.Epoch)
	}
	var out []grantItem
	for _, e := range a.Entries {
		if _, now := m.head.acl.Lookup(e.Reader); !now && seq != 1 {
			continue
		}
		if seq > 1 {
			prev := m.acls[seq-2]
			if _, had := prev.Lookup(e.Reader); had && prev.Epoch == a.Epoch {
				continue
			}
		}
		r := m.readers[e.Reader]
		if m.dst.pendingFor(e.Reader, m.head.id) || r == nil {
			if seq == 1 {
				return nil, fmt.Errorf("%w: version 1's ACL lists %s, who is not on the new server yet: they move first", ErrNotFound, m.dst.readerName(e.Reader))
			}
			continue
		}
		g, err := sealGrantTo(m.dst.id, m.head.id, a.Epoch, r.pk, r.name, key)
		if err != nil {
			return nil, err
		}
		out = append(out, grantItem{r.account, g})
	}
	return out, nil
}

// authorAbsentError is a record that cannot move yet: a version of it is by a
// write delegate who is not on the new server.
type authorAbsentError struct {
	record [32]byte
	name   string
}

func (e *authorAbsentError) Error() string {
	return fmt.Sprintf("record %x: a version is by %s, who is not on the new server yet: the record moves once they are (run the transfer again)", e.record[:4], e.name)
}

// Is makes it ErrNotFound.
func (e *authorAbsentError) Is(target error) bool { return target == ErrNotFound }

// MovedTo returns the server that account said it moved to (Transfer), as
// its owner-signed chain on this client's server shows, or "" if it did not
// move. A server cannot forge the pointer, and hiding it is a rollback of
// the chain that this device would catch once it has seen it.
func (c *Client) MovedTo(ctx context.Context, account AccountID) (_ string, err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return "", err
	}
	st, err := c.chainOf(ctx, account)
	if err != nil {
		return "", err
	}
	return st.Moved, nil
}
