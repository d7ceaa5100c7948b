package backup

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"

	"github.com/blindvault/blindvault/internal/backupwire"
	"github.com/blindvault/blindvault/internal/keyfile"
)

// Create makes the backup blob of an account's secret (the whole key history,
// opaque here) with a passphrase slot and a recovery-code slot. It returns the
// blob, the recovery code to show once (FormatRecoveryCode form) and the OPRF
// set-up that registration sends (backupwire.OPRFSetup: 0x01 ‖ passphrase auth
// public key ‖ recovery auth public key).
//
// A weak passphrase (keyfile.CheckPassphrase) and parameters outside the
// floor and ceiling are refused before anything is derived or sent. The
// caller must use the same params in DeriveAuth on a new device: pass
// DefaultParams unless the user will remember others.
func Create(ctx context.Context, srv OPRFServer, accountID [32]byte, secret, passphrase []byte, params keyfile.Params) (blob []byte, recoveryCode string, oprfSetup []byte, err error) {
	if err := keyfile.CheckPassphrase(passphrase); err != nil {
		return nil, "", nil, fmt.Errorf("backup: %w", err)
	}
	if err := checkInputs(passphrase, params); err != nil {
		return nil, "", nil, err
	}
	if len(secret) > MaxSecret {
		return nil, "", nil, ErrSecretTooLarge
	}
	passKey, auth, err := passphraseKeys(ctx, srv, accountID, passphrase, params)
	if err != nil {
		return nil, "", nil, err
	}
	backupKey := make([]byte, keySize)
	rand.Read(backupKey)
	code := newRecoveryCode()
	slots := []slot{
		sealSlot(accountID, slotPassphrase, passHead(params, salt(accountID)), passKey, backupKey),
		sealSlot(accountID, slotRecovery, nil, recoveryKey(accountID, code), backupKey),
	}
	var nonce [nonceSize]byte
	rand.Read(nonce[:])
	prefix := encodePrefix(accountID, slots, nonce[:])
	body := newGCM(backupKey).Seal(nil, nonce[:], secret, bodyAAD(prefix))
	setup := backupwire.OPRFSetup(auth.Public().(ed25519.PublicKey), recoveryAuth(accountID, code).Public().(ed25519.PublicKey))
	return encode(prefix, body), FormatRecoveryCode(code), setup, nil
}
