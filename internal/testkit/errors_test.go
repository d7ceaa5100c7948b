package testkit_test

import (
	"github.com/blindvault/blindvault/internal/cobble"
	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/internal/grant"
	"github.com/blindvault/blindvault/internal/record"
	"github.com/blindvault/blindvault/sdk"
)

// goErrors maps each error name of format-v1 §7.1 to the Go error a reader
// returns for it, tested with errors.Is. The internal packages own all but
// three, which only the SDK's reader names (sdk.Check values and a sentinel).
var goErrors = map[string]error{
	"not-record-file":  format.ErrNotRecordFile,
	"bundle-too-large": format.ErrBundleTooLarge,
	"truncated":        cobble.ErrTruncated,
	"object-too-large": format.ErrTooLarge,
	"unknown-version":  format.ErrUnknownVersion,
	"unknown-kind":     format.ErrUnknownKind,
	"unknown-suite":    format.ErrUnknownSuite,
	"malformed":        format.ErrMalformed,
	"trailing-data":    format.ErrTrailingData,
	"bad-signature":    format.ErrBadSignature,
	"signer":           record.ErrSigner,
	"wrong-acl":        record.ErrWrongACL,
	"grant":            sdk.CheckGrant,
	"signer-mismatch":  sdk.CheckSignerMismatch,
	"layout":           record.ErrLayout,
	"not-recipient":    sdk.ErrNotRecipient,
	"grant-open":       grant.ErrOpen,
	"unwrap":           record.ErrUnwrap,
	"commitment":       record.ErrCommitment,
	"meta-open":        record.ErrMetaOpen,
	"meta-invalid":     record.ErrMetaInvalid,
	"leaf-mismatch":    record.ErrLeafMismatch,
	"chunk-auth":       cobble.ErrChunkAuth,
	"padding":          record.ErrPadding,
}

// alsoMatches lists, for an error name, the other names whose Go errors the
// Go reader's error also matches, by design: an object over its bound is
// malformed too, a grant that does not open is a bad grant, and a bad grant
// signature is both. Any other overlap would merge failures §7.1 keeps apart.
var alsoMatches = map[string][]string{
	"object-too-large": {"malformed"},
	"grant-open":       {"grant"},
	"grant":            {"bad-signature"},
}
