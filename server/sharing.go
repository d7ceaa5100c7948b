package server

import (
	"context"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/server/store"
)

// sharingRoutes registers ACL updates, ACL history and "shared with me".
func (s *Server) sharingRoutes(r *mux.Router) {
	r.HandleFunc("/records/{id}/acl", s.authed(s.putACL)).Methods(http.MethodPut)
	r.HandleFunc("/records/{id}/acl", s.authed(s.getACL)).Methods(http.MethodGet)
	r.HandleFunc("/shared", s.authed(s.listShared)).Methods(http.MethodGet) // ?via=GROUP: shared with a group
}

// chainItemOf checks the bounds of an account-chain entry of the caller and
// the seq it takes, and returns it as a chain item.
func chainItemOf(cj *api.ChainItem) (*chainItem, error) {
	if cj.Seq == 0 || len(cj.Entry) == 0 || len(cj.Entry) > maxChainEntry {
		return nil, errorf(http.StatusBadRequest, "bad_chain_entry", "a chain entry has a seq ≥ 1 and 1 to %d bytes", maxChainEntry)
	}
	return &chainItem{Seq: cj.Seq, Entry: cj.Entry}, nil
}

// sharingUpdate is a decoded api.Sharing, ids parsed, nothing verified.
type sharingUpdate struct {
	ACL    []byte
	Grants []frameGrant
	Revoke []store.AccountID
	Chain  *chainItem
}

// maxSharingJSON bounds the body of an ACL update: an ACL at its bound and a
// grant for each of its entries, base64 in JSON, with room to spare. A
// revocation re-grants every remaining reader (a team of 50: some 90 KB).
const maxSharingJSON = 4 << 20

// decodeSharingRequest reads and decodes the body of an ACL update.
func decodeSharingRequest(w http.ResponseWriter, r *http.Request) (*sharingUpdate, error) {
	var req api.Sharing
	if err := decodeJSONUpTo(w, r, &req, maxSharingJSON); err != nil {
		return nil, err
	}
	u := &sharingUpdate{ACL: req.ACL}
	if len(req.Grants) > maxGrants {
		return nil, errorf(http.StatusBadRequest, "bad_grant", "more than %d grants", maxGrants)
	}
	for _, g := range req.Grants {
		acct, err := parseID("grant account", g.Account)
		if err != nil {
			return nil, err
		}
		if len(g.Grant) == 0 {
			return nil, errorf(http.StatusBadRequest, "bad_grant", "a grant is empty")
		}
		u.Grants = append(u.Grants, frameGrant{Account: acct, Signed: g.Grant})
	}
	for _, rv := range req.Revoke {
		acct, err := parseID("revoked account", rv.Account)
		if err != nil {
			return nil, err
		}
		u.Revoke = append(u.Revoke, acct)
	}
	if req.Chain != nil {
		item, err := chainItemOf(req.Chain)
		if err != nil {
			return nil, err
		}
		u.Chain = item
	}
	if len(u.ACL) == 0 && len(u.Grants) == 0 && len(u.Revoke) == 0 && u.Chain == nil {
		return nil, errorf(http.StatusBadRequest, "empty_update", "nothing to change")
	}
	return u, nil
}

// putACL changes who may read a record; owner only. A new ACL must be the
// current one's successor (seq + 1, its hash as prev, format-v1 §2.5 epoch
// rules), signed by the owner. Every grant of a key the new ACL no longer
// lists ends with it, whether or not Revoke names the account, so the server
// never serves a reader the owner removed.
func (s *Server) putACL(w http.ResponseWriter, r *http.Request, c *Caller) error {
	id, err := recordVar(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	head, role, err := s.liveAccess(ctx, c, id)
	if err != nil {
		return err
	}
	if role != roleOwner {
		return errorf(http.StatusForbidden, "not_owner", "only the owner changes sharing")
	}
	u, err := decodeSharingRequest(w, r)
	if err != nil {
		return err
	}
	cs := newCards(s.store)
	if err := cs.add(c.Account); err != nil {
		return err
	}
	cur, err := s.store.ACL(ctx, id, 0)
	if err != nil {
		return err
	}
	curACL, err := storedACL(cur)
	if err != nil {
		return err
	}
	now := s.now()
	target, newACL := curACL, (*store.ACL)(nil)
	if len(u.ACL) > 0 {
		owner, _ := cs.get(ctx, c.Account.ID)
		if target, err = checkSuccessorACL(u.ACL, id, curACL, owner); err != nil {
			return err
		}
		newACL = &store.ACL{Seq: target.Seq, Hash: target.Hash(), Signed: u.ACL, Created: now}
	} else if len(u.Revoke) > 0 {
		return errorf(http.StatusBadRequest, "bad_acl", "revoking needs a new ACL without the reader and a new epoch")
	}
	gc := &grantCheck{record: id, owner: head.Owner, acl: target, shareACL: curACL, cards: cs, now: now}
	grants, err := gc.verify(ctx, u.Grants)
	if err != nil {
		return err
	}
	var revoke []store.KeyID
	var revokedAccounts []store.AccountID
	// An ACL that keeps every reader of the current one (a reader added)
	// ends no grant: the record's grants are not read.
	if newACL != nil && (len(u.Revoke) > 0 || !keepsReaders(curACL, target)) {
		if revoke, revokedAccounts, err = s.revocations(ctx, id, target, u.Revoke); err != nil {
			return err
		}
	}
	sw := store.SharingWrite{
		Record: id, Owner: c.Account.ID, Time: now,
		Sharing: store.Sharing{ACL: newACL, Grants: grants, Revoke: revoke},
	}
	if u.Chain != nil {
		sw.Chain = []store.ChainEntry{{Account: c.Account.ID, Seq: u.Chain.Seq, Entry: u.Chain.Entry}}
	}
	entries := append(s.sharingEntries(id, c.Account.ID, sw.Sharing, revokedAccounts), s.chainEntries(sw.Chain)...)
	rcs, err := s.logged(ctx, entries, func(ctx context.Context) error { return s.store.UpdateSharing(ctx, sw) })
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.SharingResult{
		ID: id.String(), ACLSeq: target.Seq, ACLHash: store.Hash(target.Hash()).String(), Epoch: target.Epoch, Revoked: len(revoke),
		Receipts: rcs,
	})
	return nil
}

// checkSuccessorACL parses a new ACL and checks it against the current one: a
// stale seq or previous hash is 412 (someone else changed it first); any other
// break of the chain or epoch rules is 400.
func checkSuccessorACL(raw []byte, id store.RecordID, cur *format.ACL, owner *format.KeyCard) (*format.ACL, error) {
	a, err := format.ParseACL(raw)
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "bad_acl", "the ACL does not parse: %v", err)
	}
	if store.RecordID(a.RecordID) != id {
		return nil, errorf(http.StatusBadRequest, "bad_acl", "the ACL is for another record")
	}
	if a.Seq != cur.Seq+1 || a.PrevHash != cur.Hash() {
		return nil, errorf(http.StatusPreconditionFailed, "conflict", "the ACL does not follow the current one; fetch it and retry")
	}
	if err := a.VerifySuccessor(cur); err != nil {
		return nil, errorf(http.StatusBadRequest, "bad_acl", "the ACL breaks the epoch rules: %v", err)
	}
	if err := checkOwnerEntry(a, owner); err != nil {
		return nil, err
	}
	return a, nil
}

// revocations returns the reader keys whose grants end with the new ACL: those
// of the accounts named, which the ACL must no longer list, and any other key
// holding a grant that the ACL no longer lists; and the accounts holding
// grants to those keys, for the log.
func (s *Server) revocations(ctx context.Context, id store.RecordID, acl *format.ACL, accounts []store.AccountID) ([]store.KeyID, []store.AccountID, error) {
	named := map[store.AccountID]bool{}
	for _, a := range accounts {
		named[a] = true
	}
	stored, err := s.store.Grants(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	set := map[store.KeyID]bool{}
	var keys []store.KeyID
	for _, g := range stored {
		_, listed := acl.Lookup(g.Recipient)
		if named[g.Account] && listed {
			return nil, nil, errorf(http.StatusBadRequest, "bad_acl", "account %s is revoked but the ACL still lists its key", g.Account)
		}
		if !listed && g.Revoked.IsZero() && !set[g.Recipient] {
			set[g.Recipient] = true
			keys = append(keys, g.Recipient)
		}
	}
	seen := map[store.AccountID]bool{}
	var holders []store.AccountID
	for _, g := range stored {
		if set[g.Recipient] && !seen[g.Account] {
			seen[g.Account] = true
			holders = append(holders, g.Account)
		}
	}
	return keys, holders, nil
}

// keepsReaders reports whether next lists every reader cur lists. Every
// grant not yet ended is to a reader of cur (each ACL change ends the grants
// of the keys it drops), so such a change ends none.
func keepsReaders(cur, next *format.ACL) bool {
	for _, e := range cur.Entries {
		if _, ok := next.Lookup(e.Reader); !ok {
			return false
		}
	}
	return true
}

// getACL returns the record's ACL of seq ?seq=N (default: the current one),
// so that readers can verify the whole ACL history.
func (s *Server) getACL(w http.ResponseWriter, r *http.Request, c *Caller) error {
	id, err := recordVar(r)
	if err != nil {
		return err
	}
	var seq uint64
	if v := r.URL.Query().Get("seq"); v != "" {
		if seq, err = parseUint("seq", v, 1); err != nil {
			return err
		}
	}
	ctx := r.Context()
	if _, _, err := s.liveAccess(ctx, c, id); err != nil {
		return err
	}
	a, err := s.store.ACL(ctx, id, seq)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newACLView(id, a))
	return nil
}

// listShared pages through the records others shared with the caller: those
// on which it holds an unrevoked grant.
func (s *Server) listShared(w http.ResponseWriter, r *http.Request, c *Caller) error {
	after, limit, err := pageQuery(r.URL.Query())
	if err != nil {
		return err
	}
	holder := c.Account.ID
	if v := r.URL.Query().Get("via"); v != "" {
		// Records shared with a group the caller may read.
		group, err := parseID("via", v)
		if err != nil {
			return err
		}
		if _, _, err := s.recordAccess(r.Context(), c, store.RecordID(group)); err != nil {
			return err
		}
		holder = group
		if err := s.holdings.reached(r.Context(), s.store, c.Account.ID, group, s.now()); err != nil {
			s.log.WarnContext(r.Context(), "counting a group's records for an allowance", "err", err)
		}
	}
	hs, err := s.store.SharedRecords(r.Context(), holder, store.RecordID(after), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newListView(hs, limit))
	return nil
}
