package store

import "time"

// CommitStats describes how a backend's writes share durable commits.
type CommitStats struct {
	Commits    uint64        // transactions committed, each made durable once (one fsync)
	Writes     uint64        // write requests those transactions carried
	PageWrites uint64        // page writes they made, each at its own offset (a node of one page or more, or the meta page)
	Busy       time.Duration // time spent running and committing them, the fsync included
	Committers int           // how many commits may run at once: Busy grows up to this many times as fast as the clock
}

// CommitReporter is implemented by a backend that groups concurrent writes
// into shared commits; the server exports its figures as metrics.
type CommitReporter interface {
	CommitStats() CommitStats
}
