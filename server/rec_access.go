package server

import (
	"context"
	"errors"

	"github.com/blindvault/blindvault/server/store"
)

// Every read and write of a record goes through recordAccess. The owner,
// accounts holding an unrevoked grant, and those reading through a group that
// holds one (rec_groups.go) may read; to everyone else the record
// does not exist (404, never 403), so that ids do not leak what exists.
// Admins get no exception: their role gates account management only.

// role is what the caller is to a record.
type role int

const (
	roleReader role = iota + 1 // holds an unrevoked grant, or reads through a group
	roleOwner
)

// recordAccess returns the record's head and the caller's role, or errNotFound
// if the caller may not read it. A tombstone is visible to its owner only (its
// grants are gone with it).
func (s *Server) recordAccess(ctx context.Context, c *Caller, id store.RecordID) (store.Head, role, error) {
	h, err := s.store.Head(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Head{}, 0, errNotFound
	}
	if err != nil {
		return store.Head{}, 0, err
	}
	if h.Owner == c.Account.ID {
		return h, roleOwner, nil
	}
	if h.IsDeleted() {
		return store.Head{}, 0, errNotFound
	}
	gs, err := s.store.GrantsFor(ctx, id, c.Account.ID)
	if err != nil {
		return store.Head{}, 0, err
	}
	if len(gs) == 0 {
		_, ok, err := s.readsVia(ctx, id, c.Account.ID, maxGroupDepth)
		if err == nil && !ok {
			// A threshold key's key record, for /shared?via= (rec_threshold.go).
			ok, err = s.requestedGroup(ctx, id, h.Owner, c.Account.ID)
		}
		if err != nil {
			return store.Head{}, 0, err
		}
		if !ok {
			return store.Head{}, 0, errNotFound
		}
	}
	return h, roleReader, nil
}

// liveAccess is recordAccess for objects a tombstone no longer has (versions,
// leaves, bodies, ACLs): a deleted record is 404 to its owner too.
func (s *Server) liveAccess(ctx context.Context, c *Caller, id store.RecordID) (store.Head, role, error) {
	h, r, err := s.recordAccess(ctx, c, id)
	if err == nil && h.IsDeleted() {
		return store.Head{}, 0, errNotFound
	}
	return h, r, err
}
