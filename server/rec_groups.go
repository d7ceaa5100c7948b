package server

import (
	"context"
	"errors"

	"github.com/blindvault/blindvault/server/store"
)

// Groups (care teams and collections) hold grants like accounts do: a grant
// filed under a group's id (the id of its key record) reaches every account
// that may read that key record, directly or through one more group: a
// record in a collection shared with a team is read by the team's members
// (format-v1 §2.10). The server follows these links only to decide who is
// served what; whether a key opens is the clients' business.

// maxGroupDepth bounds the groups access follows: record → collection →
// team → member is two.
const maxGroupDepth = 2

// maxGroupFanout bounds the grant holders of one record looked at per step,
// so that a record with many readers costs a bounded number of reads.
const maxGroupFanout = 64

// readsVia returns the group through whose grants account may read record id,
// or false. The owner of a group's key record reads through it too: it holds
// every epoch key of the group.
func (s *Server) readsVia(ctx context.Context, id store.RecordID, account store.AccountID, depth int) (store.AccountID, bool, error) {
	if depth == 0 {
		return store.AccountID{}, false, nil
	}
	gs, err := s.store.Grants(ctx, id)
	if err != nil {
		return store.AccountID{}, false, err
	}
	seen := map[store.AccountID]bool{account: true}
	for _, g := range gs {
		if !g.Revoked.IsZero() || seen[g.Account] {
			continue
		}
		if seen[g.Account] = true; len(seen) > maxGroupFanout {
			break
		}
		ok, err := s.readsGroup(ctx, store.RecordID(g.Account), account, depth)
		if err != nil {
			return store.AccountID{}, false, err
		}
		if ok {
			return g.Account, true, nil
		}
	}
	return store.AccountID{}, false, nil
}

// readsGroup reports whether account may read the key record of group: it
// owns it, holds a grant on it, or reads it through another group.
func (s *Server) readsGroup(ctx context.Context, group store.RecordID, account store.AccountID, depth int) (bool, error) {
	h, err := s.store.Head(ctx, group)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil // an account, not a group
	}
	if err != nil || h.IsDeleted() {
		return false, err
	}
	if h.Owner == account {
		return true, nil
	}
	direct, err := s.store.GrantsFor(ctx, group, account)
	if err != nil || len(direct) > 0 {
		return len(direct) > 0, err
	}
	_, ok, err := s.readsVia(ctx, group, account, depth-1)
	if err != nil || ok {
		return ok, err
	}
	return s.requestedGroup(ctx, group, h.Owner, account)
}
