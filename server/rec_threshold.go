package server

import (
	"context"

	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/server/store"
)

// A threshold key (docs/spec/threshold-v1.md) is a group whose key record no
// one is granted: its key is recovered by a requester from holders' shares.
// The server serves what is shared with it to an account whose recent chain
// holds a request for it, to the key's owner. This is defence in depth
// only: it keeps the ciphertext from accounts that never asked, while the
// k shares (which the server never sees) are what opens anything. The server
// does not count approvals: a requester with fewer than k holds ciphertext
// it cannot open.

// requestWindow bounds how far back in the caller's chain a request is
// looked for: a request followed by more entries than this is made again.
const requestWindow = 64

// requestedGroup reports whether account's newest requestWindow chain
// entries hold a request for the threshold key whose key record is group,
// owned by owner.
func (s *Server) requestedGroup(ctx context.Context, group store.RecordID, owner, account store.AccountID) (bool, error) {
	a, err := s.store.Account(ctx, account)
	if err != nil || a.ChainSeq == 0 {
		return false, err
	}
	from := uint64(1)
	if a.ChainSeq > requestWindow {
		from = a.ChainSeq - requestWindow + 1
	}
	es, err := s.store.Chain(ctx, account, from, requestWindow)
	if err != nil {
		return false, err
	}
	for _, c := range es {
		e, err := format.ParseAccountEntry(c.Entry)
		if err == nil && e.Event == format.EventRequest && e.Record == [32]byte(group) && e.Owner == [32]byte(owner) {
			return true, nil
		}
	}
	return false, nil
}
