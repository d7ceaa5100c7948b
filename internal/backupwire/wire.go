// Package backupwire is the wire format that the backup's client and the
// server share: the OPRF set-up a client registers and the release message
// its backup auth key signs (docs/spec/backup-v1.md, docs/backup-protocol.md).
//
// It holds encodings only. Opening a backup blob is internal/backup's, which
// the server must never link (server/blind_test.go); the server imports this
// package instead.
package backupwire

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/blindvault/blindvault/internal/format"
)

// OPRFSetupVersion is the first byte of a version-1 OPRF set-up.
const OPRFSetupVersion = 0x01

// OPRFSetupSize is the size of a version-1 OPRF set-up.
const OPRFSetupSize = 1 + 2*ed25519.PublicKeySize

// NonceSize is the size of a release challenge's nonce (POST …/challenge).
const NonceSize = 32

// ReleasePrefix starts the release message: "blindvault.v1 auth" ‖ 0x00 ‖
// "backup-release" (docs/backup-protocol.md, Release). It cannot be confused
// with a device's session signature: that one is also under purpose "auth",
// but its body starts with the format version byte 0x01, not with
// "backup-release".
const ReleasePrefix = "blindvault.v1 auth\x00backup-release"

// ReleaseSize is the size of a release message: 97 bytes.
const ReleaseSize = len(ReleasePrefix) + 32 + NonceSize

// ErrBadSetup is an OPRF set-up that is not 0x01 ‖ two Ed25519 public keys
// that pass format.CheckEd25519PublicKey.
var ErrBadSetup = errors.New("backup: malformed oprf set-up")

// ReleaseMessage returns the 97 bytes the backup auth key signs to have the
// server release the blob:
//
//	"blindvault.v1 auth" ‖ 0x00 ‖ "backup-release" ‖ account_id (32) ‖ nonce (32)
//
// with the nonce from POST …/challenge.
func ReleaseMessage(account [32]byte, nonce [NonceSize]byte) []byte {
	m := make([]byte, 0, ReleaseSize)
	m = append(m, ReleasePrefix...)
	m = append(m, account[:]...)
	return append(m, nonce[:]...)
}

// OPRFSetup returns what registration sends as the account's OPRF set-up:
//
//	0x01 ‖ passphrase auth public key (32) ‖ recovery auth public key (32)
//
// Both are Ed25519 keys the client derives (docs/spec/backup-v1.md): one from
// the passphrase-derived backup key, one from the recovery code, so that a
// user who lost the passphrase can still have the blob released. The server
// releases the blob for a signature by either, and never publishes them: with
// the passphrase key, one OPRF evaluation per guess would let anyone check
// passphrase guesses offline.
func OPRFSetup(passphraseAuth, recoveryAuth ed25519.PublicKey) []byte {
	out := make([]byte, 0, OPRFSetupSize)
	out = append(out, OPRFSetupVersion)
	out = append(out, passphraseAuth...)
	return append(out, recoveryAuth...)
}

// ParseOPRFSetup returns the two release keys of an OPRF set-up: the passphrase
// auth key and the recovery auth key. Each must pass
// format.CheckEd25519PublicKey (canonical, not of small order): under a key
// of small order, a forged signature would verify for every release
// challenge, and the server would hand the blob to anyone. Every error
// matches ErrBadSetup.
func ParseOPRFSetup(setup []byte) (passphraseAuth, recoveryAuth ed25519.PublicKey, err error) {
	if len(setup) != OPRFSetupSize || setup[0] != OPRFSetupVersion {
		return nil, nil, fmt.Errorf("%w: %d bytes, want 0x01 followed by two 32-byte Ed25519 keys", ErrBadSetup, len(setup))
	}
	if err := format.CheckEd25519PublicKey(setup[1:33]); err != nil {
		return nil, nil, fmt.Errorf("%w: passphrase auth key: %w", ErrBadSetup, err)
	}
	if err := format.CheckEd25519PublicKey(setup[33:]); err != nil {
		return nil, nil, fmt.Errorf("%w: recovery auth key: %w", ErrBadSetup, err)
	}
	return ed25519.PublicKey(bytes.Clone(setup[1:33])), ed25519.PublicKey(bytes.Clone(setup[33:])), nil
}
