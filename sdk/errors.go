package sdk

import (
	"errors"

	"github.com/blindvault/blindvault/internal/backup"
	"github.com/blindvault/blindvault/internal/cobble"
	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/internal/keyfile"
	"github.com/blindvault/blindvault/internal/record"
)

// Errors a caller can test for with errors.Is. Every check a reader makes fails
// with one of these, wrapped with detail.
var (
	// ErrNotRecordFile means the input does not start with the record-file magic.
	ErrNotRecordFile = errors.New("not a blindvault record file")
	// ErrNotRecipient means the record holds no grant for this identity.
	ErrNotRecipient = errors.New("this identity is not a recipient of the record")
	// ErrSignerMismatch means the record was signed by someone other than the
	// expected signer.
	ErrSignerMismatch = errors.New("record author is not the expected signer")
	// ErrGrant means a grant is not valid for this record, epoch and reader.
	ErrGrant = errors.New("grant is not valid for this record")
	// ErrTooLarge means an input exceeds a configured or format limit.
	ErrTooLarge = errors.New("input exceeds the size limit")

	ErrUnknownVersion = format.ErrUnknownVersion
	ErrUnknownKind    = format.ErrUnknownKind
	ErrUnknownSuite   = format.ErrUnknownSuite
	ErrMalformed      = format.ErrMalformed
	ErrTrailingData   = format.ErrTrailingData
	ErrBadSignature   = format.ErrBadSignature

	ErrSigner         = record.ErrSigner
	ErrWriteAuthority = record.ErrWriteAuthority
	ErrWrongACL       = record.ErrWrongACL
	ErrCommitment     = record.ErrCommitment
	ErrUnwrap         = record.ErrUnwrap
	ErrLayout         = record.ErrLayout
	ErrPadding        = record.ErrPadding
	ErrMeta           = record.ErrMetaInvalid

	ErrLeafMismatch = cobble.ErrLeafMismatch
	ErrChunkAuth    = cobble.ErrChunkAuth
	ErrTruncated    = cobble.ErrTruncated

	ErrWrongPassphrase = keyfile.ErrWrongPassphrase
	ErrWeakPassphrase  = keyfile.ErrWeakPassphrase
	ErrWeakParams      = keyfile.ErrWeakParams
)

// Errors of the online client. The first group means the server (or something
// between it and the client) misbehaved: the client detected it and returned no
// forged, hidden or stale content as valid.
var (
	// ErrRollback means the server showed less than this client has already
	// seen: an older version or ACL, a shorter account chain, a record missing
	// from a list, or a share withdrawn without the owner's new ACL.
	ErrRollback = errors.New("server rolled back or hid state this client has seen")
	// ErrKeyUnverified means a key card failed verification before use: its
	// self-signature, its chain of successors, or the fingerprint pinned for
	// that name.
	ErrKeyUnverified = errors.New("key card failed verification")
	// ErrChain means an account chain entry is not validly signed by its account
	// or does not follow the entry before it.
	ErrChain = errors.New("account chain does not verify")
	// ErrEquivocation means the server showed two different objects for the
	// same place in a chain (one record version, one ACL seq, one chain seq).
	ErrEquivocation = errors.New("server equivocated")
	// ErrWrongRecord means the server answered with an object of another
	// record, version or account than the one asked for.
	ErrWrongRecord = errors.New("server answered with another object than asked for")
	// ErrMissingGrant means the ACL in force gives this identity read access
	// but the server withholds its grant.
	ErrMissingGrant = errors.New("server withholds a grant the ACL gives")

	// ErrNotFound means the record or account does not exist, or is not
	// readable by this account (the server does not say which).
	ErrNotFound = errors.New("not found")
	// ErrRevoked means the record was shared with this account and the owner
	// has since revoked the share (or deleted the record).
	ErrRevoked = errors.New("access was revoked by the owner")
	// ErrDeleted means the record was deleted by its owner.
	ErrDeleted = errors.New("record was deleted")
	// ErrForbidden means the server refused the operation to this account.
	ErrForbidden = errors.New("forbidden")
	// ErrConflict means another writer changed the object first, repeatedly.
	ErrConflict = errors.New("conflict: the object changed meanwhile")
	// ErrRateLimited means the server asks the client to slow down; for
	// backup requests it is the growing lockout after failed guesses.
	ErrRateLimited = errors.New("rate limited by the server")
	// ErrUnreachable means the server could not be reached.
	ErrUnreachable = errors.New("server unreachable")
	// ErrNoProfile means the client has no account yet: Register or Login first.
	ErrNoProfile = errors.New("no account on this device: register or log in first")
	// ErrProfileExists means the profile already holds an account.
	ErrProfileExists = errors.New("this profile already holds an account")
	// ErrOPRF means the server's OPRF answer did not verify against its
	// public key (a server that evaluated with another key).
	ErrOPRF = backup.ErrOPRF
	// ErrWrongRecoveryCode means a recovery code does not open the backup.
	ErrWrongRecoveryCode = backup.ErrWrongRecoveryCode
	// ErrExcessiveParams means Argon2id parameters above the ceiling.
	ErrExcessiveParams = keyfile.ErrExcessiveParams
)

// misbehaviour is every error that means the server, or something between it
// and the client, answered falsely and the client caught it.
var misbehaviour = []error{
	ErrRollback, ErrEquivocation, ErrChain, ErrWrongRecord, ErrMissingGrant, ErrOPRF,
	ErrLogFork, ErrLogMismatch, ErrNotLogged, ErrUnexpectedKey,
	ErrBadSignature, ErrSigner, ErrWriteAuthority, ErrWrongACL,
	ErrCommitment, ErrLeafMismatch, ErrChunkAuth, ErrTruncated,
}

// ServerMisbehaved reports whether err means that the server, or something
// between it and this client, answered falsely: a forged, rolled-back, hidden
// or inconsistent answer, or a log that disagrees with itself or with others.
// The client caught it and used none of that answer; a user should hear of it
// as a security problem, not as an ordinary failure.
func ServerMisbehaved(err error) bool {
	for _, m := range misbehaviour {
		if errors.Is(err, m) {
			return true
		}
	}
	return false
}
