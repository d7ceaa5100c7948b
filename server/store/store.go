package store

import "io"

// Store is everything the server keeps. Every backend implements it and passes
// the conformance suite in package storetest. Methods are safe for concurrent
// use.
type Store interface {
	Accounts
	Sessions
	Invites
	Records
	SharingStore
	Chains
	Log
	Secrets
	Maintenance
	AccountDeletions
	// Close waits for queued writes, then releases the storage.
	io.Closer
}
