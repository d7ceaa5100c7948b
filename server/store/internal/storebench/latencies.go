// Package storebench holds what the store backends' benchmarks share, so
// that their figures are measured and reported alike.
package storebench

import (
	"slices"
	"sync"
	"testing"
	"time"
)

// Latencies collects one duration per operation and reports throughput and
// percentiles.
type Latencies struct {
	mu    sync.Mutex
	d     []time.Duration
	start time.Time
}

// NewLatencies starts the clock for n operations.
func NewLatencies(n int) *Latencies {
	return &Latencies{d: make([]time.Duration, 0, n), start: time.Now()}
}

// Add records one operation's duration; safe for concurrent use.
func (l *Latencies) Add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

// Report reports ops/s since NewLatencies, and the p50 and p99 latencies.
func (l *Latencies) Report(b *testing.B) {
	elapsed := time.Since(l.start)
	slices.Sort(l.d)
	if len(l.d) == 0 {
		return
	}
	pct := func(p float64) float64 {
		return float64(l.d[min(len(l.d)-1, int(p*float64(len(l.d))))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(len(l.d))/elapsed.Seconds(), "ops/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
