package main

import (
	"context"
	"errors"
	"syscall/js"

	"github.com/blindvault/blindvault/internal/cobble"
	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/sdk"
)

// errorCodes gives every error a caller can act on a stable code, the `code`
// of the JavaScript Error. The first match wins, so an error that wraps
// several (an equivocation found while reading a grant, say) reports the one
// listed first: the server's misbehaviour before what it caused.
var errorCodes = []struct {
	err  error
	code string
}{
	{sdk.ErrRollback, "ROLLBACK"},
	{sdk.ErrEquivocation, "EQUIVOCATION"},
	{sdk.ErrLogFork, "LOG_FORK"},
	{sdk.ErrLogMismatch, "LOG_MISMATCH"},
	{sdk.ErrNotLogged, "NOT_LOGGED"},
	{sdk.ErrUnexpectedKey, "UNEXPECTED_KEY"},
	{sdk.ErrStale, "STALE"},
	{sdk.ErrKeyUnverified, "KEY_UNVERIFIED"},
	{sdk.ErrChain, "CHAIN"},
	{sdk.ErrWrongRecord, "WRONG_RECORD"},
	{sdk.ErrMissingGrant, "MISSING_GRANT"},
	{sdk.ErrOPRF, "OPRF"},

	{sdk.ErrRevoked, "REVOKED"},
	{sdk.ErrDeleted, "DELETED"},
	{sdk.ErrNotRecipient, "NOT_RECIPIENT"},
	{sdk.ErrSignerMismatch, "SIGNER_MISMATCH"},
	{sdk.ErrSigner, "SIGNER"},
	{sdk.ErrWriteAuthority, "WRITE_AUTHORITY"},
	{sdk.ErrWrongACL, "WRONG_ACL"},
	{sdk.ErrGrant, "GRANT"},
	{sdk.ErrCommitment, "COMMITMENT"},
	{cobble.ErrCommitment, "COMMITMENT"},
	{sdk.ErrUnwrap, "UNWRAP"},
	{sdk.ErrLeafMismatch, "LEAF_MISMATCH"},
	{sdk.ErrChunkAuth, "CHUNK_AUTH"},
	{sdk.ErrTruncated, "TRUNCATED"},
	{sdk.ErrTrailingData, "TRAILING_DATA"},
	{cobble.ErrTrailingData, "TRAILING_DATA"},
	{cobble.ErrTooManyChunks, "TOO_MANY_CHUNKS"},
	{cobble.ErrInvalidKeySize, "INVALID_KEY_SIZE"},
	{sdk.ErrLayout, "LAYOUT"},
	{sdk.ErrPadding, "PADDING"},
	{sdk.ErrMeta, "META"},
	{sdk.ErrBadSignature, "BAD_SIGNATURE"},
	{sdk.ErrUnknownVersion, "UNKNOWN_VERSION"},
	{sdk.ErrUnknownKind, "UNKNOWN_KIND"},
	{sdk.ErrUnknownSuite, "UNKNOWN_SUITE"},
	{format.ErrUnknownEvent, "UNKNOWN_EVENT"},
	{format.ErrTooLarge, "TOO_LARGE"},
	{sdk.ErrTooLarge, "TOO_LARGE"},
	{sdk.ErrMalformed, "MALFORMED"},

	{sdk.ErrWrongPassphrase, "WRONG_PASSPHRASE"},
	{sdk.ErrWrongRecoveryCode, "WRONG_RECOVERY_CODE"},
	{sdk.ErrWeakPassphrase, "WEAK_PASSPHRASE"},
	{sdk.ErrWeakParams, "WEAK_PARAMS"},
	{sdk.ErrExcessiveParams, "EXCESSIVE_PARAMS"},
	{sdk.ErrNoProfile, "NO_PROFILE"},
	{sdk.ErrProfileExists, "PROFILE_EXISTS"},
	{sdk.ErrRateLimited, "RATE_LIMITED"},
	{sdk.ErrNotFound, "NOT_FOUND"},
	{sdk.ErrForbidden, "FORBIDDEN"},
	{sdk.ErrConflict, "CONFLICT"},
	{sdk.ErrUnreachable, "UNREACHABLE"},
	{context.Canceled, "ABORTED"},
	{context.DeadlineExceeded, "ABORTED"},
	{errArgument, "INVALID_ARGUMENT"},
}

// errorCode returns err's code: its own if it came from JavaScript with one,
// else the first of errorCodes it matches, else "ERROR".
func errorCode(err error) string {
	var je *codedError
	if errors.As(err, &je) {
		return je.code
	}
	for _, c := range errorCodes {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return "ERROR"
}

// codedError is an error with a code: one thrown by JavaScript (the body
// engine's TRUNCATED, say), carried through Go and back unchanged.
type codedError struct{ code, msg string }

func (e *codedError) Error() string { return e.msg }

// Is matches the SDK sentinel of the same code, so a JavaScript COMMITMENT
// is sdk.ErrCommitment to Go callers.
func (e *codedError) Is(target error) bool {
	for _, c := range errorCodes {
		if c.code == e.code && c.err == target {
			return true
		}
	}
	return false
}

func newJSError(code, msg string) js.Value {
	e := jsError.New(msg)
	e.Set("code", code)
	e.Set("name", "BlindvaultError")
	return e
}

func toJSError(err error) js.Value { return newJSError(errorCode(err), err.Error()) }

// fromJSError turns a rejection reason into a Go error, keeping its code.
func fromJSError(v js.Value) error {
	if v.Type() == js.TypeObject {
		msg := v.Get("message")
		code := v.Get("code")
		m := "javascript error"
		if msg.Type() == js.TypeString {
			m = msg.String()
		}
		if code.Type() == js.TypeString && code.String() != "" {
			return &codedError{code: code.String(), msg: m}
		}
		if v.Get("name").Type() == js.TypeString && v.Get("name").String() == "AbortError" {
			return &codedError{code: "ABORTED", msg: m}
		}
		return errors.New(m)
	}
	return errors.New(v.String())
}
