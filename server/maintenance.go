package server

import (
	"context"
	"github.com/blindvault/blindvault/internal/auditlog"
	"net/http"
	"time"
)

// Maintain runs until ctx ends: it sweeps expired sessions, invites and abandoned
// uploads every sweepEvery, then purges the accounts whose deletion is due
// (and compacts if it purged any), and compacts the store every compactEvery (0: never),
// so that deleted records are purged from the file, not just unlinked.
// Compaction blocks writes while it runs; schedule it for quiet hours.
func (s *Server) Maintain(ctx context.Context, sweepEvery, compactEvery time.Duration) {
	sweep := time.NewTicker(sweepEvery)
	defer sweep.Stop()
	var compact <-chan time.Time
	if compactEvery > 0 {
		t := time.NewTicker(compactEvery)
		defer t.Stop()
		compact = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-sweep.C:
			st, err := s.store.Sweep(ctx, s.now())
			if err != nil {
				s.log.ErrorContext(ctx, "sweep failed", "err", err)
				continue
			}
			s.log.InfoContext(ctx, "swept", "sessions", st.Sessions, "invites", st.Invites, "uploads", st.Uploads)
			if _, err := s.PurgeDeletedAccounts(ctx); err != nil {
				s.log.ErrorContext(ctx, "purge of deleted accounts failed", "err", err)
			}
		case <-compact:
			s.compact(ctx)
		}
	}
}

func (s *Server) compact(ctx context.Context) error {
	start := time.Now()
	if err := s.store.Compact(ctx); err != nil {
		s.log.ErrorContext(ctx, "compaction failed", "err", err)
		return err
	}
	s.log.InfoContext(ctx, "compacted", "ms", time.Since(start).Milliseconds())
	return nil
}

// postCompact lets an admin purge deleted data now rather than at the next
// scheduled compaction (for example after an erasure request).
func (s *Server) postCompact(w http.ResponseWriter, r *http.Request, c *Caller) error {
	if _, err := s.appendLog(r.Context(), s.adminEntry(c, [32]byte{}, auditlog.AdminCompact)); err != nil {
		return err
	}
	if err := s.compact(r.Context()); err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "admin compaction", "admin", c.Account.ID.String())
	w.WriteHeader(http.StatusNoContent)
	return nil
}
