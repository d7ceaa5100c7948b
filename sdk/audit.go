package sdk

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/internal/auditlog"
	"github.com/blindvault/blindvault/internal/format"
)

// Reading the log means appending every entry to its Merkle tree, so that
// the entries the server served are exactly the ones its signed checkpoint
// commits to: none dropped, none changed, none added (CheckLogMismatch). The
// profile keeps the tree's frontier (logindex.go), so each operation reads
// only new entries; an audit reads the log again from the start. Past one
// server a verifiable index is the way on (docs/spec/log-v1.md §8).

// LogReport is what VerifyLog checked.
type LogReport struct {
	Origin  string
	Size    int64
	Root    string // hex
	Entries int64  // entries read and hashed in this run
}

// VerifyLog fetches the newest checkpoint, checks that it extends the last
// one this profile verified (and has the configured witness cosignatures),
// rebuilds the tree from every entry, and checks the log's entries about
// this account: a key card or device it did not make is CheckUnexpectedKey.
func (c *Client) VerifyLog(ctx context.Context) (_ *LogReport, err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return nil, err
	}
	before := c.index().Size
	cp, err := c.syncLog(ctx)
	if err != nil {
		return nil, err
	}
	// The log backs this account's own chain as the server serves it.
	if _, err := c.chainOf(ctx, c.accountID()); err != nil {
		return nil, err
	}
	return &LogReport{Origin: cp.Origin, Size: cp.Size, Root: fmt.Sprintf("%x", cp.Root[:]), Entries: cp.Size - before}, nil
}

// syncLog moves to the server's newest checkpoint and reads the entries since
// the index's end, checking that they extend the indexed tree to the
// checkpoint's root, then folds them into the index and checks this
// account's entries. Nothing is kept from a read that does not verify.
func (c *Client) syncLog(ctx context.Context) (auditlog.Checkpoint, error) {
	signed, err := c.latestCheckpoint(ctx)
	if err != nil {
		return auditlog.Checkpoint{}, err
	}
	seen, err := c.checkpoint()
	if err != nil {
		return seen, err
	}
	cp, err := c.advance(ctx, signed)
	if err != nil {
		return cp, err
	}
	if cp.Size < seen.Size {
		// A receipt may carry an older checkpoint; the newest may not.
		return cp, fmt.Errorf("%w: the log's newest checkpoint has %d entries, this client saw %d", CheckRollback, cp.Size, seen.Size)
	}
	// advance may have moved past signed (a witness was ahead): use the newest.
	if cp, err = c.checkpoint(); err != nil {
		return cp, err
	}
	ix := c.index()
	if ix.Size > cp.Size {
		return cp, fmt.Errorf("%w: this client read %d entries, the checkpoint has %d", CheckLogFork, ix.Size, cp.Size)
	}
	f, err := ix.frontier()
	if err != nil {
		return cp, err
	}
	me := c.accountID()
	var mine, followed []*auditlog.Entry
	sweep := c.logSweep.from(f.Size())
	err = c.readEntries(ctx, f, cp.Size, cp.Root, func(_ int64, e *auditlog.Entry) {
		if e.Type.RecordScoped() {
			if e.Type == auditlog.GrantCreated {
				mine = append(mine, e)
			}
			return
		}
		if e.Subject == me {
			mine = append(mine, e)
		}
		if ix.Accounts[hex.EncodeToString(e.Subject[:])] != nil {
			followed = append(followed, e)
		}
		sweep = sweep.observe(e)
	})
	if err != nil {
		return cp, err
	}
	if sweep != nil {
		sweep.size = f.Size()
	}
	c.logSweep = sweep
	for _, e := range followed {
		ix.Accounts[hex.EncodeToString(e.Subject[:])].observe(e)
	}
	grew := f.Size() > ix.Size
	ix.Size, ix.Frontier = f.Size(), nil
	for _, h := range f.Hashes() {
		ix.Frontier = append(ix.Frontier, h[:])
	}
	c.logSynced = true
	if grew {
		if err := c.saveProfile(ctx); err != nil {
			return cp, err
		}
	}
	return cp, c.checkOwnEntries(ctx, mine)
}

// checkOwnEntries raises CheckUnexpectedKey for a key card or device certified
// for this account, or a grant on one of its records, that this account did
// not make (a grant may also come from a contact it shared with). Its records
// are those of the chain as this device verified it (syncing the chain here
// would read the log again).
func (c *Client) checkOwnEntries(ctx context.Context, es []*auditlog.Entry) error {
	me := c.accountID()
	var devices map[[32]byte]bool
	own := c.prof.Chains[c.prof.Account]
	if own == nil {
		own = &chainState{}
	}
	if err := c.prefetchSalts(ctx, es, own); err != nil {
		return err
	}
	for _, e := range es {
		if e.Type == auditlog.GrantCreated {
			if r := own.Records[hex.EncodeToString(e.Subject[:])]; r != nil && r.Owner == c.prof.Account {
				if err := c.checkGrantEntry(ctx, e); err != nil {
					return err
				}
			}
			continue
		}
		if e.Subject != me {
			continue
		}
		switch e.Type {
		case auditlog.KeyCard:
			if e.Object != c.id.card.c.Hash() {
				return fmt.Errorf("%w: the log shows key card %d (%x…) for this account", CheckUnexpectedKey, e.Number, e.Object[:6])
			}
		case auditlog.DeviceCertified:
			if devices == nil {
				var err error
				if devices, err = c.ownDevices(ctx); err != nil {
					return err
				}
			}
			if !devices[e.Object] {
				return fmt.Errorf("%w: the log shows a device (%x…) this account did not certify", CheckUnexpectedKey, e.Object[:6])
			}
		}
	}
	return nil
}

// checkGrantEntry checks that a grant on a record of this account was made by
// this account or by a contact it knows (a share delegate).
func (c *Client) checkGrantEntry(ctx context.Context, e *auditlog.Entry) error {
	salt, err := c.logSalt(ctx, e.Subject)
	if err != nil {
		return err
	}
	if e.Actor == auditlog.ActorHash(salt, c.accountID()) {
		return nil
	}
	for acct := range c.prof.Pins {
		if e.Actor == auditlog.ActorHash(salt, mustID(acct)) {
			return nil
		}
	}
	return fmt.Errorf("%w: the log shows a grant on record %x by someone this account does not know", CheckUnexpectedKey, e.Subject[:4])
}

// ownDevices returns the hashes of the device certificates this account's
// identity key signed.
func (c *Client) ownDevices(ctx context.Context) (map[[32]byte]bool, error) {
	var out api.DeviceList
	if err := c.call(ctx, "GET", fmt.Sprintf("/v1/accounts/%x/devices", c.accountID()), nil, &out); err != nil {
		return nil, err
	}
	hs := map[[32]byte]bool{}
	for _, d := range out.Devices {
		cert, err := format.ParseDeviceCert(d.DeviceCert)
		if err == nil && cert.VerifyIssuer(c.id.card.c) == nil {
			hs[cert.Hash()] = true
		}
	}
	return hs, nil
}

// cardLogged checks that a contact's key card is in the log, named for its
// account, and that the log holds no newer card for it, before anything is
// wrapped to it.
func (c *Client) cardLogged(ctx context.Context, kc *KeyCard) error {
	al, err := c.accountLog(ctx, kc.c.AccountID)
	if err != nil {
		return err
	}
	if _, ok := al.cardSigns(kc.c.Hash()); !ok {
		return fmt.Errorf("%w: %w: %s's key card", CheckKeyUnverified, CheckNotLogged, kc.c.Handle)
	}
	for _, lc := range al.Cards {
		if lc.Seq > kc.c.Seq {
			return fmt.Errorf("%w: the log holds card %d of %s, the server shows card %d", CheckRollback, lc.Seq, kc.c.Handle, kc.c.Seq)
		}
	}
	return nil
}

// AuditEvent is one logged action on a record.
type AuditEvent struct {
	Index   int64     `json:"index"`
	Time    time.Time `json:"time"`
	Action  string    `json:"action"`
	Who     string    `json:"who"`            // the actor's handle, or "someone unknown"
	Whom    string    `json:"whom,omitempty"` // for grants: the reader
	Version uint64    `json:"version,omitempty"`
}

// Audit returns the verified access history of a record this account owns or
// reads: every version written, read, shared, revoked and deleted, with the
// people it names resolved to the handles this device knows. The log is read
// and checked first (VerifyLog), so a server that hides an entry from this
// view fails with CheckLogMismatch instead.
func (c *Client) Audit(ctx context.Context, id RecordID) ([]AuditEvent, error) {
	evs, err := c.auditRecords(ctx, []RecordID{id})
	return evs[id], err
}

// auditRecords is Audit of several records in one read of the log.
func (c *Client) auditRecords(ctx context.Context, ids []RecordID) (_ map[RecordID][]AuditEvent, err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return nil, err
	}
	// Each record's log salt names the people in its entries.
	type audited struct {
		salt          []byte
		names         map[[32]byte]string
		out           []AuditEvent
		actors, whoms [][32]byte // out's actors and peers, named once the whole log is read
	}
	recs := map[[32]byte]*audited{}
	for _, id := range ids {
		salt, err := c.logSalt(ctx, id)
		if err != nil {
			return nil, err
		}
		names := map[[32]byte]string{auditlog.ActorHash(salt, c.accountID()): c.prof.Handle}
		for acct, p := range c.prof.Pins {
			names[auditlog.ActorHash(salt, mustID(acct))] = p.Handle
		}
		// A grant to a group is filed, and so logged, under the group's id.
		for id, p := range c.prof.Teams {
			names[auditlog.ActorHash(salt, mustID(id))] = "team " + p.Name
		}
		for id, p := range c.prof.Collections {
			names[auditlog.ActorHash(salt, mustID(id))] = "collection " + p.Name
		}
		recs[id] = &audited{salt: salt, names: names}
	}
	name := func(a *audited, h [32]byte) string {
		if h == ([32]byte{}) {
			return ""
		}
		if n, ok := a.names[h]; ok {
			return n
		}
		return "someone unknown"
	}
	var requesters [][32]byte // accounts that asked for this account's emergency keys
	err = c.scanLog(ctx, func(i int64, e *auditlog.Entry) {
		if e.Type == auditlog.EmergencyRequest && e.Peer == c.accountID() {
			requesters = append(requesters, e.Subject)
		}
		a := recs[e.Subject]
		if a == nil || !e.Type.RecordScoped() {
			return
		}
		ev := AuditEvent{Index: i, Time: time.Unix(int64(e.Time), 0).UTC(), Action: e.Type.String()}
		switch e.Type {
		case auditlog.GrantCreated, auditlog.GrantRevoked:
			ev.Whom = name(a, e.Peer) // a body read's Peer is its request nonce, no one
		case auditlog.VersionWritten, auditlog.BodyRead, auditlog.RecordDeleted:
			ev.Version = e.Number
		}
		a.out = append(a.out, ev)
		a.actors, a.whoms = append(a.actors, e.Actor), append(a.whoms, e.Peer)
	})
	if err != nil {
		return nil, err
	}
	// This account's threshold keys, and whoever asked for one (unless known
	// already), are named as such.
	keys, err := c.thresholdKeysOf(ctx, c.accountID())
	if err != nil {
		return nil, err
	}
	asked := map[[32]byte]string{} // named once, for every record
	for _, r := range requesters {
		if _, ok := asked[r]; !ok {
			asked[r] = c.requesterName(ctx, r) + " (emergency access)"
		}
	}
	out := map[RecordID][]AuditEvent{}
	for id, a := range recs {
		for _, k := range keys {
			a.names[auditlog.ActorHash(a.salt, k.ID)] = k.name()
		}
		for r, n := range asked {
			if h := auditlog.ActorHash(a.salt, r); a.names[h] == "" {
				a.names[h] = n
			}
		}
		for i := range a.out {
			a.out[i].Who = name(a, a.actors[i])
			if a.out[i].Whom == "someone unknown" && i < len(a.whoms) {
				a.out[i].Whom = name(a, a.whoms[i])
			}
		}
		out[id] = a.out
	}
	return out, nil
}

// prefetchSalts fetches the log salts that checking es will need, api.MaxViews
// records per request, so that a new device's first look at the log does not
// cost a request per record.
func (c *Client) prefetchSalts(ctx context.Context, es []*auditlog.Entry, own *chainState) error {
	var need []string
	seen := map[string]bool{}
	for _, e := range es {
		key := hex.EncodeToString(e.Subject[:])
		if r := own.Records[key]; e.Type == auditlog.GrantCreated && r != nil && r.Owner == c.prof.Account &&
			c.prof.Salts[key] == nil && !seen[key] {
			seen[key] = true
			need = append(need, key)
		}
	}
	views, err := c.views(ctx, need)
	if err != nil {
		return err
	}
	for id, v := range views {
		// A salt only names people in entries: a wrong one makes the grant
		// check below fail, it cannot make it pass.
		if seen[id] && len(v.LogSalt) == auditlog.SaltSize {
			c.prof.setSalt(id, v.LogSalt)
		}
	}
	return nil
}

// logSalt returns the salt that names people in a record's log entries, from
// the record's view (kept in the profile, so a deleted record can be audited).
func (c *Client) logSalt(ctx context.Context, id [32]byte) ([]byte, error) {
	key := hex.EncodeToString(id[:])
	if s, ok := c.prof.Salts[key]; ok {
		return s, nil
	}
	var view api.Record
	if err := c.call(ctx, "GET", fmt.Sprintf("/v1/records/%x", id), nil, &view); err != nil {
		if isStatus(err, statusNotFound) {
			return nil, c.explainMissing(ctx, id, err)
		}
		return nil, err
	}
	if len(view.LogSalt) != auditlog.SaltSize {
		return nil, fmt.Errorf("%w: record %x has no log salt", ErrInvalid, id[:4])
	}
	c.prof.setSalt(key, view.LogSalt)
	return view.LogSalt, c.saveProfile(ctx)
}

// CheckCheckpoint compares this client's view of the log with a signed
// checkpoint another party saw (gossip): whichever is larger must extend the
// other, with a consistency proof from the server. A server that showed two
// parties two different logs fails with CheckLogFork.
func (c *Client) CheckCheckpoint(ctx context.Context, signed []byte) (err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return err
	}
	_, err = c.advance(ctx, signed)
	return err
}

// Checkpoint returns the last checkpoint this client verified, signed, for
// comparing with others (CheckCheckpoint).
func (c *Client) Checkpoint() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.prof.Log == nil {
		return nil
	}
	return []byte(c.prof.Log.Checkpoint)
}
