package bolt

import (
	"context"
	"errors"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"github.com/blindvault/blindvault/server/store"
)

// Check runs bbolt's page-level consistency check and then checks that every
// stored value decodes, every index agrees with what it indexes, every body is
// complete and no body piece is orphaned. Writes wait while it runs: bbolt's
// check reads the freelist, which a concurrent writer would change.
func (s *Store) Check(ctx context.Context) error {
	err := s.c.exclusive(ctx, func() error {
		if s.db == nil {
			return store.ErrClosed
		}
		return s.db.View(checkTx)
	})
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	return nil
}

// maxProblems bounds what one check reports.
const maxProblems = 100

type checker struct {
	tx   *bbolt.Tx
	errs []error
}

func (c *checker) fail(format string, args ...any) {
	if len(c.errs) < maxProblems {
		c.errs = append(c.errs, fmt.Errorf(format, args...))
	}
}

// each calls fn for every key of a bucket.
func (c *checker) each(bucket []byte, fn func(k, v []byte)) {
	_ = c.tx.Bucket(bucket).ForEach(func(k, v []byte) error {
		fn(k, v)
		return nil
	})
}

// eachRec calls fn for every entry of one space of the rec bucket, with the
// key as record ‖ rest (the space byte left out). A key too short for a
// space, or of a space that does not exist, is reported once, with the heads.
func (c *checker) eachRec(sp recSpace, fn func(k, v []byte)) {
	c.each(bRec, func(k, v []byte) {
		switch {
		case len(k) <= 32 || !recSpace(k[32]).valid():
			if sp == recHead {
				c.fail("rec key %x: no record space", k)
			}
		case recSpace(k[32]) == sp:
			fn(key(k[:32], k[33:]), v)
		}
	})
}

func checkTx(tx *bbolt.Tx) error {
	c := &checker{tx: tx}
	for err := range tx.Check() {
		c.fail("bbolt: %w", err)
	}
	c.accounts()
	c.sessions()
	bodies := c.records()
	c.bodies(bodies)
	c.sharing()
	c.chains()
	c.log()
	c.each(bInvites, func(k, v []byte) {
		if _, err := decodeInvite(v); err != nil || len(k) != 32 {
			c.fail("invite %x: bad key or %w", k, err)
		}
	})
	return errors.Join(c.errs...)
}

func (c *checker) accounts() {
	c.each(bAccounts, func(k, v []byte) {
		a, err := decodeAccount(v)
		if err != nil || len(k) != 32 {
			c.fail("account %x: bad key or %w", k, err)
			return
		}
		if string(c.tx.Bucket(bHandles).Get([]byte(a.Handle))) != string(k) {
			c.fail("account %x: handle index", k)
		}
		if card := c.tx.Bucket(bCards).Get(key(k, u64(a.CardSeq))); card == nil {
			c.fail("account %x: key card %d missing", k, a.CardSeq)
		}
	})
	c.each(bHandles, func(k, v []byte) {
		if c.tx.Bucket(bAccounts).Get(v) == nil {
			c.fail("handle %q: account missing", k)
		}
	})
	for _, b := range [][]byte{bCards, bDevices, bBackups, bLockouts} {
		c.each(b, func(k, v []byte) {
			if len(k) < 32 || c.tx.Bucket(bAccounts).Get(k[:32]) == nil {
				c.fail("%s %x: account missing", b, k)
			}
		})
	}
	c.each(bCards, func(k, v []byte) {
		if _, err := decodeCard(v); err != nil || len(k) != 40 {
			c.fail("card %x: bad key or %w", k, err)
		}
	})
	c.each(bDevices, func(k, v []byte) {
		if _, err := decodeDevice(v); err != nil || len(k) != 64 {
			c.fail("device %x: bad key or %w", k, err)
		}
	})
	c.each(bLockouts, func(k, v []byte) {
		if _, err := decodeLockout(v); err != nil {
			c.fail("lockout %x: %w", k, err)
		}
	})
}

func (c *checker) sessions() {
	c.each(bSessions, func(k, v []byte) {
		x, err := decodeSession(v)
		if err != nil || len(k) != 32 {
			c.fail("session: bad key or %w", err)
			return
		}
		if c.tx.Bucket(bDevSess).Get(key(x.Account[:], x.Device[:], k)) == nil {
			c.fail("session of %s: device index missing", x.Account)
		}
	})
	c.each(bDevSess, func(k, v []byte) {
		if len(k) != 96 || c.tx.Bucket(bSessions).Get(k[64:]) == nil {
			c.fail("device session index %x: session missing", k[:min(len(k), 64)])
		}
	})
}

// records checks heads, versions and the owner index, and returns the body
// ids that live versions use, with their expected sizes.
func (c *checker) records() map[bodyID]versionRec {
	bodies := map[bodyID]versionRec{}
	c.eachRec(recHead, func(k, v []byte) {
		h, err := decodeHead(v)
		if err != nil || len(k) != 32 {
			c.fail("record %x: bad key or %w", k, err)
			return
		}
		if c.tx.Bucket(bOwned).Get(key(h.Owner[:], k)) == nil {
			c.fail("record %x: owner index missing", k)
		}
		last := c.tx.Bucket(bRec).Get(recVersions.key(store.RecordID(k), u64(h.Version)))
		switch {
		case h.IsDeleted() && last != nil:
			c.fail("record %x: deleted but version %d remains", k, h.Version)
		case !h.IsDeleted() && last == nil:
			c.fail("record %x: head version %d missing", k, h.Version)
		case last != nil:
			if r, err := decodeVersion(last); err == nil && r.HeaderHash != h.HeaderHash {
				c.fail("record %x: head hash is not version %d's", k, h.Version)
			}
		}
	})
	c.each(bOwned, func(k, v []byte) {
		if len(k) != 64 {
			c.fail("owner index %x: bad key", k)
			return
		}
		raw := c.tx.Bucket(bRec).Get(recHead.key(store.RecordID(k[32:])))
		if raw == nil {
			c.fail("owner index %x: record missing", k)
			return
		}
		if h, err := decodeHead(raw); err == nil && string(h.Owner[:]) != string(k[:32]) {
			c.fail("owner index %x: another owner", k)
		}
	})
	c.eachRec(recVersions, func(k, v []byte) {
		r, err := decodeVersion(v)
		if err != nil || len(k) != 40 {
			c.fail("version %x: bad key or %w", k, err)
			return
		}
		if raw := c.tx.Bucket(bRec).Get(recHead.key(store.RecordID(k[:32]))); raw == nil {
			c.fail("version %x: record missing", k)
		}
		if _, dup := bodies[r.Body]; dup {
			c.fail("version %x: body shared with another version", k)
		}
		bodies[r.Body] = r
	})
	return bodies
}

// bodies checks that every linked body has all its pieces at the right sizes,
// and that every piece belongs to a linked or staged body.
func (c *checker) bodies(linked map[bodyID]versionRec) {
	seen := map[bodyID]int64{}
	c.each(bBodies, func(k, v []byte) {
		if len(k) != 20 {
			c.fail("body piece %x: bad key", k)
			return
		}
		id := bodyID(k[:16])
		idx := int64(k[16])<<24 | int64(k[17])<<16 | int64(k[18])<<8 | int64(k[19])
		r, ok := linked[id]
		if !ok {
			if c.tx.Bucket(bStaging).Get(id[:]) == nil {
				c.fail("body %x: piece %d belongs to nothing", id, idx)
			}
			return
		}
		ps := int64(r.PieceSize)
		if want := min(ps, r.BodySize-idx*ps); int64(len(v)) != want || idx != seen[id] {
			c.fail("body %x: piece %d is %d bytes or out of order", id, idx, len(v))
		}
		seen[id] = idx + 1
	})
	for id, r := range linked {
		pieces := (r.BodySize + int64(r.PieceSize) - 1) / int64(r.PieceSize)
		if seen[id] != pieces {
			c.fail("body %x: %d of %d pieces", id, seen[id], pieces)
		}
	}
	c.each(bStaging, func(k, v []byte) {
		if _, err := decodeStaging(v); err != nil || len(k) != 16 {
			c.fail("staging %x: bad key or %w", k, err)
		}
	})
}

// sharing checks ACLs and grants against their records, and that the
// "shared with" index is exactly what the grants imply.
func (c *checker) sharing() {
	want := map[string]bool{}
	c.eachRec(recACLs, func(k, v []byte) {
		if _, err := decodeACL(v); err != nil || len(k) != 40 {
			c.fail("acl %x: bad key or %w", k, err)
			return
		}
		if h, err := getHead(c.tx, store.RecordID(k[:32])); err != nil || h.IsDeleted() || seqOf(k) > h.ACLSeq {
			c.fail("acl %x: record missing or acl beyond head", k)
		}
	})
	c.eachRec(recGrants, func(k, v []byte) {
		g, err := decodeGrant(v)
		if err != nil || len(k) != 68 {
			c.fail("grant %x: bad key or %w", k, err)
			return
		}
		h, err := getHead(c.tx, store.RecordID(k[:32]))
		if err != nil || h.IsDeleted() {
			c.fail("grant %x: record missing", k)
			return
		}
		if g.Revoked.IsZero() && g.Account != h.Owner {
			want[string(key(g.Account[:], k[:32]))] = true
		}
	})
	c.each(bShared, func(k, v []byte) {
		if !want[string(k)] {
			c.fail("shared index %x: no grant in force", k)
		}
		delete(want, string(k))
	})
	for k := range want {
		c.fail("shared index %x: missing", k)
	}
}

func (c *checker) chains() {
	var acct []byte
	var next uint64
	c.each(bChains, func(k, v []byte) {
		if len(k) != 40 {
			c.fail("chain %x: bad key", k)
			return
		}
		if string(k[:32]) != string(acct) {
			acct, next = append([]byte(nil), k[:32]...), 1
			if c.tx.Bucket(bAccounts).Get(acct) == nil {
				c.fail("chain %x: account missing", acct)
			}
		}
		if seqOf(k) != next {
			c.fail("chain %x: seq %d, want %d", acct, seqOf(k), next)
		}
		next = seqOf(k) + 1
	})
}
