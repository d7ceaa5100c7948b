package backup

import (
	"bytes"
	"crypto/ed25519"
	"fmt"

	"github.com/blindvault/blindvault/internal/format"
)

// oprfSetupVersion is the first byte of an OPRF set-up.
const oprfSetupVersion = 0x01

// releasePrefix starts the release message: "blindvault.v1 auth" ‖ 0x00 ‖
// "backup-release" (docs/backup-protocol.md, Release).
const releasePrefix = "blindvault.v1 auth\x00backup-release"

// ReleaseMessage returns the 97 bytes the backup auth key signs to have the
// server release the blob: "blindvault.v1 auth" ‖ 0x00 ‖ "backup-release" ‖
// account_id ‖ nonce, with the 32-byte nonce from POST …/challenge.
func ReleaseMessage(account [32]byte, nonce [32]byte) []byte {
	m := make([]byte, 0, len(releasePrefix)+len(account)+len(nonce))
	m = append(m, releasePrefix...)
	m = append(m, account[:]...)
	return append(m, nonce[:]...)
}

// SignRelease signs the release message for a nonce with the backup auth key.
func SignRelease(auth ed25519.PrivateKey, account [32]byte, nonce [32]byte) []byte {
	return ed25519.Sign(auth, ReleaseMessage(account, nonce))
}

// OPRFSetup returns what registration sends as the account's OPRF set-up:
// 0x01 ‖ the passphrase auth public key ‖ the recovery auth public key. The
// server releases the blob for a signature by either.
func OPRFSetup(passphraseAuth, recoveryAuth ed25519.PublicKey) []byte {
	out := append([]byte{oprfSetupVersion}, passphraseAuth...)
	return append(out, recoveryAuth...)
}

// ParseOPRFSetup returns the two release keys of an OPRF set-up. Each must
// pass format.CheckEd25519PublicKey (canonical, not of small order): a key of
// small order would accept a forged release signature (docs/spec/backup-v1.md).
func ParseOPRFSetup(setup []byte) (passphraseAuth, recoveryAuth ed25519.PublicKey, err error) {
	if len(setup) != 1+2*ed25519.PublicKeySize || setup[0] != oprfSetupVersion {
		return nil, nil, fmt.Errorf("%w: %d bytes", ErrBadSetup, len(setup))
	}
	if err := format.CheckEd25519PublicKey(setup[1:33]); err != nil {
		return nil, nil, fmt.Errorf("%w: passphrase auth key: %w", ErrBadSetup, err)
	}
	if err := format.CheckEd25519PublicKey(setup[33:]); err != nil {
		return nil, nil, fmt.Errorf("%w: recovery auth key: %w", ErrBadSetup, err)
	}
	return ed25519.PublicKey(bytes.Clone(setup[1:33])), ed25519.PublicKey(bytes.Clone(setup[33:])), nil
}

// RecoveryAuth returns the key with which a recovery code (as shown to the
// user) asks the server to release the blob, on a device that has lost the
// passphrase. Sign the release with SignRelease.
func RecoveryAuth(account [32]byte, code string) (ed25519.PrivateKey, error) {
	raw, err := ParseRecoveryCode(code)
	if err != nil {
		return nil, err
	}
	return recoveryAuth(account, raw), nil
}
