package server

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/server/store"
)

// oprfSetupV1 is the version byte of an account's OPRF set-up, the
// Account.OPRFSetup a client registers:
//
//	0x01 ‖ passphrase auth public key (32) ‖ recovery auth public key (32)
//
// Both are Ed25519 keys the client derives (docs/spec/backup-v1.md): one from the
// passphrase-derived backup key k (BRIEF §3.7), one from the recovery code, so
// that a user who lost the passphrase can still have the blob released. Only
// their holders can sign a backup release. The server never publishes them: with
// the passphrase key, one OPRF evaluation per guess would let anyone check
// passphrase guesses offline.
const oprfSetupV1 = 0x01

// oprfSetupSize is the size of a version-1 OPRF set-up.
const oprfSetupSize = 1 + 2*ed25519.PublicKeySize

var errBadOPRFSetup = errors.New("oprf setup is not 0x01 followed by two 32-byte Ed25519 keys")

// oprfSetupKeys returns the release keys of a version-1 OPRF set-up: the
// passphrase auth key and the recovery auth key. Registration checks a set-up
// with it before storing one. Each key must pass format.CheckEd25519PublicKey:
// under a key of small order, a forged signature would verify for every
// release challenge, and the server would hand the blob to anyone.
func oprfSetupKeys(setup []byte) ([2]ed25519.PublicKey, error) {
	if len(setup) != oprfSetupSize || setup[0] != oprfSetupV1 {
		return [2]ed25519.PublicKey{}, errBadOPRFSetup
	}
	keys := [2]ed25519.PublicKey{setup[1:33], setup[33:65]}
	for i, name := range []string{"passphrase", "recovery"} {
		if err := format.CheckEd25519PublicKey(keys[i]); err != nil {
			return [2]ed25519.PublicKey{}, fmt.Errorf("%w: %s auth key: %w", errBadOPRFSetup, name, err)
		}
	}
	return keys, nil
}

// backupReleasePrefix starts the message a backup auth key signs to have the
// backup released:
//
//	"blindvault.v1 auth" ‖ 0x00 ‖ "backup-release" ‖ account_id (32) ‖ nonce (32)
//
// It is 97 bytes long. It cannot be confused with a device's session
// signature: that one is also under purpose "auth", but its body starts with
// the format version byte 0x01, not with "backup-release".
const backupReleasePrefix = "blindvault.v1 auth\x00backup-release"

// backupReleaseMessage returns the signed message of a backup release.
func backupReleaseMessage(id store.AccountID, nonce []byte) []byte {
	m := make([]byte, 0, len(backupReleasePrefix)+len(id)+len(nonce))
	m = append(m, backupReleasePrefix...)
	m = append(m, id[:]...)
	return append(m, nonce...)
}

// Backup release challenges are single-use nonces kept in memory for
// backupNonceTTL: a restart forgets them, and a client asks again.
const (
	backupNonceSize           = 32
	backupNonceTTL            = 60 * time.Second
	backupMaxNonces           = 100_000 // in all
	backupMaxNoncesPerAccount = 8       // outstanding at once
)

type backupNonce struct {
	account store.AccountID
	expires time.Time
}

// backupNonces holds outstanding challenges, bounded in all and per account.
type backupNonces struct {
	mu        sync.Mutex
	byNonce   map[[backupNonceSize]byte]backupNonce
	byAccount map[store.AccountID]int
	swept     time.Time
}

func newBackupNonces() *backupNonces {
	return &backupNonces{
		byNonce:   map[[backupNonceSize]byte]backupNonce{},
		byAccount: map[store.AccountID]int{},
	}
}

// issue returns a fresh nonce for the account and its expiry, or false when
// too many are outstanding.
func (n *backupNonces) issue(id store.AccountID, now time.Time) ([]byte, time.Time, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.byNonce) >= backupMaxNonces || now.Sub(n.swept) > backupNonceTTL || n.byAccount[id] >= backupMaxNoncesPerAccount {
		n.sweep(now)
	}
	if len(n.byNonce) >= backupMaxNonces || n.byAccount[id] >= backupMaxNoncesPerAccount {
		return nil, time.Time{}, false
	}
	var k [backupNonceSize]byte
	rand.Read(k[:])
	exp := now.Add(backupNonceTTL)
	n.byNonce[k] = backupNonce{account: id, expires: exp}
	n.byAccount[id]++
	return k[:], exp, true
}

// take consumes a nonce: it is valid only once, for the account it was
// issued to, before it expires. A nonce named for the wrong account is
// consumed too.
func (n *backupNonces) take(id store.AccountID, nonce []byte, now time.Time) bool {
	if len(nonce) != backupNonceSize {
		return false
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	k := [backupNonceSize]byte(nonce)
	e, ok := n.byNonce[k]
	if !ok {
		return false
	}
	n.remove(k, e)
	return e.account == id && now.Before(e.expires)
}

func (n *backupNonces) remove(k [backupNonceSize]byte, e backupNonce) {
	delete(n.byNonce, k)
	if n.byAccount[e.account]--; n.byAccount[e.account] <= 0 {
		delete(n.byAccount, e.account)
	}
}

func (n *backupNonces) sweep(now time.Time) {
	for k, e := range n.byNonce {
		if !now.Before(e.expires) {
			n.remove(k, e)
		}
	}
	n.swept = now
}
