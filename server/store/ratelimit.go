package store

import (
	"context"
	"time"
)

// RateLimiter is implemented by stores that several servers share, so that
// a rate limit holds across all of them rather than per process. A server
// checks for it; a store without it (bbolt, one process) leaves rate
// limiting to the server's memory.
type RateLimiter interface {
	// TakeTokens takes up to n tokens (n ≥ 1) from the bucket named key,
	// which refills at rate tokens per second up to burst, timed by the
	// store's own clock (so that servers with skewed clocks, or requests
	// that queued, agree): as many as it holds, at most n. With none it
	// returns 0 and how long until one is due. Buckets are not durable: a
	// crash of the database may refill them.
	TakeTokens(ctx context.Context, key string, rate float64, burst, n int) (taken int, wait time.Duration, err error)
}
