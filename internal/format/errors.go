package format

import "errors"

// Errors returned by the parsers and verifiers. A parse error wraps exactly one of
// ErrUnknownVersion, ErrUnknownKind, ErrUnknownSuite, ErrTrailingData, ErrMalformed,
// ErrUnknownEvent (account entries) and, for key cards, ErrBadSignature;
// ErrTooLarge also matches ErrMalformed.
var (
	// ErrUnknownVersion: the body's version byte is not 1.
	ErrUnknownVersion = errors.New("format: unknown version")
	// ErrUnknownKind: the body's kind byte is not the kind being parsed.
	ErrUnknownKind = errors.New("format: unknown kind")
	// ErrUnknownSuite: the body's suite is not 1.
	ErrUnknownSuite = errors.New("format: unknown suite")
	// ErrTrailingData: bytes are left over after the last field.
	ErrTrailingData = errors.New("format: trailing data")
	// ErrMalformed: a length prefix is incomplete, a fixed field has the wrong
	// size, or a field breaks a constraint of the format.
	ErrMalformed = errors.New("format: malformed object")
	// ErrTooLarge: the input is longer than the object's size bound. Errors that
	// wrap it also wrap ErrMalformed.
	ErrTooLarge = errors.New("format: object too large")
	// ErrBadSignature: a signature does not verify, or the key it was checked
	// against is not the signer the object names.
	ErrBadSignature = errors.New("format: bad signature")
	// ErrBadChain: an object does not follow the one given as its predecessor
	// (sequence number, identifiers, previous hash or epoch).
	ErrBadChain = errors.New("format: broken chain")
	// ErrNotRecordFile: the input does not start with the record-file magic
	// (format-v1 §6).
	ErrNotRecordFile = errors.New("format: not a blindvault record file")
	// ErrBundleTooLarge: a record file's bundle is longer than its bound.
	ErrBundleTooLarge = errors.New("format: record bundle too large")
	// ErrUnknownEvent: an account entry's event type is not defined in v1.
	ErrUnknownEvent = errors.New("format: unknown account-entry event")
)
