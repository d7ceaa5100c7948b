package sdk

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"sort"

	"github.com/blindvault/blindvault/internal/api"
)

// List returns this account's records and those shared with it, newest
// version of each, with their metadata decrypted and verified. A list that
// leaves out a record this account's chain holds, or a share the owner never
// revoked, is CheckRollback. Revoked shares are left out.
func (c *Client) List(ctx context.Context) (_ []*RecordInfo, err error) {
	defer c.begin(&err)()
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
	st, err := c.chainOf(ctx, c.accountID())
	if err != nil {
		return nil, err
	}
	var ids [][32]byte
	for key, r := range st.Records {
		if r.Owner != c.prof.Account {
			continue // a delegate's write to another owner's record
		}
		h, listed := own[key]
		switch {
		case r.Deleted:
			continue
		case !listed || h.Deleted != nil:
			return nil, fmt.Errorf("%w: the list leaves out record %s, which this account's chain holds", CheckRollback, key[:8])
		case h.Version < r.Version:
			return nil, fmt.Errorf("%w: the list shows version %d of record %s, the chain %d", CheckRollback, h.Version, key[:8], r.Version)
		}
		if !r.Profile {
			ids = append(ids, mustID(key))
		}
	}
	for key := range c.prof.Shared {
		if _, listed := shared[key]; listed {
			continue
		}
		err := c.explainMissing(ctx, mustID(key), ErrNotFound)
		if errors.Is(err, ErrRevoked) || errors.Is(err, ErrDeleted) {
			delete(c.prof.Shared, key)
			continue
		}
		return nil, err
	}
	var owners [][32]byte
	for key, h := range shared {
		if h.Deleted == nil {
			ids = append(ids, mustID(key))
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
	out := make([]*RecordInfo, 0, len(ids))
	for _, id := range ids {
		v, err := c.fetch(ctx, id, 0)
		if err != nil {
			return nil, fmt.Errorf("record %x: %w", id[:4], err)
		}
		out = append(out, v.info())
		v.close()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Modified.After(out[j].Modified) })
	return out, c.saveProfile(ctx)
}

// heads reads every page of a record list, keyed by record id.
func (c *Client) heads(ctx context.Context, path string) (map[string]api.Head, error) {
	out := map[string]api.Head{}
	after := ""
	for {
		var page api.RecordList
		q := path + "?limit=1000"
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
