package bolt

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/blindvault/blindvault/server/store"
)

// Group commit. bbolt fsyncs once per transaction, so writes that queue while a
// commit is in flight are applied together in the next transaction and share
// its fsync. One goroutine (the committer) does every write; there is no timer:
// a batch is whatever queued during the previous commit, so a lone writer
// waits for exactly one fsync, and many writers share each one.

// writeTx is what a write request sees. Every write goes through put and del,
// which mark the transaction dirty: a request that fails before writing fails
// alone, and one that fails after writing makes the committer roll back and
// re-run the others without it.
type writeTx struct {
	tx    *bbolt.Tx
	dirty bool
}

func (w *writeTx) get(bucket, k []byte) []byte { return w.tx.Bucket(bucket).Get(k) }

func (w *writeTx) put(bucket, k, v []byte) error {
	w.dirty = true
	if err := w.tx.Bucket(bucket).Put(k, v); err != nil {
		return fmt.Errorf("put %s: %w", bucket, err)
	}
	return nil
}

func (w *writeTx) del(bucket, k []byte) error {
	w.dirty = true
	if err := w.tx.Bucket(bucket).Delete(k); err != nil {
		return fmt.Errorf("delete %s: %w", bucket, err)
	}
	return nil
}

// delPrefix deletes up to limit keys (all if limit ≤ 0) that start with
// prefix and returns how many it deleted.
func (w *writeTx) delPrefix(bucket, prefix []byte, limit int) (int, error) {
	keys := prefixKeys(w.tx.Bucket(bucket), prefix, limit)
	for _, k := range keys {
		if err := w.del(bucket, k); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}

// prefixKeys copies out the keys with prefix, so they can be deleted without
// disturbing a cursor.
func prefixKeys(b *bbolt.Bucket, prefix []byte, limit int) [][]byte {
	var keys [][]byte
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if limit > 0 && len(keys) == limit {
			break
		}
		keys = append(keys, append([]byte(nil), k...))
	}
	return keys
}

const (
	queued int32 = iota
	taken
	cancelled
)

// request is one queued write: fn runs inside a shared transaction, or excl
// runs alone between transactions (compaction, restore, check).
type request struct {
	ctx   context.Context
	size  int
	fn    func(w *writeTx) error
	log   *store.LogBatch // entries that commit with fn's change, if it makes one
	excl  func() error
	state atomic.Int32
	done  chan error
}

func newRequest(ctx context.Context, size int, fn func(w *writeTx) error) *request {
	return &request{ctx: ctx, size: size, fn: fn, done: make(chan error, 1)}
}

// take claims a request for running; it fails if its caller gave up first.
func (r *request) take() bool { return r.state.CompareAndSwap(queued, taken) }

// wait returns the request's result. A caller whose context ends while the
// request is still queued withdraws it; once it runs, the caller waits for
// the commit, so an error never hides a write that happened.
func (r *request) wait() error {
	select {
	case err := <-r.done:
		return err
	case <-r.ctx.Done():
		if r.state.CompareAndSwap(queued, cancelled) {
			return r.ctx.Err()
		}
		return <-r.done
	}
}

type committer struct {
	begin    func() (*bbolt.Tx, error)
	queue    chan *request
	maxBytes int
	maxOps   int

	mu     sync.RWMutex // held shared while sending, exclusively to close queue
	closed bool
	exited chan struct{}

	commits, writes, pageWrites atomic.Uint64
	busy                        atomic.Int64 // nanoseconds in commit
}

func newCommitter(begin func() (*bbolt.Tx, error), maxBytes int) *committer {
	c := &committer{
		begin:    begin,
		queue:    make(chan *request, 1024),
		maxBytes: maxBytes,
		maxOps:   4096,
		exited:   make(chan struct{}),
	}
	go c.loop()
	return c
}

func (c *committer) submit(r *request) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		return store.ErrClosed
	}
	select {
	case c.queue <- r:
		return nil
	case <-r.ctx.Done():
		return r.ctx.Err()
	}
}

// do queues a write and waits for its commit.
func (c *committer) do(r *request) error {
	if err := c.submit(r); err != nil {
		return err
	}
	return r.wait()
}

// exclusive runs fn on the committer goroutine with no transaction open.
func (c *committer) exclusive(ctx context.Context, fn func() error) error {
	r := &request{ctx: ctx, excl: fn, done: make(chan error, 1)}
	if err := c.submit(r); err != nil {
		return err
	}
	return r.wait()
}

// close stops accepting writes, lets the queued ones finish and waits for the
// committer to exit.
func (c *committer) close() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.queue)
	}
	c.mu.Unlock()
	<-c.exited
}

func (c *committer) loop() {
	defer close(c.exited)
	var next *request // taken, but did not fit the previous batch
	var batch []*request
	for {
		first := next
		next = nil
		for first == nil {
			r, ok := <-c.queue
			if !ok {
				return
			}
			if r.take() {
				first = r
			}
		}
		if first.excl != nil {
			first.done <- first.excl()
			continue
		}
		batch = append(batch[:0], first)
		size := first.size
	fill:
		for len(batch) < c.maxOps {
			select {
			case r, ok := <-c.queue:
				if !ok {
					break fill
				}
				if !r.take() {
					continue
				}
				if r.excl != nil || size+r.size > c.maxBytes {
					next = r
					break fill
				}
				batch = append(batch, r)
				size += r.size
			default:
				break fill
			}
		}
		c.commit(batch)
		clear(batch)
	}
}

// commit runs a batch in one transaction and acknowledges every request after
// the fsync. A request that fails after writing is dropped and the rest are
// run again in a fresh transaction, as if it had never been queued.
func (c *committer) commit(batch []*request) {
	start := time.Now()
	defer func() { c.busy.Add(int64(time.Since(start))) }()
	errs := make([]error, len(batch))
	dropped := make([]bool, len(batch))
	for {
		tx, err := c.begin()
		if err != nil {
			c.ackAll(batch, errs, fmt.Errorf("begin: %w", err))
			return
		}
		w := &writeTx{tx: tx}
		retry, wrote := false, false
		logged := make([]bool, len(batch))
		for i, r := range batch {
			if dropped[i] {
				continue
			}
			w.dirty = false
			errs[i] = r.fn(w)
			if b := r.log; errs[i] == nil && b != nil && w.dirty {
				// The change's log entries commit with it, or neither does.
				b.First, errs[i] = w.appendLog(b.Entries)
				logged[i] = errs[i] == nil
			}
			if errs[i] != nil && w.dirty {
				dropped[i], retry = true, true
				break
			}
			wrote = wrote || w.dirty
		}
		if retry {
			if err := tx.Rollback(); err != nil {
				c.ackAll(batch, errs, fmt.Errorf("rollback: %w", err))
				return
			}
			continue
		}
		size := logSize(tx.Bucket(bLog))
		if !wrote {
			err = tx.Rollback() // nothing to make durable: no fsync
		} else if err = tx.Commit(); err != nil {
			err = fmt.Errorf("commit: %w", err)
		} else {
			c.commits.Add(1)
			c.writes.Add(uint64(len(batch)))
			st := tx.Stats()
			c.pageWrites.Add(uint64(st.GetWrite()))
			for i, r := range batch {
				if logged[i] {
					r.log.Size = size
				}
			}
		}
		c.ackAll(batch, errs, err)
		return
	}
}

// ackAll answers every request: its own error if it failed, else txErr.
func (c *committer) ackAll(batch []*request, errs []error, txErr error) {
	for i, r := range batch {
		err := errs[i]
		if err == nil {
			err = txErr
		}
		r.done <- err
	}
}
