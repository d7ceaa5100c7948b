package backup

import (
	"context"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"

	"github.com/blindvault/blindvault/internal/keyfile"
)

// KDF labels (docs/spec/backup-v1.md §3).
const (
	saltLabel     = "blindvault.v1 backup-salt"
	backupLabel   = "blindvault.v1 backup"
	recoveryLabel = "blindvault.v1 recovery"
	// recoveryAuthLabel derives the recovery code's release key, independent of
	// its slot key (a different HKDF info).
	recoveryAuthLabel = "blindvault.v1 recovery-auth"
)

// DefaultParams are the Argon2id parameters of a new backup: the floor. A
// new device must use the same parameters as the backup's creator, and it
// knows nothing but the account id and the passphrase, so anything else has
// to be remembered by the user (docs/spec/backup-v1.md §3.1).
var DefaultParams = keyfile.Floor

// argon2id is keyfile.Derive; tests replace it to count calls.
var argon2id = keyfile.Derive

// salt returns the account's Argon2id salt: the first 16 bytes of
// SHA-256("blindvault.v1 backup-salt" ‖ account_id). It is deterministic
// because a new device must derive before it has the blob.
func salt(account [32]byte) []byte {
	h := sha256.New()
	h.Write([]byte(saltLabel))
	h.Write(account[:])
	return h.Sum(nil)[:saltSize]
}

// passphraseKeys derives the passphrase slot key and the backup auth key:
//
//	k = HKDF-SHA-512(ikm = Argon2id(passphrase, salt) ‖ VOPRF(account_id ‖ passphrase),
//	                 salt = empty, info = "blindvault.v1 backup" ‖ account_id ‖ oprf_pk, 64 bytes)
//	slot key = k[0:32], auth key = Ed25519 key of seed k[32:64]
//
// p must have been checked against the floor and the ceiling already, and
// the passphrase's length too: this runs Argon2id and calls the server.
func passphraseKeys(ctx context.Context, srv OPRFServer, account [32]byte, passphrase []byte, p keyfile.Params) (slotKey []byte, auth ed25519.PrivateKey, err error) {
	pk, pkEnc, err := oprfPublicKey(ctx, srv)
	if err != nil {
		return nil, nil, err
	}
	input := make([]byte, 0, len(account)+len(passphrase))
	input = append(append(input, account[:]...), passphrase...)
	voprf, err := oprfEvaluate(ctx, srv, pk, input)
	if err != nil {
		return nil, nil, err
	}
	a, err := argon2id(passphrase, salt(account), p)
	if err != nil {
		return nil, nil, fmt.Errorf("backup: argon2id: %w", err)
	}
	info := make([]byte, 0, len(backupLabel)+len(account)+len(pkEnc))
	info = append(append(append(info, backupLabel...), account[:]...), pkEnc...)
	k, err := hkdf.Key(sha512.New, append(a, voprf...), nil, string(info), 2*keySize)
	if err != nil {
		return nil, nil, fmt.Errorf("backup: hkdf: %w", err)
	}
	return k[:keySize], ed25519.NewKeyFromSeed(k[keySize:]), nil
}

// recoveryKey derives the recovery slot key:
//
//	HKDF-SHA-512(ikm = code (16 bytes), salt = empty, info = "blindvault.v1 recovery" ‖ account_id, 32 bytes)
func recoveryKey(account [32]byte, code []byte) []byte {
	k, err := hkdf.Key(sha512.New, code, nil, recoveryLabel+string(account[:]), keySize)
	if err != nil {
		panic(err) // 32 bytes of SHA-512 HKDF cannot fail
	}
	return k
}

// recoveryAuth derives the Ed25519 key with which a recovery code asks the
// server to release the blob:
//
//	seed = HKDF-SHA-512(ikm = code (16 bytes), salt = empty, info = "blindvault.v1 recovery-auth" ‖ account_id, 32 bytes)
func recoveryAuth(account [32]byte, code []byte) ed25519.PrivateKey {
	seed, err := hkdf.Key(sha512.New, code, nil, recoveryAuthLabel+string(account[:]), ed25519.SeedSize)
	if err != nil {
		panic(err) // 32 bytes of SHA-512 HKDF cannot fail
	}
	return ed25519.NewKeyFromSeed(seed)
}

// checkInputs runs the checks that come before any derivation: parameters
// within the floor and ceiling, then the passphrase's length.
func checkInputs(passphrase []byte, p keyfile.Params) error {
	if err := p.Check(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if len(passphrase) > keyfile.MaxPassphrase {
		return fmt.Errorf("backup: %w", keyfile.ErrLongPassphrase)
	}
	return nil
}
