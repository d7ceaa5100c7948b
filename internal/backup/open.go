package backup

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"

	"github.com/blindvault/blindvault/internal/keyfile"
)

// DeriveAuth derives, from the passphrase, the backup auth key (to sign
// backupwire.ReleaseMessage) and the passphrase slot key (for Open). It needs no blob:
// the salt follows from the account id, and params are those given to Create
// (DefaultParams unless the user chose others).
//
// params are checked against the floor and the ceiling first
// (keyfile.ErrWeakParams, keyfile.ErrExcessiveParams), then the passphrase's
// length; only then are the server and Argon2id called. A wrong passphrase
// is not detected here: its auth key is refused by the server's release, and
// its slot key by Open (ErrWrongPassphrase).
func DeriveAuth(ctx context.Context, srv OPRFServer, accountID [32]byte, passphrase []byte, params keyfile.Params) (authKey ed25519.PrivateKey, slotKey []byte, err error) {
	if err := checkInputs(passphrase, params); err != nil {
		return nil, nil, err
	}
	slotKey, authKey, err = passphraseKeys(ctx, srv, accountID, passphrase, params)
	if err != nil {
		return nil, nil, err
	}
	return authKey, slotKey, nil
}

// PassphraseParams returns the Argon2id parameters of a blob's passphrase
// slot, checked against the floor and the ceiling: what a device that holds
// the blob passes to DeriveAuth.
func PassphraseParams(data []byte) (keyfile.Params, error) {
	b, err := parse(data)
	if err != nil {
		return keyfile.Params{}, err
	}
	sl, err := b.find(slotPassphrase)
	if err != nil {
		return keyfile.Params{}, err
	}
	p, _, err := parsePassHead(sl.head)
	if err != nil {
		return keyfile.Params{}, err
	}
	if err := p.Check(); err != nil {
		return keyfile.Params{}, fmt.Errorf("backup: %w", err)
	}
	return p, nil
}

// Open returns the secret of an account's blob with the passphrase slot key
// from DeriveAuth. A slot key of another passphrase is ErrWrongPassphrase; a
// blob of another account is ErrWrongAccount.
func Open(data []byte, accountID [32]byte, slotKey []byte) ([]byte, error) {
	b, err := parseFor(data, accountID)
	if err != nil {
		return nil, err
	}
	sl, err := b.find(slotPassphrase)
	if err != nil {
		return nil, err
	}
	p, s, err := parsePassHead(sl.head)
	if err != nil {
		return nil, err
	}
	if err := p.Check(); err != nil {
		return nil, fmt.Errorf("backup: passphrase slot: %w", err)
	}
	if !bytes.Equal(s, salt(accountID)) {
		return nil, fmt.Errorf("%w: passphrase slot salt is not the account's", ErrMalformed)
	}
	key, ok := openSlot(accountID, sl, slotKey)
	if !ok {
		return nil, ErrWrongPassphrase
	}
	return b.open(key)
}

// OpenWithRecoveryCode returns the secret of an account's blob with its
// recovery code, as typed (see ParseRecoveryCode). No server call is needed.
func OpenWithRecoveryCode(data []byte, accountID [32]byte, code string) ([]byte, error) {
	raw, err := ParseRecoveryCode(code)
	if err != nil {
		return nil, err
	}
	b, err := parseFor(data, accountID)
	if err != nil {
		return nil, err
	}
	sl, err := b.find(slotRecovery)
	if err != nil {
		return nil, err
	}
	key, ok := openSlot(accountID, sl, recoveryKey(accountID, raw))
	if !ok {
		return nil, ErrWrongRecoveryCode
	}
	return b.open(key)
}

// parseFor parses a blob and checks that it is the account's.
func parseFor(data []byte, accountID [32]byte) (*blob, error) {
	b, err := parse(data)
	if err != nil {
		return nil, err
	}
	if b.account != accountID {
		return nil, ErrWrongAccount
	}
	return b, nil
}

// open decrypts the body with the unwrapped backup key.
func (b *blob) open(backupKey []byte) ([]byte, error) {
	secret, err := newGCM(backupKey).Open(nil, b.nonce, b.body, bodyAAD(b.prefix))
	if err != nil {
		return nil, ErrCorrupted
	}
	return secret, nil
}
