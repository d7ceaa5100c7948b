// Package store defines the storage interface of the Blindvault server and the
// types it stores.
//
// The server is blind: a Store keeps opaque bytes (signed key cards, device
// certificates, ACLs, grants, record headers, leaf lists, bodies, backup blobs,
// account-chain entries, sealed secrets) next to the few plain fields the server
// needs to route and authorize requests: account, record, device and key ids,
// versions, header hashes, epochs, roles and account status. A Store never
// parses, verifies or decrypts the opaque bytes; the caller does every signature
// and format check before it writes.
//
// # Writes
//
// Every write method is atomic and durable: when it returns nil the change is on
// stable storage (fsynced), and when it returns an error nothing of it was
// applied. Writes that carry extra parts (PutVersion with an ACL, grants and
// account-chain entries; DeleteRecord with a tombstone entry) apply all parts or
// none.
//
// Compare-and-swap is how concurrent writers are ordered. A record version is
// stored only if the caller's previous-header hash is the current head
// ([ErrConflict] otherwise); an ACL, a key card and an account-chain entry only
// if their sequence number is the current one plus one.
//
// # Errors
//
// Methods return the sentinels below, wrapped with %w and context; test with
// errors.Is. Byte slices returned by a Store belong to the caller; byte slices
// passed in must not change until the call returns.
//
// # Caveats
//
//   - Times are stored with nanosecond precision as Unix time; the instant
//     1970-01-01T00:00:00Z reads back as the zero time.
//   - Handles are compared byte for byte; normalising them is the caller's job.
//   - The all-zero id is reserved: writes that name it fail with [ErrInvalid].
//   - Snapshot formats are backend specific: a snapshot restores only into the
//     same kind of backend.
package store
