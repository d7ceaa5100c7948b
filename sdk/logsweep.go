package sdk

import "github.com/blindvault/blindvault/internal/auditlog"

// A device that reads the log from its first entry (a new device, a lost
// index) sees every account's chain and key-card entries on the way. Keeping
// what they say lets the same run follow accounts it meets only later (a
// list's record owners) without reading the whole log a second time (issue
// 18: a clinician's first list read it twice). The sweep is what an index
// that had followed every account would hold; it stays in memory, is good
// only while the index is at its size, and is dropped past maxSweepAccounts,
// when following falls back to scanning the log.

// maxSweepAccounts bounds a sweep's memory (about 200 bytes an account).
const maxSweepAccounts = 100_000

type logSweep struct {
	size     int64 // the log size the sweep covers
	accounts map[[32]byte]*accountLog
}

// from returns the sweep to extend with a read of the log from entry size:
// a new one for a read from the first entry, s if it covers the log up to
// size, or nil.
func (s *logSweep) from(size int64) *logSweep {
	switch {
	case size == 0:
		return &logSweep{accounts: map[[32]byte]*accountLog{}}
	case s != nil && s.size == size:
		return s
	}
	return nil
}

// observe folds e into the sweep and returns it, or nil once it outgrew its
// bound (a nil sweep observes nothing).
func (s *logSweep) observe(e *auditlog.Entry) *logSweep {
	if s == nil {
		return nil
	}
	a := s.accounts[e.Subject]
	if a == nil {
		if len(s.accounts) == maxSweepAccounts {
			return nil
		}
		a = &accountLog{}
		s.accounts[e.Subject] = a
	}
	a.observe(e)
	return s
}
