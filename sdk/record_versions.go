package sdk

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/internal/format"
)

// A record's earlier versions are verified as its head is (signatures, the
// author's write authority, the grant), and one more way: each is the version
// the next one names by its header hash, up to the head, which is checked
// against this device's floor. A server cannot pass another header off as an
// earlier version, nor serve versions of another record's chain.

// Versions returns the versions of record id that this account can read,
// newest first, each verified. It stops at the first older version this
// account holds no key for (a reader added after a revocation, without
// history, reads only the versions since).
func (c *Client) Versions(ctx context.Context, id RecordID) (_ []*RecordInfo, err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return nil, err
	}
	v, err := c.fetch(ctx, id, 0)
	if err != nil {
		return nil, err
	}
	out := []*RecordInfo{v.info()}
	upper := v.header
	v.close()
	for n := upper.Version - 1; n >= 1; n-- {
		w, err := c.fetch(ctx, id, n)
		if errors.Is(err, ErrNotRecipient) {
			break
		}
		if err != nil {
			return nil, err
		}
		out = append(out, w.info())
		err = chained(upper, w.header)
		upper = w.header
		w.close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// GetVersion is Get of version n of record id (0: the newest).
func (c *Client) GetVersion(ctx context.Context, id RecordID, n uint64, w io.Writer) (_ *RecordInfo, err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return nil, err
	}
	v, err := c.fetchVersion(ctx, id, n)
	if err != nil {
		return nil, err
	}
	defer v.close()
	if err := c.openBody(ctx, v, w); err != nil {
		return nil, err
	}
	return v.info(), nil
}

// fetchVersion returns version n of record id (0: the head), verified and
// unlocked, and, for an earlier version, chained by header hashes to the
// verified head.
func (c *Client) fetchVersion(ctx context.Context, id RecordID, n uint64) (*version, error) {
	head, err := c.fetch(ctx, id, 0)
	if err != nil || n == 0 || n == head.header.Version {
		return head, err
	}
	upper := head.header
	head.close()
	if n > upper.Version {
		return nil, fmt.Errorf("record %x has no version %d: %w", id[:4], n, ErrNotFound)
	}
	// The headers between the head and version n, newest first.
	for k := upper.Version - 1; k > n; k-- {
		var view api.Record
		if err := c.call(ctx, "GET", fmt.Sprintf("/v1/records/%x/versions/%d", id, k), nil, &view); err != nil {
			return nil, err
		}
		h, err := format.ParseHeader(view.Header)
		if err != nil {
			return nil, fmt.Errorf("record header: %w", err)
		}
		if h.RecordID != id || h.Version != k {
			return nil, fmt.Errorf("%w: header of record %x version %d", CheckWrongRecord, h.RecordID[:4], h.Version)
		}
		if err := chained(upper, h); err != nil {
			return nil, err
		}
		upper = h
	}
	v, err := c.fetch(ctx, id, n)
	if err != nil {
		return nil, err
	}
	if err := chained(upper, v.header); err != nil {
		v.close()
		return nil, err
	}
	return v, nil
}

// chained checks that lower is the version upper follows.
func chained(upper, lower *format.Header) error {
	if lower.Version+1 != upper.Version || upper.PrevHeaderHash != lower.Hash() {
		return fmt.Errorf("%w: version %d of record %x is not the one version %d follows", CheckWrongRecord, lower.Version, lower.RecordID[:4], upper.Version)
	}
	return nil
}
