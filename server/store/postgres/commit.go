package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/blindvault/blindvault/server/store"
)

// Group commit. Writes are not run by their callers: they queue for the
// committer goroutines (Options.Committers, two by default), each of which
// takes what is queued (up to maxBatch writes) and runs it in one
// transaction, each write inside its own savepoint, then appends all their
// log entries and commits once. A write that fails rolls back to its
// savepoint and fails alone; one that lost a deadlock (or whose batch lost
// one) runs again on its own after the batch. Any other failure of the batch
// as a whole is every write's error. So concurrent writes share one commit
// (one WAL flush) and one turn at the log_head lock, which is what bounds the
// rate of logged writes across all processes.
//
// A write either runs interactively (fn, statement after statement, for
// writes whose statements depend on what earlier ones read) or is planned
// (plan, written against stmts): consecutive planned writes of a batch are
// sent together as one pipeline, each after its own SAVEPOINT, so that a
// batch of creates costs a few round trips, not a few per write
// (stmts.go).

// maxBatch bounds the writes of one transaction.
const maxBatch = 64

// request is one queued write.
type request struct {
	ctx  context.Context // the caller's: checked before fn runs
	fn   func(ctx context.Context, tx pgx.Tx) error
	plan func(ctx context.Context, q stmts) error // instead of fn
	// create, if set, is plan's write as a create that can go in bulk
	// with others (creates.go).
	create *creation
	log    *store.LogBatch
	done   chan error
	err    error
}

type committer struct {
	s    *Store
	reqs chan *request
	wg   sync.WaitGroup

	commits, writes atomic.Uint64
	bulk            atomic.Uint64 // creates stored in bulk (creates.go)
	busy            atomic.Int64  // nanoseconds
}

func newCommitter(s *Store, n int) *committer {
	c := &committer{s: s, reqs: make(chan *request)}
	for range n {
		c.wg.Go(c.loop)
	}
	return c
}

// close stops the committers once every queued write was answered; the
// store's lock guarantees no write is queued after.
func (c *committer) close() {
	close(c.reqs)
	c.wg.Wait()
}

// do queues r (its fn or plan) and waits for its result.
func (c *committer) do(ctx context.Context, r *request) error {
	r.ctx, r.done = ctx, make(chan error, 1)
	select {
	case c.reqs <- r:
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-r.done
}

func (c *committer) loop() {
	for r := range c.reqs {
		batch := []*request{r}
	drain:
		for len(batch) < maxBatch {
			select {
			case r, ok := <-c.reqs:
				if !ok {
					break drain
				}
				batch = append(batch, r)
			default:
				break drain
			}
		}
		c.run(batch)
	}
}

// run commits a batch and answers every request in it.
func (c *committer) run(batch []*request) {
	start := time.Now()
	// Statements run under a context no caller can cancel: cancelling one
	// statement would break the connection, and the batch with it.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var live []*request
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.done <- err
			continue
		}
		live = append(live, r)
	}
	var again []*request
	if len(live) > 0 {
		err := c.tryBatch(ctx, live)
		for _, r := range live {
			switch {
			case err != nil && retryable(err):
				again = append(again, r) // the batch lost a deadlock: nothing committed
			case err != nil:
				// A lost connection, a server restarting: the caller gets
				// the error (if it came with COMMIT, the batch may have
				// committed; a retried compare-and-swap write tells).
				r.done <- err
			case r.err != nil && retryable(r.err):
				again = append(again, r)
			default:
				r.done <- r.err
			}
		}
		c.commits.Add(1)
		c.writes.Add(uint64(len(live) - len(again)))
	}
	c.busy.Add(int64(time.Since(start)))
	for _, r := range again {
		// Alone, with retries; a failure now is the request's own.
		r.done <- c.s.direct(context.WithoutCancel(r.ctx), r.log, r.interactive())
	}
}

// interactive returns r's write as a function of a transaction.
func (r *request) interactive() func(ctx context.Context, tx pgx.Tx) error {
	if r.plan == nil {
		return r.fn
	}
	return func(ctx context.Context, tx pgx.Tx) error { return r.plan(ctx, now{tx}) }
}

// savepoints names each write's savepoint by its place in the batch, so
// that a pipeline can be rolled back to any of its writes.
var savepoints = func() (names [maxBatch]string) {
	for i := range names {
		names[i] = fmt.Sprintf("w%d", i)
	}
	return names
}()

// tryBatch runs the batch's writes, each in a savepoint, appends the log
// entries of those that succeeded and commits. It sets each request's err;
// a non-nil result means nothing was committed.
func (c *committer) tryBatch(ctx context.Context, batch []*request) error {
	tx, err := c.s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	// A lone write needs no savepoint: if it fails, nothing commits.
	alone := len(batch) == 1
	for i := 0; i < len(batch); {
		if batch[i].plan == nil {
			r := batch[i]
			i++
			if !alone {
				if _, err := tx.Exec(ctx, `SAVEPOINT `+savepoints[i-1]); err != nil {
					return err
				}
			}
			if r.err = r.fn(ctx, tx); r.err != nil {
				if alone {
					return nil
				}
				if _, err := tx.Exec(ctx, `ROLLBACK TO SAVEPOINT `+savepoints[i-1]); err != nil {
					return errors.Join(r.err, err)
				}
			}
			continue
		}
		// Creates from i on, two or more, in one statement; if that
		// fails, in the pipeline below.
		k := i
		for k < len(batch) && batch[k].create != nil {
			k++
		}
		if k-i >= 2 {
			ok, err := c.createBulk(ctx, tx, batch[i:k])
			if err != nil {
				return err
			}
			if ok {
				i = k
				continue
			}
		}
		// The planned writes from i on, in one pipeline.
		p := &pipe{}
		j := i
		for ; j < len(batch) && batch[j].plan != nil; j++ {
			p.w = j
			mark := p.len()
			if !alone {
				p.exec(ctx, nil, `SAVEPOINT `+savepoints[j])
			}
			if batch[j].err = batch[j].plan(ctx, p); batch[j].err != nil {
				p.truncate(mark) // it failed before sending anything
			}
		}
		failed, ferr, err := p.send(ctx, tx)
		switch {
		case err != nil:
			return err
		case failed < 0:
			i = j
			continue
		}
		batch[failed].err = ferr
		if alone {
			return nil
		}
		// The writes after the failed one were rolled back with it (or,
		// after a failed statement, never ran): send them again.
		if _, err := tx.Exec(ctx, `ROLLBACK TO SAVEPOINT `+savepoints[failed]); err != nil {
			return errors.Join(ferr, err)
		}
		i = failed + 1
	}
	var entries [][]byte
	var logged []*request
	for _, r := range batch {
		if r.err == nil && r.log != nil && len(r.log.Entries) > 0 {
			entries = append(entries, r.log.Entries...)
			logged = append(logged, r)
		}
	}
	var appended *logAppend
	if len(entries) > 0 {
		c.s.logMu.Lock()
		defer c.s.logMu.Unlock()
		first, a, err := c.s.appendLog(ctx, tx, entries)
		if err != nil {
			return err
		}
		size := first + int64(len(entries))
		for _, r := range logged {
			r.log.First, r.log.Size = first, size
			first += int64(len(r.log.Entries))
		}
		appended = a
	}
	return c.s.commit(ctx, tx, appended)
}
