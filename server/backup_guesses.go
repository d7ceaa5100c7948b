package server

import (
	"sync"
	"time"

	"github.com/blindvault/blindvault/server/store"
)

// Backup guesses per address. Besides the account's own lockout (kept in the
// store, backup_lockout.go), every OPRF evaluation and failed release is
// counted per (account, client address) in memory, with the same schedule
// from a lower threshold: one address is locked out of an account after
// backupAddrFreeFailures failures, long before the account as a whole is.
// An attacker at one address therefore stops only their own attempts; the
// owner at another address keeps logging in until the attacker has spent the
// account's larger budget from several addresses (docs/backup-protocol.md).
//
// Ids that are not registered are counted here too (there is no stored
// lockout to count them in), so guesses made before a registration are
// bounded like any others.
const (
	backupAddrFreeFailures = 5
	// backupAddrForget is how long an address's count is kept after its last
	// failure or the end of its lock, whichever is later.
	backupAddrForget = 24 * time.Hour
	// backupAddrMax bounds the entries kept. When it is reached, new
	// (account, address) pairs are not counted per address; the account's
	// stored lockout still bounds every guess.
	backupAddrMax = 100_000
)

type guessKey struct {
	account store.AccountID
	addr    string
}

type guessCount struct {
	failures uint32
	until    time.Time // locked before this
	last     time.Time // last failure
}

// backupGuesses counts backup failures per account and address.
type backupGuesses struct {
	mu    sync.Mutex
	m     map[guessKey]*guessCount
	swept time.Time
}

func newBackupGuesses() *backupGuesses {
	return &backupGuesses{m: map[guessKey]*guessCount{}}
}

// locked reports whether the address is locked out of the account at now,
// and until when.
func (g *backupGuesses) locked(k guessKey, now time.Time) (time.Time, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	c, ok := g.m[k]
	if !ok || !now.Before(c.until) {
		return time.Time{}, false
	}
	return c.until, true
}

// fail counts one failure of the address on the account at now.
func (g *backupGuesses) fail(k guessKey, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	c, ok := g.m[k]
	if !ok {
		if len(g.m) >= backupAddrMax || now.Sub(g.swept) > time.Hour {
			g.sweep(now)
		}
		if len(g.m) >= backupAddrMax {
			return
		}
		c = &guessCount{}
		g.m[k] = c
	}
	if c.failures < ^uint32(0) {
		c.failures++
	}
	c.last = now
	if d := backupLockFor(c.failures, backupAddrFreeFailures); d > 0 {
		c.until = now.Add(d)
	}
}

// take forgets the address's count on the account and returns it: the
// failures a successful release shows to have been the owner's own.
func (g *backupGuesses) take(k guessKey) uint32 {
	g.mu.Lock()
	defer g.mu.Unlock()
	c, ok := g.m[k]
	if !ok {
		return 0
	}
	delete(g.m, k)
	return c.failures
}

// forgetAccount drops every address's count on the account: the owner proved
// the recovery code.
func (g *backupGuesses) forgetAccount(id store.AccountID) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for k := range g.m {
		if k.account == id {
			delete(g.m, k)
		}
	}
}

func (g *backupGuesses) sweep(now time.Time) {
	for k, c := range g.m {
		if now.Sub(c.last) > backupAddrForget && now.Sub(c.until) > backupAddrForget {
			delete(g.m, k)
		}
	}
	g.swept = now
}
