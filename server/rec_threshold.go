package server

import (
	"context"
	"errors"

	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/server/store"
)

// A threshold key (docs/spec/threshold-v1.md) is a group whose key record no
// one is granted: its key is recovered by a requester from k holders' shares.
// The server serves what is shared with it to an account whose recent chain
// holds a request for it once k of the holders the owner's set-up names have
// approved that request in their chains. This is defence in depth only: it
// keeps the ciphertext from accounts that were not approved, while the k
// shares (which the server never sees) are what opens anything; a server that
// skips it serves ciphertext no one else can open. Whether the delay passed
// and the owner refused is the clients' to check: the server does not judge
// time for them.

// requestWindow bounds how far back in the caller's chain a request is
// looked for: a request followed by more entries than this is made again.
const requestWindow = 64

// cacheLimit bounds the entries of each of the caches below (cache.go): a
// few hundred bytes each at most, so a few MB whatever the number of
// accounts.
const cacheLimit = 10000

// maxScan bounds the entries of one chain read to find a set-up or an
// approval.
const maxScan = 100000

// approvedKey is a request k holders approved, for the cache: approvals are
// entries of append-only chains, so once true, true for good.
type approvedKey struct {
	group   store.RecordID
	request [32]byte
}

// chainRequests are the requests among an account's newest requestWindow
// chain entries, as of chain seq Seq.
type chainRequests struct {
	seq      uint64
	requests []*format.AccountEntry
}

// recentRequests returns the requests among account's newest requestWindow
// chain entries. The answer is kept per account until its chain grows, so a
// read through a group costs one account lookup for an account that asked for
// nothing.
func (s *Server) recentRequests(ctx context.Context, account store.AccountID) ([]*format.AccountEntry, error) {
	a, err := s.store.Account(ctx, account)
	if errors.Is(err, store.ErrNotFound) || (err == nil && a.ChainSeq == 0) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if c, ok := s.requests.Load(account); ok && c.seq == a.ChainSeq {
		return c.requests, nil
	}
	from := uint64(1)
	if a.ChainSeq > requestWindow {
		from = a.ChainSeq - requestWindow + 1
	}
	es, err := s.store.Chain(ctx, account, from, requestWindow)
	if err != nil {
		return nil, err
	}
	c := &chainRequests{seq: a.ChainSeq}
	for _, item := range es {
		if e, err := format.ParseAccountEntry(item.Entry); err == nil && e.Event == format.EventRequest {
			c.requests = append(c.requests, e)
		}
	}
	s.requests.Store(account, c)
	return c.requests, nil
}

// requestedGroup reports whether account's newest requestWindow chain
// entries hold a request for the threshold key whose key record is group,
// owned by owner, that k of the key's holders approved.
func (s *Server) requestedGroup(ctx context.Context, group store.RecordID, owner, account store.AccountID) (bool, error) {
	recent, err := s.recentRequests(ctx, account)
	if err != nil {
		return false, err
	}
	var requests [][32]byte
	for _, e := range recent {
		if e.Record == [32]byte(group) && e.Owner == [32]byte(owner) {
			requests = append(requests, e.Hash())
		}
	}
	if len(requests) == 0 {
		return false, nil
	}
	for _, r := range requests {
		if _, ok := s.approved.Load(approvedKey{group, r}); ok {
			return true, nil
		}
	}
	var setup *format.Threshold
	err = s.scanChain(ctx, owner, func(e *format.AccountEntry) {
		if e.Event == format.EventThreshold && e.Record == [32]byte(group) {
			setup = e.Threshold
		}
	})
	if err != nil || setup == nil {
		return false, err
	}
	for _, r := range requests {
		n := 0
		for _, h := range setup.Holders {
			approvers, err := s.approvers(ctx, h)
			if err != nil {
				return false, err
			}
			found := false
			for _, a := range approvers {
				err := s.scanChain(ctx, store.AccountID(a), func(e *format.AccountEntry) {
					found = found || (e.Event == format.EventApproval && e.Object == r && e.Record == [32]byte(group) && e.Share.Index == h.Index)
				})
				if err != nil {
					return false, err
				}
				if found {
					n++ // a team's index counts once, whichever member approved
					break
				}
			}
		}
		if n >= int(setup.K) {
			s.approved.Store(approvedKey{group, r}, true)
			return true, nil
		}
	}
	return false, nil
}

// approvers are the accounts whose approval with h's index counts: h's
// account, or for a care team the members its admin's newest description
// lists (threshold-v1 §3.1).
func (s *Server) approvers(ctx context.Context, h format.Holder) ([][32]byte, error) {
	if h.Team == nil {
		return [][32]byte{h.Account}, nil
	}
	var members [][32]byte
	err := s.scanChain(ctx, store.AccountID(h.Team.Admin), func(e *format.AccountEntry) {
		if e.Event == format.EventTeam && e.Record == h.Account {
			members = e.Team.Members
		}
	})
	return members, err
}

// scanChain calls visit on each entry of account's chain that parses, oldest
// first, up to maxScan entries.
func (s *Server) scanChain(ctx context.Context, account store.AccountID, visit func(e *format.AccountEntry)) error {
	for from := uint64(1); from <= maxScan; {
		es, err := s.store.Chain(ctx, account, from, 1000)
		if err != nil {
			return err
		}
		for _, c := range es {
			if e, err := format.ParseAccountEntry(c.Entry); err == nil {
				visit(e)
			}
		}
		if len(es) < 1000 {
			return nil
		}
		from = es[len(es)-1].Seq + 1
	}
	return nil
}
