package backup

import (
	"crypto/ed25519"
	"fmt"
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
// 0x01 ‖ the 32-byte backup auth public key.
func OPRFSetup(auth ed25519.PublicKey) []byte {
	return append([]byte{oprfSetupVersion}, auth...)
}

// ParseOPRFSetup returns the backup auth public key of an OPRF set-up.
func ParseOPRFSetup(setup []byte) (ed25519.PublicKey, error) {
	if len(setup) != 1+ed25519.PublicKeySize || setup[0] != oprfSetupVersion {
		return nil, fmt.Errorf("%w: %d bytes", ErrBadSetup, len(setup))
	}
	return ed25519.PublicKey(append([]byte(nil), setup[1:]...)), nil
}
