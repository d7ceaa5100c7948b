package server

import (
	"crypto/rand"
	"sync"
	"time"

	"github.com/blindvault/blindvault/internal/backupwire"
	"github.com/blindvault/blindvault/server/store"
)

// An account's OPRF set-up (Account.OPRFSetup) and the release message its
// backup auth keys sign are parsed and built by internal/backupwire, the one
// source of that wire format shared with the client.

// Backup release challenges are single-use nonces kept in memory for
// backupNonceTTL: a restart forgets them, and a client asks again.
const (
	backupNonceSize           = backupwire.NonceSize
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
