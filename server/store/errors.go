package store

import "errors"

// Sentinel errors. Backends wrap them with %w; callers test with errors.Is.
var (
	// ErrNotFound: the object does not exist, was deleted, has expired or was
	// already used.
	ErrNotFound = errors.New("store: not found")
	// ErrExists: an object with the same unique key (id, handle, code) exists.
	ErrExists = errors.New("store: already exists")
	// ErrConflict: the stored state is not the one the write expected (a stale
	// previous-header hash or sequence number, a revoked device, a suspended
	// account, another owner). The API answers 412.
	ErrConflict = errors.New("store: conflict")
	// ErrInvalid: the arguments are malformed (zero id, bad range, empty value).
	ErrInvalid = errors.New("store: invalid argument")
	// ErrTooLarge: a body exceeds the store's limit.
	ErrTooLarge = errors.New("store: too large")
	// ErrClosed: the store is closed.
	ErrClosed = errors.New("store: closed")
)

// ErrUnavailable: the store's backing service (a database, a bucket) cannot
// be reached or is restarting. Nothing was changed, or, if the connection
// broke while committing, the change may have been made: the caller retries
// later, and a compare-and-swap write then tells which. The API answers 503
// with Retry-After.
var ErrUnavailable = errors.New("store: unavailable")
