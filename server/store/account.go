package store

import (
	"context"
	"time"
)

// Role gates what an account may do through the server's API. It is the
// server's own authorization role, not a signed role attestation.
type Role string

// Roles the server knows.
const (
	RolePatient   Role = "patient"
	RoleClinician Role = "clinician"
	RoleService   Role = "service"
	RoleAdmin     Role = "admin"
)

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool {
	switch r {
	case RolePatient, RoleClinician, RoleService, RoleAdmin:
		return true
	}
	return false
}

// Status says whether an account may use the server.
type Status string

// Account states.
const (
	StatusActive    Status = "active"
	StatusSuspended Status = "suspended"
)

// Valid reports whether s is one of the known states.
func (s Status) Valid() bool { return s == StatusActive || s == StatusSuspended }

// KeyCard is one signed key card of an account. Seq starts at 1 and grows by
// one with every new card.
type KeyCard struct {
	Seq    uint64
	Signed []byte
	Added  time.Time
}

// Device is a device certificate and, once revoked, its signed revocation.
type Device struct {
	ID         DeviceID
	Cert       []byte
	Added      time.Time
	Revocation []byte    // empty while the device is valid
	Revoked    time.Time // zero while the device is valid
	// LastSeen is when the device last opened a session (PutSession sets it
	// to the session's Created); zero if it never did.
	LastSeen time.Time
}

// IsRevoked reports whether the device was revoked.
func (d Device) IsRevoked() bool { return !d.Revoked.IsZero() || len(d.Revocation) > 0 }

// Account is what the server keeps about an account, the backup blob aside.
type Account struct {
	ID        AccountID
	Handle    string
	Role      Role
	Status    Status
	KeyCard   KeyCard // the current (highest-seq) card
	OPRFSetup []byte
	Created   time.Time
	ChainSeq  uint64 // seq of the last account-chain entry, 0 if none
}

// NewAccount is a registration: the account, its first key card and device,
// and its key-backup blob.
type NewAccount struct {
	ID        AccountID
	Handle    string
	Role      Role
	KeyCard   KeyCard
	Device    Device
	Backup    []byte
	OPRFSetup []byte
	Created   time.Time
	// Invite, when set, is the hash of an invite code consumed in the same
	// transaction: the account is created only if the invite exists, has not
	// expired at Created, and is for Role.
	Invite *Hash
}

// Lockout counts failed backup-release attempts of an account.
type Lockout struct {
	Failures uint32
	Until    time.Time
}

// Accounts stores accounts, their key cards, devices and backup blobs.
type Accounts interface {
	// CreateAccount stores a new active account. ErrExists if the id or the
	// handle is taken; ErrNotFound if a.Invite is set and not usable.
	CreateAccount(ctx context.Context, a NewAccount) error
	// Account returns an account by id.
	Account(ctx context.Context, id AccountID) (Account, error)
	// AccountByHandle returns an account by its handle.
	AccountByHandle(ctx context.Context, handle string) (Account, error)
	// SetAccountStatus changes an account's status. Suspending it also deletes
	// all its sessions.
	SetAccountStatus(ctx context.Context, id AccountID, s Status) error
	// UpdateKeyCard stores a new current key card; ErrConflict unless
	// card.Seq is the current seq plus one.
	UpdateKeyCard(ctx context.Context, id AccountID, card KeyCard) error
	// KeyCards returns the account's cards with Seq ≥ from, in order.
	KeyCards(ctx context.Context, id AccountID, from uint64) ([]KeyCard, error)

	// AddDevice stores a device certificate; ErrExists if the device is known.
	AddDevice(ctx context.Context, id AccountID, d Device) error
	// Device returns one device, revoked or not.
	Device(ctx context.Context, id AccountID, dev DeviceID) (Device, error)
	// Devices returns all devices of the account, revoked ones included.
	Devices(ctx context.Context, id AccountID) ([]Device, error)
	// RevokeDevice stores a device's signed revocation and deletes its
	// sessions. ErrConflict if it is already revoked.
	RevokeDevice(ctx context.Context, id AccountID, dev DeviceID, revocation []byte, at time.Time) error

	// Backup returns the account's key-backup blob.
	Backup(ctx context.Context, id AccountID) ([]byte, error)
	// UpdateLockout reads the account's backup lockout (zero if none),
	// passes it to fn and stores fn's result, atomically, so that concurrent
	// attempts cannot both see the old count. An error from fn is returned
	// wrapped and nothing is stored. fn must be quick, must not call the
	// store, and may be called more than once.
	UpdateLockout(ctx context.Context, id AccountID, fn func(Lockout) (Lockout, error)) (Lockout, error)
}
