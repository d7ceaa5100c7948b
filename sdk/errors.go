package sdk

import (
	"context"
	"errors"
	"strings"

	"github.com/blindvault/blindvault/internal/backup"
	"github.com/blindvault/blindvault/internal/cobble"
	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/internal/keyfile"
	"github.com/blindvault/blindvault/internal/record"
)

// The SDK's error model (docs/errors.md): a few sentinels for outcomes a
// caller acts on, tested with errors.Is, and one typed error, *CheckError, for
// a verification that failed. Every error the SDK returns is one of these,
// wrapped with detail, or a plain error for a caller's mistake; ErrorCode
// gives each a stable code for programs.
var (
	// ErrInvalid means an input is not what it claims to be: not a record
	// file or identity, malformed, with trailing data, or an argument out of
	// range (such as a body whose length differs from the declared Size).
	ErrInvalid = errors.New("invalid input")
	// ErrUnsupported means a version, kind or suite this SDK does not know: a
	// newer writer made it. Nothing is guessed.
	ErrUnsupported = errors.New("unsupported version, kind or suite")
	// ErrTooLarge means an input exceeds a configured or format limit.
	ErrTooLarge = errors.New("input exceeds the size limit")
	// ErrNotRecipient means the record holds no grant for this identity.
	ErrNotRecipient = errors.New("this identity is not a recipient of the record")
	// ErrWrongPassphrase means a passphrase does not open the keys or backup.
	ErrWrongPassphrase = errors.New("wrong passphrase")
	// ErrWrongRecoveryCode means a recovery code does not open the backup.
	ErrWrongRecoveryCode = errors.New("wrong recovery code")
	// ErrSecondFactor means the account has a second factor and the server
	// needs a current one-time code (LoginOptions.OTP), or refused the one
	// given as wrong or already used. The recovery code needs none.
	ErrSecondFactor = errors.New("a current one-time code from the account's second factor is needed")
	// ErrWeakPassphrase means a new passphrase is too short or repetitive.
	ErrWeakPassphrase = keyfile.ErrWeakPassphrase

	// ErrNotFound means the record or account does not exist, or is not
	// readable by this account (the server does not say which).
	ErrNotFound = errors.New("not found")
	// ErrRevoked means the record was shared with this account and the owner
	// has since revoked the share (or deleted the record).
	ErrRevoked = errors.New("access was revoked by the owner")
	// ErrDeleted means the record was deleted by its owner, or its owner
	// deleted their account (the log shows it).
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
	// ErrRestricted means the record is restricted by its owner (Restrict): it
	// joins no collection or team share, and a share with a person needs
	// ShareOptions.ConfirmRestricted.
	ErrRestricted = errors.New("the record is restricted")
)

// sentinelCodes gives every sentinel its stable code, in the order ErrorCode
// tries them: the more specific outcome first.
var sentinelCodes = []struct {
	err  error
	code string
}{
	{ErrRevoked, "REVOKED"},
	{ErrDeleted, "DELETED"},
	{ErrNotRecipient, "NOT_RECIPIENT"},
	{ErrWrongPassphrase, "WRONG_PASSPHRASE"},
	{ErrWrongRecoveryCode, "WRONG_RECOVERY_CODE"},
	{ErrSecondFactor, "SECOND_FACTOR"},
	{ErrWeakPassphrase, "WEAK_PASSPHRASE"},
	{ErrNoProfile, "NO_PROFILE"},
	{ErrProfileExists, "PROFILE_EXISTS"},
	{ErrRestricted, "RESTRICTED"},
	{ErrRateLimited, "RATE_LIMITED"},
	{ErrNotFound, "NOT_FOUND"},
	{ErrForbidden, "FORBIDDEN"},
	{ErrConflict, "CONFLICT"},
	{ErrUnreachable, "UNREACHABLE"},
	{ErrUnsupported, "UNSUPPORTED"},
	{ErrTooLarge, "TOO_LARGE"},
	{ErrInvalid, "INVALID"},
	{context.Canceled, "ABORTED"},
	{context.DeadlineExceeded, "ABORTED"},
}

// ErrorCode returns err's stable code for programs: the upper-case name of
// the failed Check ("ROLLBACK", "LEAF_MISMATCH"), or of the sentinel it
// matches ("NOT_FOUND", "WRONG_PASSPHRASE"), "ABORTED" for a cancelled
// context, and "ERROR" for anything else. The browser build's errors carry it
// as their code.
func ErrorCode(err error) string {
	err = checked(err, false)
	if c, ok := failedCheck(err); ok {
		return c.code()
	}
	for _, s := range sentinelCodes {
		if errors.Is(err, s.err) {
			return s.code
		}
	}
	return "ERROR"
}

// ServerMisbehaved reports whether err means that the server, or something
// between it and this client, answered falsely: a forged, rolled-back, hidden
// or inconsistent answer, or a log that disagrees with itself or with others.
// The client caught it and used none of that answer; a user should hear of it
// as a security problem, not as an ordinary failure.
func ServerMisbehaved(err error) bool {
	var ce *CheckError
	if errors.As(err, &ce) {
		return ce.ServerMisbehaved
	}
	c, ok := failedCheck(err)
	return ok && c.blamesServer()
}

// internalErrors maps the internal packages' errors to the SDK's: a failed
// check, or a sentinel.
var internalErrors = []struct {
	from  error
	check Check
	to    error
}{
	{from: format.ErrBadSignature, check: CheckBadSignature},
	{from: record.ErrSigner, check: CheckSigner},
	{from: record.ErrWriteAuthority, check: CheckWriteAuthority},
	{from: record.ErrWrongACL, check: CheckWrongACL},
	{from: record.ErrCommitment, check: CheckCommitment},
	{from: cobble.ErrCommitment, check: CheckCommitment},
	{from: record.ErrUnwrap, check: CheckUnwrap},
	{from: cobble.ErrLeafMismatch, check: CheckLeafMismatch},
	{from: cobble.ErrChunkAuth, check: CheckChunkAuth},
	{from: cobble.ErrTruncated, check: CheckTruncated},
	{from: record.ErrLayout, check: CheckLayout},
	{from: record.ErrPadding, check: CheckPadding},
	{from: record.ErrMetaInvalid, check: CheckMeta},
	{from: record.ErrMetaOpen, check: CheckMeta},
	{from: keyfile.ErrWeakParams, check: CheckWeakParams},
	{from: keyfile.ErrExcessiveParams, check: CheckExcessiveParams},
	{from: backup.ErrOPRF, check: CheckOPRF},
	{from: backup.ErrWrongAccount, check: CheckWrongRecord},

	{from: keyfile.ErrWrongPassphrase, to: ErrWrongPassphrase},
	{from: backup.ErrWrongPassphrase, to: ErrWrongPassphrase},
	{from: backup.ErrWrongRecoveryCode, to: ErrWrongRecoveryCode},
	{from: backup.ErrBadRecoveryCode, to: ErrWrongRecoveryCode},
	{from: format.ErrUnknownVersion, to: ErrUnsupported},
	{from: format.ErrUnknownKind, to: ErrUnsupported},
	{from: format.ErrUnknownSuite, to: ErrUnsupported},
	{from: format.ErrUnknownEvent, to: ErrUnsupported},
	{from: keyfile.ErrUnknownVersion, to: ErrUnsupported},
	{from: keyfile.ErrUnknownSuite, to: ErrUnsupported},
	{from: backup.ErrUnknownVersion, to: ErrUnsupported},
	{from: backup.ErrUnknownSuite, to: ErrUnsupported},
	{from: format.ErrTooLarge, to: ErrTooLarge},
	{from: format.ErrBundleTooLarge, to: ErrTooLarge},
	{from: cobble.ErrTooManyChunks, to: ErrTooLarge},
	{from: keyfile.ErrLongPassphrase, to: ErrTooLarge},
	{from: format.ErrMalformed, to: ErrInvalid},
	{from: format.ErrNotRecordFile, to: ErrInvalid},
	{from: format.ErrTrailingData, to: ErrInvalid},
	{from: cobble.ErrTrailingData, to: ErrInvalid},
	{from: cobble.ErrInvalidSummary, to: ErrInvalid},
	{from: cobble.ErrInvalidKeySize, to: ErrInvalid},
	{from: keyfile.ErrNotKeyFile, to: ErrInvalid},
	{from: backup.ErrMalformed, to: ErrInvalid},
	{from: backup.ErrUnknownSlot, to: ErrInvalid},
	{from: backup.ErrNoSlot, to: ErrInvalid},
	{from: backup.ErrCorrupted, to: ErrInvalid},
}

// checked turns err into the SDK's model at a public boundary: a failed check
// becomes a *CheckError (one that means the server misbehaved when fromServer
// and the check is one a server can fail), an internal error its sentinel.
// Errors already in the model pass unchanged.
func checked(err error, fromServer bool) error {
	if err == nil {
		return nil
	}
	var ce *CheckError
	if errors.As(err, &ce) {
		return err
	}
	if c, ok := failedCheck(err); ok {
		return &CheckError{Check: c, ServerMisbehaved: fromServer && c.blamesServer(), Err: err}
	}
	for _, m := range internalErrors {
		if m.to != nil && errors.Is(err, m.from) && !errors.Is(err, m.to) {
			return &sentinelError{is: m.to, err: err}
		}
	}
	return err
}

// failedCheck finds the check err reports: the first in checkOrder that err
// wraps, directly or as an internal package's error.
func failedCheck(err error) (Check, bool) {
	var ce *CheckError
	if errors.As(err, &ce) {
		return ce.Check, true
	}
	for _, c := range checkOrder {
		if errors.Is(err, c) {
			return c, true
		}
	}
	for _, m := range internalErrors {
		if m.check != "" && errors.Is(err, m.from) {
			return m.check, true
		}
	}
	return "", false
}

// sentinelError is an internal error that matches its SDK sentinel.
type sentinelError struct {
	is  error
	err error
}

func (e *sentinelError) Error() string        { return e.err.Error() }
func (e *sentinelError) Unwrap() error        { return e.err }
func (e *sentinelError) Is(target error) bool { return target == e.is }

// codeName is the upper-case, underscored form of a check's name.
func codeName(name string) string {
	return strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// inModel puts *err in the SDK's error model at a boundary where nothing
// comes from the server: a failed check means bad data, not a lying server.
func inModel(err *error) { *err = checked(*err, false) }
