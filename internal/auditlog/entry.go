package auditlog

import (
	"crypto/sha256"
	"errors"
	"fmt"

	"golang.org/x/crypto/cryptobyte"
)

// Type is what an entry records.
type Type uint8

// Entry types. Account-scoped entries have an account id as Subject;
// record-scoped ones a record id, with actors as ActorHash values.
const (
	KeyCard         Type = 1  // Subject account; Object card hash; Number card seq; Sig self-signature
	RoleAttestation Type = 2  // Subject the admin's account; Object chain entry hash; Number chain seq; Sig
	DeviceCertified Type = 3  // Subject account; Object certificate hash; Sig
	DeviceRevoked   Type = 4  // Subject account; Object revocation hash; Sig
	ACLChanged      Type = 5  // Subject record; Actor owner; Object ACL hash; Number ACL seq; Sig
	ChainEntry      Type = 6  // Subject account; Object entry hash; Number seq; Sig
	GrantCreated    Type = 7  // Subject record; Actor granter; Peer recipient; Object grant hash; Number epoch; Sig
	GrantRevoked    Type = 8  // Subject record; Actor owner; Peer the reader revoked
	VersionWritten  Type = 9  // Subject record; Actor author; Object header hash; Number version; Sig
	BodyRead        Type = 10 // Subject record; Actor reader; Peer the read's request nonce (zero: none); Object header hash; Number version
	RecordDeleted   Type = 11 // Subject record; Actor owner; Number last version
	OPRFEvaluated   Type = 12 // Subject account (an online passphrase guess)
	BackupRelease   Type = 13 // Subject account; Number 1 released, 0 refused
	AdminAction     Type = 14 // Subject target account or zero; Actor the admin's account; Number an AdminOp
	SecondFactor    Type = 15 // Subject account; Number a SecondFactorOp
	AccountDeletion Type = 16 // Subject account; Number an AccountDeletionOp
	// EmergencyRequest is an account-chain entry requesting another
	// account's threshold key (format EventRequest), logged under its own
	// type so that the owner's devices find it: Subject the requester;
	// Peer the key's owner; Object chain entry hash; Number chain seq; Sig.
	EmergencyRequest Type = 17
)

// AccountDeletionOp is the Number of an AccountDeletion entry.
const (
	AccountDeletionScheduled uint64 = iota + 1 // the owner asked, re-authenticated; purge after the retention window
	AccountDeletionCancelled                   // the owner cancelled inside the window
	AccountDeletionPurged                      // the server purged the account
)

// SecondFactorOp is the Number of a SecondFactor entry.
const (
	SecondFactorEnrolled uint64 = iota + 1 // a TOTP factor confirmed
	SecondFactorRemoved                    // the factor removed
	SecondFactorPassed                     // a code accepted at a backup release
	SecondFactorFailed                     // a wrong, replayed or missing code refused
)

// AdminOp is the Number of an AdminAction entry.
const (
	AdminInvite uint64 = iota + 1
	AdminSuspend
	AdminResume
	AdminSnapshot
	AdminCompact
)

var typeNames = map[Type]string{
	KeyCard: "key card published", RoleAttestation: "role attestation", DeviceCertified: "device certified",
	DeviceRevoked: "device revoked", ACLChanged: "ACL changed", ChainEntry: "account-chain entry",
	GrantCreated: "grant created", GrantRevoked: "grant revoked", VersionWritten: "version written",
	BodyRead: "body read", RecordDeleted: "record deleted", OPRFEvaluated: "backup OPRF evaluated",
	BackupRelease: "backup release", AdminAction: "admin action", SecondFactor: "second factor",
	AccountDeletion:  "account deletion",
	EmergencyRequest: "emergency request",
}

func (t Type) String() string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("type %d", uint8(t))
}

// RecordScoped reports whether t's Subject is a record id (and its people are
// salted hashes).
func (t Type) RecordScoped() bool {
	switch t {
	case ACLChanged, GrantCreated, GrantRevoked, VersionWritten, BodyRead, RecordDeleted:
		return true
	}
	return false
}

// Version is the only entry version.
const Version = 1

// EntrySize is the size of an entry without a signature; one with a
// signature is 64 bytes longer.
const EntrySize = 1 + 1 + 8 + 4*32 + 8 + 1

var (
	// ErrMalformed is an entry that does not parse.
	ErrMalformed = errors.New("auditlog: malformed entry")
	// ErrUnknownVersion is an entry of a version other than 1.
	ErrUnknownVersion = errors.New("auditlog: unknown entry version")
	// ErrUnknownType is an entry of a type v1 does not define.
	ErrUnknownType = errors.New("auditlog: unknown entry type")
)

// Entry is one log entry: u8 version ‖ u8 type ‖ u64 time ‖ [32] subject ‖
// [32] actor ‖ [32] peer ‖ [32] object ‖ u64 number ‖ u8<signature>.
type Entry struct {
	Type    Type
	Time    uint64 // Unix seconds, the server's clock
	Subject [32]byte
	Actor   [32]byte
	Peer    [32]byte
	Object  [32]byte
	Number  uint64
	// Sig is the actor's signature over the object, when the actor signed
	// one (64 bytes), so the server cannot log an action nobody took.
	Sig []byte
}

// Marshal encodes the entry.
func (e *Entry) Marshal() []byte {
	b := cryptobyte.NewBuilder(make([]byte, 0, EntrySize+len(e.Sig)))
	b.AddUint8(Version)
	b.AddUint8(uint8(e.Type))
	b.AddUint64(e.Time)
	b.AddBytes(e.Subject[:])
	b.AddBytes(e.Actor[:])
	b.AddBytes(e.Peer[:])
	b.AddBytes(e.Object[:])
	b.AddUint64(e.Number)
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(e.Sig) })
	return b.BytesOrPanic()
}

// Parse decodes an entry, rejecting unknown versions and types, a signature
// that is neither empty nor 64 bytes, and trailing bytes.
func Parse(data []byte) (*Entry, error) {
	if len(data) > EntrySize+64 {
		return nil, fmt.Errorf("%w: %d bytes", ErrMalformed, len(data))
	}
	s := cryptobyte.String(data)
	var v, t uint8
	var sig cryptobyte.String
	e := new(Entry)
	if !s.ReadUint8(&v) {
		return nil, ErrMalformed
	}
	if v != Version {
		return nil, fmt.Errorf("%w: %d", ErrUnknownVersion, v)
	}
	if !s.ReadUint8(&t) {
		return nil, ErrMalformed
	}
	e.Type = Type(t)
	if _, ok := typeNames[e.Type]; !ok {
		return nil, fmt.Errorf("%w: %d", ErrUnknownType, t)
	}
	if !s.ReadUint64(&e.Time) || !s.CopyBytes(e.Subject[:]) || !s.CopyBytes(e.Actor[:]) || !s.CopyBytes(e.Peer[:]) ||
		!s.CopyBytes(e.Object[:]) || !s.ReadUint64(&e.Number) || !s.ReadUint8LengthPrefixed(&sig) || !s.Empty() {
		return nil, ErrMalformed
	}
	if len(sig) != 0 && len(sig) != 64 {
		return nil, fmt.Errorf("%w: signature of %d bytes", ErrMalformed, len(sig))
	}
	if len(sig) > 0 {
		e.Sig = append([]byte(nil), sig...)
	}
	return e, nil
}

// SaltSize is the size of a record's log salt.
const SaltSize = 32

// ActorHash names an account in a record-scoped entry:
// SHA-256("blindvault.v1 log actor" ‖ 0x00 ‖ salt ‖ account).
func ActorHash(salt []byte, account [32]byte) [32]byte {
	h := sha256.New()
	h.Write([]byte("blindvault.v1 log actor\x00"))
	h.Write(salt)
	h.Write(account[:])
	return [32]byte(h.Sum(nil))
}
