package backup

import (
	"errors"
	"fmt"

	"github.com/blindvault/blindvault/internal/backupwire"
)

var (
	// ErrMalformed is a blob that does not parse. ErrTooLarge matches it too.
	ErrMalformed = errors.New("backup: malformed blob")
	// ErrTooLarge is a blob larger than MaxBlobSize.
	ErrTooLarge = fmt.Errorf("%w: larger than %d bytes", ErrMalformed, MaxBlobSize)
	// ErrUnknownVersion is a blob of a version other than 1.
	ErrUnknownVersion = errors.New("backup: unknown blob version")
	// ErrUnknownSuite is a blob of a suite other than 1.
	ErrUnknownSuite = errors.New("backup: unknown blob suite")
	// ErrUnknownSlot is a key slot of a kind this version does not define.
	ErrUnknownSlot = errors.New("backup: unknown key slot kind")
	// ErrNoSlot is a blob without the slot asked for.
	ErrNoSlot = errors.New("backup: the blob has no such key slot")
	// ErrWrongAccount is a blob made for another account.
	ErrWrongAccount = errors.New("backup: the blob belongs to another account")
	// ErrWrongPassphrase is a passphrase slot that does not open: a wrong
	// passphrase (or other Argon2id parameters than at creation), or a
	// corrupted blob.
	ErrWrongPassphrase = errors.New("backup: wrong passphrase or corrupted backup")
	// ErrWrongRecoveryCode is a well-formed recovery code whose slot does not
	// open.
	ErrWrongRecoveryCode = errors.New("backup: wrong recovery code or corrupted backup")
	// ErrBadRecoveryCode is a recovery code that does not parse or whose
	// checksum does not match (a typing error).
	ErrBadRecoveryCode = errors.New("backup: recovery code is not 32 base32 characters with a valid checksum")
	// ErrCorrupted is a blob whose slot opened but whose body does not: it was
	// altered after its slots were sealed.
	ErrCorrupted = errors.New("backup: the backup body fails authentication")
	// ErrSecretTooLarge is a secret larger than MaxSecret.
	ErrSecretTooLarge = fmt.Errorf("backup: secret larger than %d bytes", MaxSecret)
	// ErrOPRF is an OPRF exchange that failed on the client: a bad public key,
	// a malformed answer, or a proof that does not verify against the public
	// key (a server that evaluated with another key). It wraps circl's error.
	ErrOPRF = errors.New("backup: oprf")
	// ErrBadSetup is an OPRF set-up that is not 0x01 ‖ two Ed25519 public
	// keys that pass the key rule; it is backupwire.ErrBadSetup, which
	// backupwire.ParseOPRFSetup returns.
	ErrBadSetup = backupwire.ErrBadSetup
)
