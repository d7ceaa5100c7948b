package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"sync"
	"time"

	"github.com/blindvault/blindvault/server/store"
)

// Session challenges are stateless until they are used. A nonce is
//
//	u64 issued (Unix milliseconds) ‖ [8] random
//	‖ [16] HMAC-SHA256(key, "blindvault.v1 challenge" ‖ 0x00 ‖ account ‖ device ‖ first 16 bytes)
//
// under a key drawn at random when the server starts. Issuing one stores
// nothing, so a flood of anonymous challenge requests costs no memory and
// cannot push out anyone else's nonce; the MAC proves, when the nonce comes
// back, that this process issued it for that account and device, and when.
// A nonce is remembered only once it is redeemed by a valid device signature,
// until it would have expired anyway, which is what makes it single-use.
// A restart forgets the used nonces, but it also draws a new key, so every
// nonce issued before it stops verifying.

// challengeTTL is how long a nonce may be redeemed after it is issued.
const challengeTTL = 60 * time.Second

// maxUsedNonces bounds the used-nonce memory. Only nonces redeemed by a valid
// signature of a known device land in it, each for at most challengeTTL.
const maxUsedNonces = 1 << 16

const challengeLabel = "blindvault.v1 challenge\x00"

var (
	errNonceInvalid = errors.New("nonce not issued by this server for this account and device, or expired")
	errNonceUsed    = errors.New("nonce already used")
	errNoncesFull   = errors.New("too many logins in flight")
)

// challenges issues and redeems session nonces.
type challenges struct {
	key [32]byte

	mu    sync.Mutex
	used  map[[32]byte]time.Time // nonce → when it expires
	swept time.Time
}

func newChallenges() *challenges {
	c := &challenges{used: make(map[[32]byte]time.Time)}
	rand.Read(c.key[:])
	return c
}

// issue returns a fresh nonce for the account and device and when it expires.
func (c *challenges) issue(acct store.AccountID, dev store.DeviceID, now time.Time) (nonce [32]byte, expires time.Time) {
	binary.BigEndian.PutUint64(nonce[:8], uint64(now.UnixMilli()))
	rand.Read(nonce[8:16])
	copy(nonce[16:], c.mac(acct, dev, nonce[:16]))
	return nonce, time.UnixMilli(now.UnixMilli()).Add(challengeTTL)
}

func (c *challenges) mac(acct store.AccountID, dev store.DeviceID, head []byte) []byte {
	m := hmac.New(sha256.New, c.key[:])
	m.Write([]byte(challengeLabel))
	m.Write(acct[:])
	m.Write(dev[:])
	m.Write(head)
	return m.Sum(nil)[:16]
}

// check reports whether nonce was issued by c for the account and device and
// has not expired at now. It does not say whether it was used: see redeem.
func (c *challenges) check(nonce [32]byte, acct store.AccountID, dev store.DeviceID, now time.Time) error {
	if !hmac.Equal(nonce[16:], c.mac(acct, dev, nonce[:16])) {
		return errNonceInvalid
	}
	issued := time.UnixMilli(int64(binary.BigEndian.Uint64(nonce[:8])))
	// A nonce from the future means the clock went back; it is honoured for
	// no longer than it would have been.
	if !now.Before(issued.Add(challengeTTL)) || issued.After(now.Add(challengeTTL)) {
		return errNonceInvalid
	}
	return nil
}

// redeem marks a checked nonce used, once: a second call for the same nonce
// fails with errNonceUsed.
func (c *challenges) redeem(nonce [32]byte, now time.Time) error {
	issued := time.UnixMilli(int64(binary.BigEndian.Uint64(nonce[:8])))
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.used) >= maxUsedNonces || now.Sub(c.swept) > challengeTTL {
		for n, exp := range c.used {
			if !now.Before(exp) {
				delete(c.used, n)
			}
		}
		c.swept = now
	}
	if _, ok := c.used[nonce]; ok {
		return errNonceUsed
	}
	if len(c.used) >= maxUsedNonces {
		return errNoncesFull
	}
	c.used[nonce] = issued.Add(challengeTTL)
	return nil
}
