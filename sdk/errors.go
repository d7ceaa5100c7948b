package sdk

import (
	"errors"

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
