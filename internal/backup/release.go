package backup

import (
	"crypto/ed25519"

	"github.com/blindvault/blindvault/internal/backupwire"
)

// The release message and the OPRF set-up are wire formats the server parses
// too; they live in internal/backupwire, which the server may import.

// SignRelease signs the release message (backupwire.ReleaseMessage) for a
// nonce from POST …/challenge with the backup auth key.
func SignRelease(auth ed25519.PrivateKey, account [32]byte, nonce [32]byte) []byte {
	return ed25519.Sign(auth, backupwire.ReleaseMessage(account, nonce))
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
