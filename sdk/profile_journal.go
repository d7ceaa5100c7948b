package sdk

import (
	"context"
	"encoding/json"
	"fmt"
)

// The profile is written in proportion to what an operation changed
// (docs/spec/client-v1.md §1.1): profile.json is the base, the whole profile
// as of its last rewrite, named by JournalID; profile.journal holds one
// profileChange per operation since. What grows with the records (the chains'
// records, the log salts, the floors of shared records) goes into a change
// only where the operation changed it; the rest of the profile, small, goes
// whole into each change.

const profileJournalFile = "profile.journal"

// profileChange is what one operation changed in the profile.
type profileChange struct {
	// Profile is the profile without Chains, Salts, Shared and JournalID,
	// which replaces the base's other fields.
	Profile *profile `json:"profile"`
	// Chains are the chains whose state changed, without their records
	// (null: none); a chain in Reset had its records cleared first (it was
	// read again from its first entry).
	Chains map[string]*chainState `json:"chains,omitempty"`
	Reset  []string               `json:"reset,omitempty"`
	// Records are the changed records of each chain.
	Records map[string]map[string]*chainRecord `json:"records,omitempty"`
	// Salts and Shared are the changed entries of those maps; null removes
	// one.
	Salts  map[string][]byte        `json:"salts,omitempty"`
	Shared map[string]*sharedRecord `json:"shared,omitempty"`
}

// profileChanges tracks what changed in the profile's maps that grow with
// the records since it was last written. (The chains track their own:
// chainState.unsaved.)
type profileChanges struct {
	salts, shared map[string]bool
}

// setSalt keeps a record's log salt.
func (p *profile) setSalt(key string, salt []byte) {
	p.Salts[key] = salt
	p.changes.salts = markKey(p.changes.salts, key)
}

// sharedChanged notes that the floor of shared record key changed (or was
// dropped).
func (p *profile) sharedChanged(key string) {
	p.changes.shared = markKey(p.changes.shared, key)
}

func markKey(m map[string]bool, key string) map[string]bool {
	if m == nil {
		m = map[string]bool{}
	}
	m[key] = true
	return m
}

// change returns what changed since the profile was last written.
func (p *profile) change() *profileChange {
	head := *p
	head.Chains, head.Salts, head.Shared, head.JournalID = nil, nil, nil, ""
	ch := &profileChange{Profile: &head}
	for key, st := range p.Chains {
		if !st.unsaved {
			continue
		}
		h := *st
		h.Records = nil
		ch.Chains = setIn(ch.Chains, key, &h)
		if st.reset {
			ch.Reset = append(ch.Reset, key)
		}
		for id := range st.unsavedRecords {
			recs := ch.Records[key]
			if recs == nil {
				ch.Records = setIn(ch.Records, key, map[string]*chainRecord{})
				recs = ch.Records[key]
			}
			recs[id] = st.Records[id] // nil if removed
		}
	}
	for key := range p.changes.salts {
		ch.Salts = setIn(ch.Salts, key, p.Salts[key])
	}
	for key := range p.changes.shared {
		ch.Shared = setIn(ch.Shared, key, p.Shared[key])
	}
	return ch
}

func setIn[V any](m map[string]V, k string, v V) map[string]V {
	if m == nil {
		m = map[string]V{}
	}
	m[k] = v
	return m
}

// saved clears what change reported: it is written.
func (p *profile) saved() {
	for _, st := range p.Chains {
		st.unsaved, st.reset, st.unsavedRecords = false, false, nil
	}
	p.changes = profileChanges{}
}

// apply folds a change read from the journal into a profile read from its
// base.
func (p *profile) apply(ch *profileChange) error {
	if ch.Profile == nil || ch.Profile.Version != profileV1 {
		return fmt.Errorf("%w: profile journal: a change without its profile", ErrInvalid)
	}
	chains, salts, shared, id := p.Chains, p.Salts, p.Shared, p.JournalID
	*p = *ch.Profile
	p.Chains, p.Salts, p.Shared, p.JournalID = chains, salts, shared, id
	reset := map[string]bool{}
	for _, key := range ch.Reset {
		reset[key] = true
	}
	for key, h := range ch.Chains {
		if h == nil {
			return fmt.Errorf("%w: profile journal: chain %q is null", ErrInvalid, key)
		}
		h.Records = map[string]*chainRecord{}
		if old := p.Chains[key]; old != nil && !reset[key] {
			h.Records = old.Records
		}
		p.Chains[key] = h
	}
	for key, recs := range ch.Records {
		st := p.Chains[key]
		if st == nil {
			return fmt.Errorf("%w: profile journal: records of chain %q, which it does not hold", ErrInvalid, key)
		}
		for id, r := range recs {
			if r == nil {
				delete(st.Records, id)
			} else {
				st.Records[id] = r
			}
		}
	}
	for key, s := range ch.Salts {
		if s == nil {
			delete(p.Salts, key)
		} else {
			p.Salts[key] = s
		}
	}
	for key, s := range ch.Shared {
		if s == nil {
			delete(p.Shared, key)
		} else {
			p.Shared[key] = s
		}
	}
	return nil
}

// readProfile reads the profile's base and journal from s: the profile as
// its last written change left it.
func readProfile(ctx context.Context, s Storage, j *journal) (p *profile, baseSize int, err error) {
	data, err := s.Load(ctx, profileFile)
	if err != nil {
		return nil, 0, err
	}
	p = newProfile()
	if err := json.Unmarshal(data, p); err != nil {
		return nil, 0, fmt.Errorf("profile: %w", err)
	}
	if p.Version != profileV1 {
		return nil, 0, fmt.Errorf("%w: profile version %d", ErrUnsupported, p.Version)
	}
	p.normalize()
	changes, err := j.load(ctx, s, p.JournalID)
	if err != nil {
		return nil, 0, fmt.Errorf("profile: %w", err)
	}
	for i, raw := range changes {
		var ch profileChange
		if err := json.Unmarshal(raw, &ch); err != nil {
			return nil, 0, fmt.Errorf("%w: profile journal: change %d: %w", ErrInvalid, i+1, err)
		}
		if err := p.apply(&ch); err != nil {
			return nil, 0, err
		}
		p.normalize()
	}
	if err := p.check(); err != nil {
		return nil, 0, err
	}
	return p, len(data), nil
}

// writeProfile writes what changed in the profile since it was last written:
// one change appended to the journal, or, when the journal has outgrown the
// base, a new base and an empty journal.
func (c *Client) writeProfile(ctx context.Context) error {
	if c.prof.JournalID != "" && c.prof.JournalID == c.profJournal.base && !c.profJournal.due(c.profBaseSize) {
		ch, err := json.Marshal(c.prof.change())
		if err != nil {
			return err
		}
		if err := c.profJournal.add(ctx, c.storage, ch); err != nil {
			return err
		}
		c.prof.saved()
		return nil
	}
	old := c.prof.JournalID
	c.prof.JournalID = newJournalID()
	data, err := json.Marshal(c.prof)
	if err != nil {
		c.prof.JournalID = old
		return err
	}
	if err := c.storage.Save(ctx, profileFile, data); err != nil {
		c.prof.JournalID = old
		return err
	}
	c.profBaseSize = len(data)
	c.prof.saved() // in the base, whatever happens to the journal
	return c.profJournal.rebase(ctx, c.storage, c.prof.JournalID)
}
