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
	backupMaxNoncesPerAddress = 32      // outstanding at once, from one address
	// backupMaxNoncesPerPair bounds the challenges one address holds for one
	// account. There is no bound per account: anyone could fill it and stop
	// the owner's release.
	backupMaxNoncesPerPair = 4
)

type backupNonce struct {
	account store.AccountID
	addr    string
	expires time.Time
}

// backupNonces holds outstanding challenges, bounded in all, per address and
// per (account, address).
type backupNonces struct {
	mu      sync.Mutex
	byNonce map[[backupNonceSize]byte]backupNonce
	byPair  map[guessKey]int
	byAddr  map[string]int
	swept   time.Time
}

func newBackupNonces() *backupNonces {
	return &backupNonces{
		byNonce: map[[backupNonceSize]byte]backupNonce{},
		byPair:  map[guessKey]int{},
		byAddr:  map[string]int{},
	}
}

// issue returns a fresh nonce for the account, asked for from addr, and its
// expiry, or false when too many are outstanding.
func (n *backupNonces) issue(id store.AccountID, addr string, now time.Time) ([]byte, time.Time, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	pair := guessKey{id, addr}
	full := func() bool {
		return len(n.byNonce) >= backupMaxNonces || n.byAddr[addr] >= backupMaxNoncesPerAddress || n.byPair[pair] >= backupMaxNoncesPerPair
	}
	// Expired nonces are swept every quarter TTL, and whenever the whole map
	// is full; a sweep per refused request would let one address make every
	// request walk the map.
	if len(n.byNonce) >= backupMaxNonces || now.Sub(n.swept) > backupNonceTTL/4 {
		n.sweep(now)
	}
	if full() {
		return nil, time.Time{}, false
	}
	var k [backupNonceSize]byte
	rand.Read(k[:])
	exp := now.Add(backupNonceTTL)
	n.byNonce[k] = backupNonce{account: id, addr: addr, expires: exp}
	n.byPair[pair]++
	n.byAddr[addr]++
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
	pair := guessKey{e.account, e.addr}
	if n.byPair[pair]--; n.byPair[pair] <= 0 {
		delete(n.byPair, pair)
	}
	if n.byAddr[e.addr]--; n.byAddr[e.addr] <= 0 {
		delete(n.byAddr, e.addr)
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
