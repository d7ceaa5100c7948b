package store

import (
	"context"

	"golang.org/x/mod/sumdb/tlog"
)

// Log stores the transparency log (docs/spec/log-v1.md): append-only entries
// and the stored hashes of their Merkle tree, in tlog's storage order. A
// Store never parses entries.
type Log interface {
	// AppendLog appends entries that record an event which changes nothing
	// else (a body read, an OPRF evaluation) and returns the index of the
	// first. Entries that record a change ride on that change's write
	// instead (WithLog), so there is never one without the other.
	AppendLog(ctx context.Context, entries ...[]byte) (first int64, err error)
	// LogEntries returns the entries with index in [from, from+n), fewer at
	// the end of the log; n is capped at MaxList.
	LogEntries(ctx context.Context, from int64, n int) ([][]byte, error)
	// LogView calls fn with the log's size and a reader of its stored hashes,
	// both from one consistent snapshot.
	LogView(ctx context.Context, fn func(size int64, hashes tlog.HashReader) error) error
	// LogViewAt is LogView at a size the log is known to have reached (a
	// committed LogBatch's Size): the tree of that size, whatever came
	// after, without the store's asking for its size. A size past the
	// log's end is an error (ErrInvalid where the store checks it first).
	LogViewAt(ctx context.Context, size int64, fn func(size int64, hashes tlog.HashReader) error) error
}

// LogBatch is the log entries of one write: a write method whose context
// carries a batch (WithLog) appends its entries in the same transaction as
// the change, and sets First to the index of the first entry and Size to
// the log's size once that transaction committed (a tree that holds the
// entries, and perhaps others committed with them), for the receipt.
type LogBatch struct {
	Entries [][]byte
	First   int64
	Size    int64
}

type logBatchKey struct{}

// WithLog returns a context whose writes append b's entries atomically with
// the change they make.
func WithLog(ctx context.Context, b *LogBatch) context.Context {
	return context.WithValue(ctx, logBatchKey{}, b)
}

// LogBatchFrom returns the batch WithLog attached to ctx, or nil.
func LogBatchFrom(ctx context.Context) *LogBatch {
	b, _ := ctx.Value(logBatchKey{}).(*LogBatch)
	return b
}
