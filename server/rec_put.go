package server

import (
	"context"
	"errors"
	"net/http"

	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/server/store"
)

// verifyVersion checks everything about a versioned PUT that can be checked
// before its body is read, and returns the write for the store and the parsed
// header. The store then does the compare-and-swap on the head.
//
// In order: the header parses and names the URL's record and version; its
// author is the caller (or, after version 1, the caller owns the record and
// uploads a version its author wrote); the record does not exist yet (version 1, created by
// its owner with an ACL of seq 1 signed by the owner) or the caller may write
// it (the owner, or an account whose key holds write in the current ACL); the
// header signs the ACL in force and its epoch; the signer is the author's
// identity key or a certified, unrevoked device of it, and the signature
// verifies; the leaf list is the header's; and every grant is valid for the
// record, and for version 1 the epoch key reaches every reader of the ACL.
func (s *Server) verifyVersion(ctx context.Context, c *Caller, id store.RecordID, version uint64, f *versionFrame) (store.VersionWrite, *format.Header, error) {
	var none store.VersionWrite
	h, err := format.ParseHeader(f.Header)
	if err != nil {
		return none, nil, errorf(http.StatusBadRequest, "bad_header", "the header does not parse: %v", err)
	}
	switch {
	case store.RecordID(h.RecordID) != id || h.Version != version:
		return none, nil, errorf(http.StatusBadRequest, "bad_header", "the header is for another record or version than the URL")
	case h.CiphertextLen > uint64(s.cfg.MaxBody):
		return none, nil, errorf(http.StatusRequestEntityTooLarge, "too_large", "body of %d bytes, limit %d", h.CiphertextLen, s.cfg.MaxBody)
	case store.AccountID(h.Author) != c.Account.ID && (version == 1 || store.AccountID(h.Owner) != c.Account.ID):
		// Only a record's owner uploads a version another account wrote: a
		// delegate's version, carried to another server (client-v1 §9).
		return none, nil, errorf(http.StatusForbidden, "not_author", "the header's author is not the caller")
	}
	cs := newCards(s.store)
	if err := cs.add(c.Account); err != nil {
		return none, nil, err
	}
	author, err := cs.get(ctx, store.AccountID(h.Author))
	if err != nil {
		return none, nil, err
	}
	now := s.now()

	var acl *format.ACL
	var newACL *store.ACL
	if version == 1 {
		if acl, err = s.checkCreate(ctx, c, h, f.ACL, author); err != nil {
			return none, nil, err
		}
		newACL = &store.ACL{Seq: 1, Hash: acl.Hash(), Signed: f.ACL, Created: now}
	} else if acl, err = s.checkUpdate(ctx, c, h, f.ACL, author); err != nil {
		return none, nil, err
	}
	if err := checkHeaderSigner(h, author); err != nil {
		return none, nil, err
	}
	if err := checkLeaves(h, f.Leaves); err != nil {
		return none, nil, err
	}
	gc := &grantCheck{record: id, owner: store.AccountID(h.Owner), acl: acl, shareACL: acl, cards: cs, now: now}
	grants, err := gc.verify(ctx, f.Grants)
	if err != nil {
		return none, nil, err
	}
	if version == 1 {
		if err := checkCoverage(acl, grants, nil, nil); err != nil {
			return none, nil, err
		}
	}
	w := store.VersionWrite{
		Record: id, Owner: store.AccountID(h.Owner), Author: store.AccountID(h.Author),
		Version: version, PrevHash: store.Hash(h.PrevHeaderHash), HeaderHash: store.Hash(h.Hash()),
		Header: f.Header, Leaves: f.Leaves, BodySize: int64(h.CiphertextLen), Created: now,
		Sharing: store.Sharing{ACL: newACL, Grants: grants},
	}
	if f.Chain != nil {
		w.Chain = []store.ChainEntry{{Account: c.Account.ID, Seq: f.Chain.Seq, Entry: f.Chain.Entry}}
	}
	return w, h, nil
}

// checkCreate checks version 1: the caller is its owner, and the frame
// carries its first ACL, which the header signs. Whether the record is new
// is the store's compare-and-swap; createConflict answers when it is not.
func (s *Server) checkCreate(ctx context.Context, c *Caller, h *format.Header, rawACL []byte, owner *format.KeyCard) (*format.ACL, error) {
	if store.AccountID(h.Owner) != c.Account.ID {
		return nil, errorf(http.StatusForbidden, "not_owner", "only its owner creates a record")
	}
	if len(rawACL) == 0 {
		return nil, errorf(http.StatusBadRequest, "bad_acl", "version 1 carries the record's first ACL")
	}
	acl, err := format.ParseACL(rawACL)
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "bad_acl", "the ACL does not parse: %v", err)
	}
	if acl.RecordID != h.RecordID || acl.Seq != 1 {
		return nil, errorf(http.StatusBadRequest, "bad_acl", "version 1 needs the record's ACL of seq 1")
	}
	if err := checkOwnerEntry(acl, owner); err != nil {
		return nil, err
	}
	if h.ACLHash != acl.Hash() || h.Epoch != acl.Epoch {
		return nil, errorf(http.StatusBadRequest, "bad_header", "the header does not sign the ACL and epoch sent with it")
	}
	return acl, nil
}

// checkUpdate checks a version after the first: the caller may write the
// record, and the header follows the head and signs the current ACL.
func (s *Server) checkUpdate(ctx context.Context, c *Caller, h *format.Header, rawACL []byte, author *format.KeyCard) (*format.ACL, error) {
	id := store.RecordID(h.RecordID)
	head, r, err := s.liveAccess(ctx, c, id)
	if err != nil {
		return nil, err
	}
	cur, err := s.store.ACL(ctx, id, 0)
	if err != nil {
		return nil, err
	}
	acl, err := storedACL(cur)
	if err != nil {
		return nil, err
	}
	if r != roleOwner || author.AccountID != [32]byte(c.Account.ID) {
		if rights, ok := acl.Lookup(format.KeyID(author.XWingPK)); !ok || !rights.Has(format.RightWrite) {
			return nil, errorf(http.StatusForbidden, "no_write_right", "the caller does not hold write on this record")
		}
	}
	switch {
	case len(rawACL) != 0:
		return nil, errorf(http.StatusBadRequest, "bad_acl", "only version 1 carries an ACL; change sharing with PUT /v1/records/{id}/acl")
	case store.AccountID(h.Owner) != head.Owner:
		return nil, errorf(http.StatusBadRequest, "bad_header", "the header names another owner")
	case store.Hash(h.PrevHeaderHash) != head.HeaderHash || h.Version != head.Version+1:
		return nil, errorf(http.StatusPreconditionFailed, "conflict", "the header does not follow the head; fetch it and retry")
	case h.ACLHash != acl.Hash() || h.Epoch != acl.Epoch:
		return nil, errorf(http.StatusPreconditionFailed, "conflict", "the header does not sign the current ACL; fetch it and retry")
	}
	return acl, nil
}

// createConflict answers a create that the store refused because the record
// exists: 412 for those who may read it, and for others what any request
// about a record they cannot read gets (recordAccess), so that a create
// tells no one else that an id is taken. The head is read only then, not
// before every create: that read was a statement per create on PostgreSQL.
// A conflict with no record behind it (a chain entry out of sequence) is
// err's own.
func (s *Server) createConflict(ctx context.Context, c *Caller, id store.RecordID, conflict error) error {
	if _, err := s.store.Head(ctx, id); errors.Is(err, store.ErrNotFound) {
		return conflict
	} else if err != nil {
		return err
	}
	if _, _, err := s.recordAccess(ctx, c, id); err != nil {
		return err
	}
	return errorf(http.StatusPreconditionFailed, "conflict", "the record exists; fetch the head and retry")
}
