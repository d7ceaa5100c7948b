// Package blob defines where a store keeps record bodies when they are not
// in its database: immutable objects under keys the store chooses, such as an
// S3-compatible bucket (package s3blob).
//
// An object is visible only once Put has returned nil: a Put that fails or is
// cancelled leaves no object. Objects are never rewritten; the store writes a
// body before the metadata that names it commits, and deletes it after the
// metadata that named it is gone (or sweeps it as an orphan).
package blob

import (
	"context"
	"errors"
	"io"
	"time"
)

// ErrNotFound: no object has the key.
var ErrNotFound = errors.New("blob: not found")

// ErrUnavailable: the blob service cannot be reached or answers that it is
// unavailable (a network failure, a 5xx status) after the client's own retries.
var ErrUnavailable = errors.New("blob: unavailable")

// Store keeps objects. Methods are safe for concurrent use.
type Store interface {
	// Put stores everything r yields under key, all or nothing, and
	// returns its length. Errors of r are returned wrapped.
	Put(ctx context.Context, key string, r io.Reader) (int64, error)
	// Open returns length bytes of the object from offset; the caller
	// checked the range against the length Put returned.
	Open(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error)
	// Delete removes objects; a missing object is not an error.
	Delete(ctx context.Context, keys ...string) error
	// List calls fn with every object under prefix and the time it was
	// written; it also removes uploads that were started before olderThan
	// and never finished, where the store keeps such things.
	List(ctx context.Context, prefix string, olderThan time.Time, fn func(key string, written time.Time) error) error
}
