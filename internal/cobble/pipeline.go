package cobble

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/blindvault/blindvault/internal/merkle"
)

// batchChunks is the number of chunks a worker handles per job. 16 chunks
// (256 KiB) amortise the channel hand-offs to well under 1% of the AES and
// SHA-256 work, while a batch's buffers still sit in a core's L2 cache and
// a 1 MiB message still spreads over several workers.
const batchChunks = 16

// batchesPerWorker bounds the batches in flight: each worker can hold one
// while the reader fills and the writer drains others. Memory in use is
// therefore about (2·workers+2) × 0.5 MiB whatever the message size.
const batchesPerWorker = 2

// batch is a unit of work: up to capacity() consecutive chunks. The reader
// fills in, a worker fills out and leaves, the writer drains out in order.
type batch struct {
	in     []byte // Seal: plaintext, ChunkSize apart; Open: ciphertext, EncryptedChunkSize apart
	out    []byte // Seal: ciphertext; Open: plaintext, contiguous
	leaves []byte // LeafSize per chunk
	inLen  int    // bytes of in used
	outLen int    // bytes of out produced for the chunks that passed
	first  uint64 // index of the batch's first chunk
	n      int    // chunks to process
	ok     int    // chunks that passed every check (Open)
	final  bool   // the batch holds the message's final chunk
	err    error  // worker failure, after ok chunks
	tail   error  // reader failure, reported once all n chunks passed
	done   chan struct{}

	scrubIn, scrubOut int // plaintext high-water marks, cleared before reuse
}

// newBatchPool returns a pool of batches of the given capacity in chunks.
func newBatchPool(chunks int) *sync.Pool {
	return &sync.Pool{New: func() any {
		return &batch{
			in:     make([]byte, chunks*EncryptedChunkSize),
			out:    make([]byte, chunks*EncryptedChunkSize),
			leaves: make([]byte, chunks*LeafSize),
			done:   make(chan struct{}, 1),
		}
	}}
}

// Every message starts with a one-chunk batch, so a small body never touches
// (or, after a GC empties the pools, allocates) the 0.5 MiB batches.
var (
	smallPool = newBatchPool(1)
	bigPool   = newBatchPool(batchChunks)
)

// capacity returns the number of chunks the batch can hold.
func (b *batch) capacity() int { return len(b.leaves) / LeafSize }

// putBatch clears the plaintext a batch held, so that pooled memory does not
// keep record contents around, and returns it to its pool.
func putBatch(b *batch) {
	clear(b.in[:b.scrubIn])
	clear(b.out[:b.scrubOut])
	b.scrubIn, b.scrubOut = 0, 0
	b.err, b.tail = nil, nil
	if b.capacity() == 1 {
		smallPool.Put(b)
	} else {
		bigPool.Put(b)
	}
}

func (b *batch) reset(first uint64) {
	b.first = first
	b.inLen, b.outLen, b.n, b.ok = 0, 0, 0, 0
	b.final = false
	b.err, b.tail = nil, nil
}

// stage is one direction of the pipeline.
type stage interface {
	// fill reads the next batch from the source on the reader goroutine. It
	// returns last when no batch follows. An error means the batch is not
	// processed, and is reported after all earlier batches drained.
	fill(b *batch) (last bool, err error)
	// work processes a batch on a worker; it must not touch shared state.
	work(lh *merkle.LeafHasher, b *batch)
	// drain consumes a processed batch, in order, on the caller's goroutine.
	// An error stops the pipeline; nothing more is drained.
	drain(b *batch) error
}

func workerCount(n int) int {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	return max(n, 1)
}

// run drives s to completion with the given number of workers.
func run(ctx context.Context, s stage, workers int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b := smallPool.Get().(*batch)
	last, err := s.fill(b)
	if err != nil {
		putBatch(b)
		return err
	}
	// The first batch holds one chunk. If that is the whole message (most
	// records), goroutines would only add latency.
	if last || workers == 1 {
		defer func() { putBatch(b) }()
		var lh merkle.LeafHasher
		for {
			s.work(&lh, b)
			if err := s.drain(b); err != nil {
				return err
			}
			if last {
				return nil
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if b.capacity() == 1 {
				// More than one chunk: move up to full batches.
				putBatch(b)
				b = bigPool.Get().(*batch)
			}
			if last, err = s.fill(b); err != nil {
				return err
			}
		}
	}
	return runParallel(ctx, s, workers, b)
}

// runParallel runs the reader on a new goroutine, workers on their own, and
// the writer on the caller's goroutine. A fixed set of batches circulates
// free → reader → workers → writer → free, so memory stays bounded.
func runParallel(ctx context.Context, s stage, workers int, first *batch) error {
	depth := batchesPerWorker*workers + 2
	all := make([]*batch, 0, depth)
	free := make(chan *batch, depth)
	jobs := make(chan *batch, depth)
	order := make(chan *batch, depth)
	stop := make(chan struct{})
	var stopped atomic.Bool

	all = append(all, first)
	for range depth - 1 {
		b := bigPool.Get().(*batch)
		all = append(all, b)
		free <- b
	}
	defer func() {
		for _, b := range all {
			putBatch(b)
		}
	}()

	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			var lh merkle.LeafHasher
			for b := range jobs {
				if !stopped.Load() {
					s.work(&lh, b)
				}
				b.done <- struct{}{}
			}
		})
	}

	// The reader owns fill; readErr is published by closing order. first is
	// never the last batch here (run handles that case inline).
	var readErr error
	order <- first
	jobs <- first
	wg.Go(func() {
		defer close(jobs)
		defer close(order)
		for {
			var b *batch
			select {
			case b = <-free:
			case <-stop:
				return
			case <-ctx.Done():
				readErr = ctx.Err()
				return
			}
			if stopped.Load() {
				return
			}
			last, err := s.fill(b)
			if err != nil {
				readErr = err
				return
			}
			// Neither send blocks: both channels can hold every batch.
			order <- b
			jobs <- b
			if last {
				return
			}
		}
	})

	var err error
	for b := range order {
		<-b.done
		if err == nil {
			if err = s.drain(b); err != nil {
				stopped.Store(true)
				close(stop)
			}
		}
		free <- b
	}
	wg.Wait()
	if err == nil {
		err = readErr
	}
	return err
}
