package store

import "encoding/hex"

// AccountID is the 32 random bytes a client chose for an account.
type AccountID [32]byte

// RecordID is the 32 random bytes a client chose for a record.
type RecordID [32]byte

// DeviceID names a device of an account: its 32-byte Ed25519 device key.
type DeviceID [32]byte

// KeyID names a reader in ACLs and grants: SHA-256 of its X-Wing public key.
type KeyID [32]byte

// Hash is a SHA-256 value the caller computed: a header hash, an ACL hash, the
// hash of a session token or invite code.
type Hash [32]byte

func (id AccountID) String() string { return hex.EncodeToString(id[:]) }
func (id RecordID) String() string  { return hex.EncodeToString(id[:]) }
func (id DeviceID) String() string  { return hex.EncodeToString(id[:]) }
func (id KeyID) String() string     { return hex.EncodeToString(id[:]) }
func (h Hash) String() string       { return hex.EncodeToString(h[:]) }

// IsZero reports whether the id is all zero, the reserved "none" value.
func (id AccountID) IsZero() bool { return id == AccountID{} }

// IsZero reports whether the id is all zero, the reserved "none" value.
func (id RecordID) IsZero() bool { return id == RecordID{} }

// IsZero reports whether the id is all zero, the reserved "none" value.
func (id DeviceID) IsZero() bool { return id == DeviceID{} }

// IsZero reports whether the id is all zero, the reserved "none" value.
func (id KeyID) IsZero() bool { return id == KeyID{} }

// IsZero reports whether the hash is all zero (no previous header).
func (h Hash) IsZero() bool { return h == Hash{} }
