package sdk

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/blindvault/blindvault/internal/auditlog"
)

// floor is the least a server may show of a record without being caught: the
// newest version and ACL that its owner's chain records or that this device
// has read, and the hashes the chain gives for them.
type floor struct {
	version, hashedVersion uint64
	headerHash             string
	aclSeq, hashedACL      uint64
	aclHash                string
	deleted                bool
}

// chainOf syncs an account chain once per operation.
func (c *Client) chainOf(ctx context.Context, account [32]byte) (*chainState, error) {
	if st, ok := c.fresh[account]; ok {
		return st, nil
	}
	st, err := c.syncChain(ctx, account)
	if err != nil {
		return nil, err
	}
	if c.fresh == nil {
		c.fresh = map[[32]byte]*chainState{}
	}
	c.fresh[account] = st
	return st, nil
}

// begin starts a public operation: chains are synced again at most once in
// it. The func it returns ends the operation and puts *err in the SDK's error
// model: every failed check there is on the server's answers.
func (c *Client) begin(err *error) func() {
	c.mu.Lock()
	c.fresh, c.logSynced, c.groupKeys = nil, false, nil
	c.inOperation = true
	return func() {
		// What the operation verified is saved even when it failed later:
		// it is this device's floor from now on.
		c.inOperation = false
		if serr := c.flushProfile(context.Background()); serr != nil && *err == nil {
			*err = serr
		}
		*err = checked(*err, true)
		c.mu.Unlock()
	}
}

func (c *Client) floor(ctx context.Context, id, owner [32]byte) (*floor, error) {
	st, err := c.chainOf(ctx, owner)
	if err != nil {
		return nil, err
	}
	key := hex.EncodeToString(id[:])
	f := &floor{}
	if r := st.Records[key]; r != nil {
		f.version, f.hashedVersion, f.headerHash = r.Version, r.Version, r.HeaderHash
		f.aclSeq, f.hashedACL, f.aclHash = r.ACLSeq, r.ACLSeq, r.ACLHash
		f.deleted = r.Deleted
	}
	if s := c.prof.Shared[key]; s != nil {
		f.version, f.aclSeq = max(f.version, s.Version), max(f.aclSeq, s.ACLSeq)
	}
	return f, nil
}

// raiseFloor remembers what this device has read of another owner's record.
func (c *Client) raiseFloor(ctx context.Context, v *version) error {
	if v.owner == c.accountID() {
		return nil // this account's own chain is the floor of its records
	}
	key := hex.EncodeToString(v.id[:])
	s := c.prof.Shared[key]
	if s == nil {
		s = &sharedRecord{Owner: hex.EncodeToString(v.owner[:])}
		c.prof.Shared[key] = s
	}
	via := ""
	if v.via != nil {
		via = hex.EncodeToString(v.via[:])
	}
	if s.Version >= v.header.Version && s.ACLSeq >= v.acl.Seq && s.Via == via {
		return nil
	}
	s.Via = via
	s.Version, s.ACLSeq = max(s.Version, v.header.Version), max(s.ACLSeq, v.acl.Seq)
	c.prof.sharedChanged(key)
	return c.saveProfile(ctx)
}

// explainMissing turns a server's "not found" for a record into what it
// means: a record this account owns or has read may only disappear through
// its owner's chain (a tombstone, or a new ACL for a revocation).
func (c *Client) explainMissing(ctx context.Context, id [32]byte, notFound error) error {
	key := hex.EncodeToString(id[:])
	own, err := c.chainOf(ctx, c.accountID())
	if err != nil {
		return err
	}
	if r := own.Records[key]; r != nil && r.Owner == c.prof.Account {
		if r.Deleted {
			return ErrDeleted
		}
		return fmt.Errorf("%w: the server hides record %x, which this account's chain holds", CheckRollback, id[:4])
	}
	s := c.prof.Shared[key]
	if s == nil {
		return fmt.Errorf("record %x: %w", id[:4], ErrNotFound)
	}
	owner, err := ParseRecordID(s.Owner)
	if err != nil {
		return err
	}
	st, err := c.chainOf(ctx, owner)
	if isCode(err, "account_deleted") {
		return c.ownerDeleted(ctx, id, owner)
	}
	if err != nil {
		return err
	}
	if s.Via != "" {
		return c.explainMissingVia(ctx, id, s, st.Records[key])
	}
	switch r := st.Records[key]; {
	case r != nil && r.Deleted:
		return ErrDeleted
	case r != nil && r.ACLSeq > s.ACLSeq:
		// The owner changed the ACL; the log says whether that change
		// revoked this account (a new ACL alone could be any share).
		revoked, err := c.revokedInLog(ctx, id)
		if err != nil {
			return err
		}
		if revoked {
			return fmt.Errorf("record %x: %w", id[:4], ErrRevoked)
		}
		return fmt.Errorf("%w: record %x: the owner's ACL changed, but the log shows no revocation of this account", CheckRollback, id[:4])
	}
	return fmt.Errorf("%w: record %x was shared with this account and its owner's chain shows no change since", CheckRollback, id[:4])
}

// revokedInLog reports whether the log shows this account's grants on record
// id revoked, naming it with the record's salt, which it kept from reading it.
func (c *Client) revokedInLog(ctx context.Context, id [32]byte) (bool, error) {
	salt, ok := c.prof.Salts[hex.EncodeToString(id[:])]
	if !ok {
		return false, fmt.Errorf("%w: record %x: no log salt kept to check a revocation", CheckRollback, id[:4])
	}
	me := auditlog.ActorHash(salt, c.accountID())
	revoked := false
	err := c.scanLog(ctx, func(_ int64, e *auditlog.Entry) {
		revoked = revoked || (e.Type == auditlog.GrantRevoked && e.Subject == id && e.Peer == me)
	})
	return revoked, err
}

// explainMissingVia explains a record this account read through a team that
// the server no longer serves: the team dropped this account (the team's own
// record is revoked or gone), or the owner changed the record's ACL since,
// which for a team this client cannot tell from another change; anything else
// is the server hiding it.
func (c *Client) explainMissingVia(ctx context.Context, id [32]byte, s *sharedRecord, r *chainRecord) error {
	switch {
	case r != nil && r.Deleted:
		return ErrDeleted
	case r != nil && r.ACLSeq > s.ACLSeq:
		return fmt.Errorf("record %x: %w", id[:4], ErrRevoked)
	}
	group := mustID(s.Via)
	v, err := c.fetch(ctx, group, 0)
	if err != nil {
		if errors.Is(err, ErrRevoked) || errors.Is(err, ErrDeleted) {
			return fmt.Errorf("record %x: %w", id[:4], ErrRevoked)
		}
		return err
	}
	v.close()
	return fmt.Errorf("%w: record %x was shared with a team of this account and its owner's chain shows no change since", CheckRollback, id[:4])
}
