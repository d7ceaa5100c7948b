package sdk

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/internal/auditlog"
	"github.com/blindvault/blindvault/internal/format"
)

// An account chain is the account's own signed list of what it did: every
// version it wrote, every ACL it made, every record it deleted
// (docs/spec/client-v1.md §3).
// The server stores entries without understanding them; a client replays a
// chain from where it stopped last time, checking signatures and hash links,
// and keeps the resulting state as its floor: a server that later shows an
// older version, ACL or record list than the chain says is caught.

// chainState is what a verified chain says, up to entry Seq.
type chainState struct {
	Seq          uint64                  `json:"seq"`
	Head         string                  `json:"head,omitempty"` // hash of entry Seq, hex
	Records      map[string]*chainRecord `json:"records"`
	Attestations [][]byte                `json:"attestations,omitempty"` // signed role attestations
	// Teams are the care teams this account administers, by key record id.
	Teams map[string]*chainTeam `json:"teams,omitempty"`
	// Thresholds are the threshold keys this account set up: the newest
	// EventThreshold entry (signed) by key record id (emergency.go).
	Thresholds map[string][]byte `json:"thresholds,omitempty"`
	// Refused are the request hashes this account refused, hex.
	Refused []string `json:"refused,omitempty"`
	// Approvals are this account's EventApproval entries (signed), by the
	// approved request's hash, hex.
	Approvals map[string][]byte `json:"approvals,omitempty"`
	// Moved is the server the account moved to (an EventMoved entry), if it
	// did.
	Moved string `json:"moved,omitempty"`

	// What changed since the profile was last written (profile_journal.go):
	// unsaved, the state; unsavedRecords, those records; reset, the chain
	// was read again from its first entry.
	unsaved, reset bool
	unsavedRecords map[string]bool
}

// chainTeam is a team as its admin's chain describes it.
type chainTeam struct {
	Entry []byte   `json:"entry"` // the newest EventTeam entry, signed
	Keys  []string `json:"keys"`  // KeyIDs of the team's keys, oldest first, hex
}

// chainRecord is a record as its chain entries describe it.
type chainRecord struct {
	Owner      string `json:"owner"`
	Version    uint64 `json:"version,omitempty"`
	HeaderHash string `json:"header_hash,omitempty"`
	ACLSeq     uint64 `json:"acl_seq,omitempty"`
	ACLHash    string `json:"acl_hash,omitempty"`
	Deleted    bool   `json:"deleted,omitempty"`
	Profile    bool   `json:"profile,omitempty"`
}

// syncChain reads account's chain from the first entry this profile has not
// verified, checks each new entry, and checks the result against the log:
// the chain must reach the newest entry the log holds for it, with the same
// hash. A served chain that stops short is CheckRollback; one that goes past
// the log (after reading the log again) is CheckNotLogged. A stored state the
// log does not back, left by an older client that saved before verifying,
// is dropped and the chain replayed from its first entry: the log decides.
func (c *Client) syncChain(ctx context.Context, account [32]byte) (*chainState, error) {
	// A chain is accepted only under a checkpoint a witness vouched for
	// recently: without it, a server could freeze this client's view.
	if err := c.ensureFresh(ctx); err != nil {
		return nil, err
	}
	key := hex.EncodeToString(account[:])
	for attempt := 0; ; attempt++ {
		al, err := c.accountLog(ctx, account)
		if err != nil {
			return nil, err
		}
		st := c.prof.Chains[key]
		backed := st == nil || st.Seq < al.ChainSeq || (st.Seq == al.ChainSeq && st.Head == al.ChainHash)
		if !backed && attempt > 0 {
			st = nil
		}
		next, err := c.readChain(ctx, account, st, al)
		if err != nil {
			return nil, err
		}
		if attempt > 0 || (backed && next.Seq <= al.ChainSeq) {
			if err := checkLogged(next, al, account); err != nil {
				return nil, err
			}
			c.prof.Chains[key] = next
			if st == nil || next.Seq != st.Seq || next.Head != st.Head {
				// What this device has verified is its floor from now on,
				// also for its next run.
				if err := c.saveProfile(ctx); err != nil {
					return nil, err
				}
			}
			return next, nil
		}
		// The chain (served or stored) is ahead of the log this operation
		// read: read the log again, once, before judging.
		c.logSynced = false
	}
}

// checkLogged checks that a synced chain ends at the log's newest entry for it
// (readChain checked that entry's hash on the way).
func checkLogged(st *chainState, al *accountLog, account [32]byte) error {
	switch {
	case st.Seq < al.ChainSeq:
		return fmt.Errorf("%w: the server shows the chain of %x up to entry %d, the log holds entry %d", CheckRollback, account[:4], st.Seq, al.ChainSeq)
	case st.Seq > al.ChainSeq:
		return fmt.Errorf("%w: entry %d of the chain of %x (the log holds up to %d)", CheckNotLogged, st.Seq, account[:4], al.ChainSeq)
	}
	return nil
}

// readChain reads account's chain past st (nil: from its first entry) and
// returns the new state. The entry at the log's newest seq for the chain must
// be the one the log holds (CheckEquivocation): a hash-chained entry there fixes
// every entry before it.
func (c *Client) readChain(ctx context.Context, account [32]byte, st *chainState, al *accountLog) (*chainState, error) {
	var next *chainState // st's copy, made at the first new entry: most syncs find none
	seq := uint64(0)
	if st != nil {
		seq = st.Seq
	}
	var signers map[[32]byte]uint64
	for {
		var page api.ChainPage
		path := fmt.Sprintf("/v1/chains/%x?from=%d&limit=1000", account, seq+1)
		if err := c.call(ctx, "GET", path, nil, &page); err != nil {
			return nil, err
		}
		if len(page.Entries) > 0 && signers == nil {
			var err error
			if signers, err = c.chainSigners(ctx, account, al); err != nil {
				return nil, err
			}
		}
		if len(page.Entries) > 0 && next == nil {
			next = st.copyForUpdate()
		}
		for _, item := range page.Entries {
			e, err := format.ParseAccountEntry(item.Entry)
			if err != nil {
				return nil, fmt.Errorf("%w: entry %d: %w", CheckChain, item.Seq, err)
			}
			if err := next.apply(e, account, signers, false); err != nil {
				return nil, err
			}
			if next.Seq == al.ChainSeq && next.Head != al.ChainHash {
				return nil, fmt.Errorf("%w: entry %d of the chain of %x is not the one the log holds", CheckEquivocation, next.Seq, account[:4])
			}
			seq = next.Seq
		}
		if page.Next == 0 || len(page.Entries) == 0 {
			break
		}
	}
	switch {
	case next != nil:
		return next, nil
	case st != nil:
		return st, nil
	}
	return (*chainState)(nil).copyForUpdate(), nil
}

// copyForUpdate returns a copy of st (nil: a chain read from its first
// entry) that entries can be applied to without changing st.
func (st *chainState) copyForUpdate() *chainState {
	if st == nil {
		return &chainState{Records: map[string]*chainRecord{}, unsaved: true, reset: true}
	}
	next := *st
	next.Records = make(map[string]*chainRecord, len(st.Records))
	for k, v := range st.Records {
		r := *v
		next.Records[k] = &r
	}
	next.Attestations = append([][]byte(nil), st.Attestations...)
	next.Teams = make(map[string]*chainTeam, len(st.Teams))
	for k, v := range st.Teams {
		t := *v
		t.Keys = slices.Clone(v.Keys)
		next.Teams[k] = &t
	}
	next.Thresholds = maps.Clone(st.Thresholds)
	next.Refused = slices.Clone(st.Refused)
	next.Approvals = maps.Clone(st.Approvals)
	next.unsavedRecords = maps.Clone(st.unsavedRecords)
	return &next
}

// chainSigners maps each identity key of account that may sign its chain
// entries to the newest entry it may sign: a card signs entries logged before
// its successor card, and a card the log does not hold signs none. This
// account's own key, which it holds, signs any.
func (c *Client) chainSigners(ctx context.Context, account [32]byte, al *accountLog) (map[[32]byte]uint64, error) {
	if account == c.accountID() {
		return map[[32]byte]uint64{c.id.card.c.Ed25519PK: math.MaxUint64}, nil
	}
	cards, err := c.cards(ctx, account)
	if err != nil {
		return nil, err
	}
	signers := map[[32]byte]uint64{}
	for _, k := range cards {
		if bound, ok := al.cardSigns(k.c.Hash()); ok {
			signers[k.c.Ed25519PK] = bound
		}
	}
	return signers, nil
}

// apply checks that e is the next entry of the chain of account, signed by one
// of its identity keys, and folds it into st. An entry this client signed
// itself (own) keeps every check but the signature's, which it just made.
func (st *chainState) apply(e *format.AccountEntry, account [32]byte, signers map[[32]byte]uint64, own bool) error {
	var head [32]byte
	if st.Head != "" {
		h, err := hex.DecodeString(st.Head)
		if err != nil || len(h) != 32 {
			return fmt.Errorf("%w: stored chain head", ErrInvalid)
		}
		head = [32]byte(h)
	}
	switch {
	case e.Account != account || e.Seq != st.Seq+1:
		return fmt.Errorf("%w: entry %d of account %x is not entry %d of %x", CheckChain, e.Seq, e.Account[:4], st.Seq+1, account[:4])
	case e.PrevHash != head:
		// The server showed this client a different history before.
		return fmt.Errorf("%w: entry %d does not follow the verified entry %d", CheckEquivocation, e.Seq, st.Seq)
	case !signsUpTo(signers, e.SignerPK, e.Seq):
		return fmt.Errorf("%w: entry %d is signed by a key that is not the account's, or was replaced before it", CheckChain, e.Seq)
	}
	if !own {
		if err := e.Verify(); err != nil {
			return fmt.Errorf("%w: entry %d: %w", CheckChain, e.Seq, err)
		}
	}
	id := hex.EncodeToString(e.Record[:])
	r := st.Records[id]
	if r == nil && e.Event != format.EventAttestation && e.Event != format.EventMoved && !thresholdEvent(e.Event) {
		r = &chainRecord{Owner: hex.EncodeToString(account[:])}
		st.Records[id] = r
	}
	st.unsaved = true
	if r != nil {
		st.unsavedRecords = markKey(st.unsavedRecords, id)
	}
	switch e.Event {
	case format.EventVersion, format.EventProfile:
		if e.Number <= r.Version {
			return fmt.Errorf("%w: entry %d repeats version %d", CheckChain, e.Seq, e.Number)
		}
		r.Owner, r.Version, r.HeaderHash = hex.EncodeToString(e.Owner[:]), e.Number, hex.EncodeToString(e.Object[:])
		r.Profile = e.Event == format.EventProfile
	case format.EventACL, format.EventTeam:
		if e.Number <= r.ACLSeq {
			return fmt.Errorf("%w: entry %d repeats ACL %d", CheckChain, e.Seq, e.Number)
		}
		r.ACLSeq, r.ACLHash = e.Number, hex.EncodeToString(e.Object[:])
		if e.Event == format.EventTeam {
			st.addTeam(id, e)
		}
	case format.EventTombstone:
		r.Deleted = true
	case format.EventAttestation:
		st.Attestations = append(st.Attestations, e.Attestation)
	case format.EventThreshold, format.EventRefusal, format.EventApproval:
		st.addThreshold(id, e)
	case format.EventMoved:
		st.Moved = e.URL
	}
	h := e.Hash()
	st.Seq, st.Head = e.Seq, hex.EncodeToString(h[:])
	return nil
}

// addTeam folds a team's new description into st.
func (st *chainState) addTeam(id string, e *format.AccountEntry) {
	if st.Teams == nil {
		st.Teams = map[string]*chainTeam{}
	}
	t := st.Teams[id]
	if t == nil {
		t = &chainTeam{}
		st.Teams[id] = t
	}
	t.Entry = e.Marshal()
	k := format.KeyID(e.Team.XWingPK)
	if key := hex.EncodeToString(k[:]); !slices.Contains(t.Keys, key) {
		t.Keys = append(t.Keys, key)
	}
}

func signsUpTo(signers map[[32]byte]uint64, pk [32]byte, seq uint64) bool {
	bound, ok := signers[pk]
	return ok && seq <= bound
}

// ownEntry builds and signs the next entry of this account's chain for ev,
// which carries the event's fields.
func (c *Client) ownEntry(ctx context.Context, ev format.AccountEntry) (*format.AccountEntry, error) {
	// The chain as synced in this operation (committed keeps it current);
	// a lost compare-and-swap resyncs it (chainMoved).
	st, err := c.chainOf(ctx, c.accountID())
	if err != nil {
		return nil, err
	}
	e := ev
	e.Account, e.Seq, e.Created = c.accountID(), st.Seq+1, uint64(c.clock().Unix())
	if st.Head != "" {
		h, _ := hex.DecodeString(st.Head)
		e.PrevHash = [32]byte(h)
	}
	e.SignerPK = c.id.card.c.Ed25519PK
	if err := e.Sign(c.id.sign); err != nil {
		return nil, err
	}
	return &e, nil
}

// chainWrite makes one change that appends ev to this account's chain: send
// carries the signed entry to the server and returns the answer's receipts.
// When another device appended first (a lost compare-and-swap on the chain)
// the entry is rebuilt on the resynced chain and sent again, at most three
// times; a refusal for any other reason is the caller's. Once the server
// accepts, the entry joins this account's state and the receipt of the
// change's own log entry (the one logged matches, given the entry sent) must
// verify.
func (c *Client) chainWrite(ctx context.Context, ev format.AccountEntry, send func(e *format.AccountEntry) ([]api.Receipt, error), logged func(e *format.AccountEntry, le *auditlog.Entry) bool) error {
	for attempt := 0; ; attempt++ {
		e, err := c.ownEntry(ctx, ev)
		if err != nil {
			return err
		}
		rcs, err := send(e)
		if isStatus(err, statusPrecondition) && attempt < 3 && c.chainMoved(ctx, e) {
			continue
		}
		if err != nil {
			return err
		}
		// Nothing is kept until the receipt proves the change logged: a
		// forged or replayed answer leaves this device as it was, free to
		// retry (and its next sync learns from the log what really happened).
		if err := c.expectLogged(ctx, rcs, func(le *auditlog.Entry) bool { return logged(e, le) }); err != nil {
			return err
		}
		return c.committed(ctx, e)
	}
}

// chainMoved reports whether this account's chain grew past the entry e was
// built on, which is why the server refused it.
func (c *Client) chainMoved(ctx context.Context, e *format.AccountEntry) bool {
	delete(c.fresh, e.Account)
	st, err := c.chainOf(ctx, e.Account)
	return err == nil && st.Seq >= e.Seq
}

// committed folds an entry the server accepted into this account's state.
func (c *Client) committed(ctx context.Context, e *format.AccountEntry) error {
	key := hex.EncodeToString(e.Account[:])
	st := c.prof.Chains[key]
	if st == nil {
		st = &chainState{Records: map[string]*chainRecord{}}
		c.prof.Chains[key] = st
	}
	pk := c.id.card.c.Ed25519PK
	if err := st.apply(e, e.Account, map[[32]byte]uint64{pk: math.MaxUint64}, true); err != nil {
		return err
	}
	return c.saveProfile(ctx)
}

func itemOf(e *format.AccountEntry) *api.ChainItem {
	return &api.ChainItem{Seq: e.Seq, Entry: e.Marshal()}
}

// sameHash compares a hex hash from the profile with a hash.
func sameHash(hexHash string, h [32]byte) bool {
	b, err := hex.DecodeString(hexHash)
	return err == nil && bytes.Equal(b, h[:])
}
