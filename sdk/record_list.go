package sdk

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/blindvault/blindvault/internal/api"
)

// List returns this account's records and those shared with it, newest
// version of each, the most recently changed first, with their metadata
// decrypted and verified. A list that
// leaves out a record this account's chain holds, or a share the owner never
// revoked, is CheckRollback. Revoked shares are left out.
//
// A record listed before is not fetched again while its head and its owner's
// chain show the version and ACL this device verified (recordindex.go); the
// others are fetched two hundred per request.
func (c *Client) List(ctx context.Context) (_ []*RecordInfo, err error) {
	defer c.begin(&err)()
	out, err := c.list(ctx)
	// Amendment steps are a record's history, read with Amendments; a
	// threshold key's key record is the key, read with ThresholdKeys.
	return slices.DeleteFunc(out, func(r *RecordInfo) bool { return r.Type == amendmentType || r.Type == thresholdType }), err
}

// list is List inside an operation that has begun.
func (c *Client) list(ctx context.Context) ([]*RecordInfo, error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	own, err := c.heads(ctx, "/v1/records")
	if err != nil {
		return nil, err
	}
	shared, err := c.heads(ctx, "/v1/shared")
	if err != nil {
		return nil, err
	}
	if err := c.groupHeads(ctx, shared); err != nil {
		return nil, err
	}
	st, err := c.chainOf(ctx, c.accountID())
	if err != nil {
		return nil, err
	}
	listed := map[string]api.Head{}
	for key, r := range st.Records {
		if r.Owner != c.prof.Account {
			continue // a delegate's write to another owner's record
		}
		h, ok := own[key]
		switch {
		case r.Deleted:
			continue
		case !ok || h.Deleted != nil:
			return nil, fmt.Errorf("%w: the list leaves out record %s, which this account's chain holds", CheckRollback, key[:8])
		case h.Version < r.Version:
			return nil, fmt.Errorf("%w: the list shows version %d of record %s, the chain %d", CheckRollback, h.Version, key[:8], r.Version)
		}
		if !r.Profile {
			listed[key] = h
		}
	}
	changed := false // the profile, by this function itself
	for key := range c.prof.Shared {
		if _, ok := shared[key]; ok {
			continue
		}
		err := c.explainMissing(ctx, mustID(key), ErrNotFound)
		if errors.Is(err, ErrRevoked) || errors.Is(err, ErrDeleted) {
			delete(c.prof.Shared, key)
			c.prof.sharedChanged(key)
			changed = true
			continue
		}
		return nil, err
	}
	var owners [][32]byte
	for key, h := range shared {
		if h.Deleted == nil {
			listed[key] = h
			if owner, err := ParseRecordID(h.Owner); err == nil {
				owners = append(owners, owner)
			}
		}
	}
	// Each owner's chain is checked against the log: follow the new owners
	// with one read of the log, not one each.
	if err := c.follow(ctx, owners...); err != nil {
		return nil, err
	}
	idx := c.loadIndex(ctx)
	out, stale, err := c.listIndexed(ctx, idx, listed)
	if err != nil {
		return nil, err
	}
	fetched, err := c.fetchViews(ctx, idx, stale)
	if err != nil {
		return nil, err
	}
	out = append(out, fetched...)
	// Groups' key records (teams, collections) are not records to show: they
	// let this account read the group's records, which a second look lists.
	pinned := len(c.prof.Teams) + len(c.prof.SharedCollections)
	out = slices.DeleteFunc(out, func(r *RecordInfo) bool {
		if r.Owner == nil || (r.Type != teamType && r.Type != collectionType) {
			return false
		}
		c.pinGroup(r.RecordID, r.Owner.AccountID(), r.Type, r.Title)
		return true
	})
	if len(c.prof.Teams)+len(c.prof.SharedCollections) > pinned {
		_ = c.saveIndex(ctx, idx)
		if err := c.saveProfile(ctx); err != nil { // the new pins
			return nil, err
		}
		return c.list(ctx)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Modified.Equal(out[j].Modified) {
			return out[i].Modified.After(out[j].Modified)
		}
		return bytes.Compare(out[i].RecordID[:], out[j].RecordID[:]) < 0
	})
	// The index is a cache: a storage that cannot hold it (a browser's quota,
	// say) makes the next list cold, not this one fail.
	_ = c.saveIndex(ctx, idx)
	if !changed && !c.profileDirty && len(c.prof.Teams)+len(c.prof.SharedCollections) == pinned {
		// Nothing of the profile changed here (what the checks on the way
		// changed, they saved): a warm list writes no profile.
		return out, nil
	}
	return out, c.saveProfile(ctx)
}

// listIndexed returns the listings the index still holds as current, and the
// ids of the records to fetch.
func (c *Client) listIndexed(ctx context.Context, idx *recordIndex, listed map[string]api.Head) ([]*RecordInfo, [][32]byte, error) {
	var out []*RecordInfo
	var stale [][32]byte
	for key, h := range listed {
		owner, err := ParseRecordID(h.Owner)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: record %s has owner %q", ErrInvalid, key[:8], h.Owner)
		}
		st, err := c.chainOf(ctx, owner)
		if err != nil {
			return nil, nil, err
		}
		if info, ok := idx.current(key, h, st.Records[key]); ok {
			out = append(out, info)
		} else {
			stale = append(stale, mustID(key))
		}
	}
	return out, stale, nil
}

// fetchViews fetches, verifies and indexes records, api.MaxViews per request.
func (c *Client) fetchViews(ctx context.Context, idx *recordIndex, ids [][32]byte) ([]*RecordInfo, error) {
	var out []*RecordInfo
	err := c.eachView(ctx, ids, func(v *version) error {
		idx.put(v)
		out = append(out, v.info())
		return nil
	})
	return out, err
}

// eachView fetches the heads of records ids, api.MaxViews per request, and
// calls fn with each one verified and unlocked, in order; the version is
// closed when fn returns.
func (c *Client) eachView(ctx context.Context, ids [][32]byte, fn func(v *version) error) error {
	for len(ids) > 0 {
		batch := ids[:min(len(ids), api.MaxViews)]
		ids = ids[len(batch):]
		keys := make([]string, len(batch))
		for i, id := range batch {
			keys[i] = hex.EncodeToString(id[:])
		}
		views, err := c.views(ctx, keys)
		if err != nil {
			return err
		}
		for i, id := range batch {
			view, ok := views[keys[i]]
			if !ok {
				return c.explainMissing(ctx, id, fmt.Errorf("record %x: %w", id[:4], ErrNotFound))
			}
			v, err := c.fetched(ctx, id, 0, view)
			if err != nil {
				return fmt.Errorf("record %x: %w", id[:4], err)
			}
			err = fn(v)
			v.close()
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// views asks for the views of records ids (hex), api.MaxViews per request,
// and returns those the server gave, by id. None of them is verified yet.
func (c *Client) views(ctx context.Context, ids []string) (map[string]*api.Record, error) {
	out := make(map[string]*api.Record, len(ids))
	for len(ids) > 0 {
		batch := ids[:min(len(ids), api.MaxViews)]
		ids = ids[len(batch):]
		var page api.Views
		if err := c.call(ctx, "POST", "/v1/records/views", api.ViewsRequest{IDs: batch}, &page); err != nil {
			return nil, err
		}
		for i := range page.Records {
			out[page.Records[i].ID] = &page.Records[i]
		}
	}
	return out, nil
}

// heads reads every page of a record list, keyed by record id.
func (c *Client) heads(ctx context.Context, path string) (map[string]api.Head, error) {
	out := map[string]api.Head{}
	after := ""
	for {
		var page api.RecordList
		q := path + "?limit=1000"
		if strings.Contains(path, "?") {
			q = path + "&limit=1000"
		}
		if after != "" {
			q += "&after=" + url.QueryEscape(after)
		}
		if err := c.call(ctx, "GET", q, nil, &page); err != nil {
			return nil, err
		}
		for _, h := range page.Records {
			if _, err := ParseRecordID(h.ID); err != nil {
				return nil, err
			}
			out[h.ID] = h
		}
		if page.Next == "" || len(page.Records) == 0 {
			return out, nil
		}
		after = page.Next
	}
}

// mustID converts a record id already checked by ParseRecordID (or written
// by this client); anything else becomes the zero id, which no record has.
func mustID(key string) [32]byte {
	b, err := hex.DecodeString(key)
	if err != nil || len(b) != 32 {
		return [32]byte{}
	}
	return [32]byte(b)
}

// groupHeads adds to shared the records shared with the groups this account
// reads through (the teams it belongs to or administers, others' collections
// it reads), as the server lists them for each group.
func (c *Client) groupHeads(ctx context.Context, shared map[string]api.Head) error {
	teams, err := c.pinnedTeams(ctx, false)
	if err != nil {
		return err
	}
	var via []string
	for _, t := range teams {
		if t.Admin == c.accountID() || slices.Contains(t.Members, c.accountID()) {
			via = append(via, t.ID.String()) // not a team this account only shares with
		}
	}
	for key := range c.prof.SharedCollections {
		via = append(via, key)
	}
	for _, group := range via {
		hs, err := c.heads(ctx, "/v1/shared?via="+group)
		if err != nil {
			return err
		}
		for key, h := range hs {
			if _, ok := shared[key]; !ok && h.Owner != c.prof.Account {
				shared[key] = h
			}
		}
	}
	return nil
}
