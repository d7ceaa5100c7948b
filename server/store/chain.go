package store

import "context"

// ChainEntry is one owner-signed entry of an account chain. Seq starts at 1.
type ChainEntry struct {
	Account AccountID
	Seq     uint64
	Entry   []byte
}

// Chains stores account chains.
type Chains interface {
	// AppendChain appends entries atomically, in order; each one's Seq must
	// be its account's current seq plus one (ErrConflict otherwise).
	AppendChain(ctx context.Context, entries ...ChainEntry) error
	// Chain returns the account's entries with Seq ≥ from, at most limit
	// (≤ 0 or more than MaxList means MaxList).
	Chain(ctx context.Context, id AccountID, from uint64, limit int) ([]ChainEntry, error)
}
