package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/internal/record"
)

// A user's devices share what they decided to trust: the pinned contacts and
// organisation admins. It lives in a record of the account's own, encrypted
// like any other, whose versions the chain marks as profile events, so a new
// device finds it and a server cannot swap in an older one unnoticed.

const profileType = "application/vnd.blindvault.profile+json"

// syncedProfile is the profile record's plaintext.
type syncedProfile struct {
	Pins        map[string]*pin           `json:"pins"`
	Orgs        map[string]*orgPin        `json:"orgs"`
	Teams       map[string]*teamPin       `json:"teams,omitempty"`
	Collections map[string]*collectionPin `json:"collections,omitempty"`
	Restricted  map[string]bool           `json:"restricted,omitempty"`
	Pending     map[string]*pendingReader `json:"pending,omitempty"`
}

// profileRecord returns the id of this account's profile record, if any.
func (c *Client) profileRecord(ctx context.Context) ([32]byte, bool, error) {
	st, err := c.chainOf(ctx, c.accountID())
	if err != nil {
		return [32]byte{}, false, err
	}
	for key, r := range st.Records {
		if r.Profile && r.Owner == c.prof.Account && !r.Deleted {
			return mustID(key), true, nil
		}
	}
	return [32]byte{}, false, nil
}

// pushProfile writes the pins and organisations as a new version of the
// profile record, if they changed.
func (c *Client) pushProfile(ctx context.Context) error {
	if !c.profileDirty {
		return nil
	}
	data, err := json.Marshal(syncedProfile{Pins: c.prof.Pins, Orgs: c.prof.Orgs, Teams: c.prof.Teams, Collections: c.prof.Collections,
		Restricted: c.prof.Restricted, Pending: c.prof.Pending})
	if err != nil {
		return err
	}
	id, _, err := c.profileRecord(ctx) // the zero id, if none yet: a new record
	if err != nil {
		return err
	}
	now := time.Now()
	meta := record.Meta{Type: profileType, Title: "profile", Created: now, Modified: now}
	if _, err := c.put(ctx, bytes.NewReader(data), int64(len(data)), id, meta, format.EventProfile); err != nil {
		return fmt.Errorf("sync profile: %w", err)
	}
	c.profileDirty = false
	return nil
}

// pullProfile merges the profile record into this device's profile. A pin
// this device already holds wins: the pin check itself catches a conflict.
func (c *Client) pullProfile(ctx context.Context) error {
	id, ok, err := c.profileRecord(ctx)
	if err != nil || !ok {
		return err
	}
	v, err := c.fetch(ctx, id, 0)
	if err != nil {
		return err
	}
	defer v.close()
	var buf bytes.Buffer
	if err := c.openBody(ctx, v, &buf); err != nil {
		return err
	}
	var sp syncedProfile
	if err := json.Unmarshal(buf.Bytes(), &sp); err != nil {
		return fmt.Errorf("%w: profile record: %w", ErrInvalid, err)
	}
	for k, p := range sp.Pins {
		if _, ok := c.prof.Pins[k]; !ok && p != nil {
			c.prof.Pins[k] = p
		}
	}
	for k, o := range sp.Orgs {
		if _, ok := c.prof.Orgs[k]; !ok && o != nil {
			c.prof.Orgs[k] = o
		}
	}
	c.prof.Teams = mergeNew(c.prof.Teams, sp.Teams)
	c.prof.Collections = mergeNew(c.prof.Collections, sp.Collections)
	// A reader another device gave its keys since is granted again here at
	// most: grants of an epoch to a key replace each other.
	c.prof.Pending = mergeNew(c.prof.Pending, sp.Pending)
	for id := range sp.Restricted {
		// A restriction made on another device holds here too: the safer side.
		if c.prof.Restricted == nil {
			c.prof.Restricted = map[string]bool{}
		}
		c.prof.Restricted[id] = true
	}
	return c.saveProfile(ctx)
}

// mergeNew adds to m the entries of from it does not hold: what this device
// holds wins.
func mergeNew[V any](m, from map[string]*V) map[string]*V {
	for k, v := range from {
		if _, ok := m[k]; !ok && v != nil {
			if m == nil {
				m = map[string]*V{}
			}
			m[k] = v
		}
	}
	return m
}
