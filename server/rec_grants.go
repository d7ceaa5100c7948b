package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/server/store"
)

// grantCheck verifies the signed grants that come with a new record or a new
// ACL. A grant is accepted only for this record and an epoch up to the ACL's,
// to a reader the ACL lists, filed under the account whose current card has
// the grant's recipient KeyID, and signed by the owner's identity key or by an
// account holding share in shareACL.
type grantCheck struct {
	record   store.RecordID
	owner    store.AccountID
	acl      *format.ACL // the ACL the grants go with
	shareACL *format.ACL // where a delegate granter must hold share
	cards    *cards
	now      time.Time
}

func (gc *grantCheck) verify(ctx context.Context, items []frameGrant) ([]store.Grant, error) {
	type slot struct {
		epoch uint32
		key   store.KeyID
	}
	seen := map[slot]bool{}
	out := make([]store.Grant, 0, len(items))
	for i, it := range items {
		g, err := format.ParseGrant(it.Signed)
		if err != nil {
			return nil, errorf(http.StatusBadRequest, "bad_grant", "grant %d does not parse: %v", i, err)
		}
		switch {
		case store.RecordID(g.RecordID) != gc.record:
			return nil, errorf(http.StatusBadRequest, "bad_grant", "grant %d is for another record", i)
		case g.Epoch > gc.acl.Epoch:
			return nil, errorf(http.StatusBadRequest, "bad_grant", "grant %d is for epoch %d, after the ACL's %d", i, g.Epoch, gc.acl.Epoch)
		}
		if _, ok := gc.acl.Lookup(g.Recipient); !ok {
			return nil, errorf(http.StatusBadRequest, "bad_grant", "grant %d is to a key the ACL does not list", i)
		}
		if err := gc.checkRecipient(ctx, it.Account, store.KeyID(g.Recipient), i); err != nil {
			return nil, err
		}
		if err := gc.checkGranter(ctx, g, i); err != nil {
			return nil, err
		}
		k := slot{g.Epoch, store.KeyID(g.Recipient)}
		if seen[k] {
			return nil, errorf(http.StatusBadRequest, "bad_grant", "grant %d repeats an epoch and recipient", i)
		}
		seen[k] = true
		out = append(out, store.Grant{
			Epoch: g.Epoch, Recipient: k.key, Account: it.Account, Signed: it.Signed, Created: gc.now,
		})
	}
	return out, nil
}

// checkRecipient checks whom grant i is filed under: an account whose current
// card has the grant's recipient KeyID, or a group (a team or a collection),
// named by the id of its live key record. A group's key is derived from that
// record's epoch keys (format-v1 §2.10), which the server never sees, so its
// KeyID is the clients' to check; the server checks that the group exists and
// that it is not the record itself.
func (gc *grantCheck) checkRecipient(ctx context.Context, account store.AccountID, recipient store.KeyID, i int) error {
	card, err := gc.cards.get(ctx, account)
	if err == nil {
		if keyID(card) != recipient {
			return errorf(http.StatusBadRequest, "bad_grant", "grant %d is not to the current key of account %s", i, account)
		}
		return nil
	}
	var ae *apiError
	if !errors.As(err, &ae) || ae.Code != "unknown_account" {
		return err
	}
	group := store.RecordID(account)
	if group == gc.record {
		return errorf(http.StatusBadRequest, "bad_grant", "grant %d is filed under its own record", i)
	}
	h, herr := gc.cards.st.Head(ctx, group)
	if errors.Is(herr, store.ErrNotFound) || (herr == nil && h.IsDeleted()) {
		return err
	}
	return herr
}

// checkGranter checks who signed grant i: the owner, or a share delegate, with
// the granter's current identity key.
func (gc *grantCheck) checkGranter(ctx context.Context, g *format.Grant, i int) error {
	granter, err := gc.cards.get(ctx, store.AccountID(g.Granter))
	if err != nil {
		return err
	}
	if store.AccountID(g.Granter) != gc.owner {
		if r, ok := gc.shareACL.Lookup(format.KeyID(granter.XWingPK)); !ok || !r.Has(format.RightShare) {
			return errorf(http.StatusForbidden, "no_share_right", "grant %d is signed by an account without share", i)
		}
	}
	if g.SignerPK != granter.Ed25519PK {
		return errorf(http.StatusForbidden, "bad_signer", "grant %d is not signed by its granter's identity key", i)
	}
	if err := g.Verify(g.SignerPK); err != nil {
		return errorf(http.StatusBadRequest, "bad_signature", "grant %d's signature does not verify", i)
	}
	return nil
}

// checkCoverage enforces that the epoch key of acl reaches every reader acl
// lists: each entry holds a grant at acl.Epoch, new or already stored and not
// being revoked.
func checkCoverage(acl *format.ACL, fresh, stored []store.Grant, revoked map[store.KeyID]bool) error {
	have := map[store.KeyID]bool{}
	for _, g := range stored {
		if g.Epoch == acl.Epoch && g.Revoked.IsZero() && !revoked[g.Recipient] {
			have[g.Recipient] = true
		}
	}
	for _, g := range fresh {
		if g.Epoch == acl.Epoch {
			have[g.Recipient] = true
		}
	}
	for _, e := range acl.Entries {
		if !have[store.KeyID(e.Reader)] {
			return errorf(http.StatusBadRequest, "missing_grant", "reader %x… of the ACL has no grant for epoch %d", e.Reader[:4], acl.Epoch)
		}
	}
	return nil
}

// checkOwnerEntry checks that the ACL is the owner's: it names the owner's
// account, is signed by the owner's identity key, and lists the owner's key
// with every right (format-v1 §2.5).
func checkOwnerEntry(acl *format.ACL, owner *format.KeyCard) error {
	if acl.Owner != owner.AccountID {
		return errorf(http.StatusBadRequest, "bad_acl", "the ACL names another owner")
	}
	if err := acl.Verify(owner.Ed25519PK); err != nil {
		return errorf(http.StatusBadRequest, "bad_signature", "the ACL is not signed by the owner's identity key")
	}
	if r, ok := acl.Lookup(format.KeyID(owner.XWingPK)); !ok || r != format.RightsAll {
		return errorf(http.StatusBadRequest, "bad_acl", "the ACL does not give the owner's key every right")
	}
	return nil
}

// storedACL parses the record's ACL as stored; failing means a damaged store.
func storedACL(a store.ACL) (*format.ACL, error) {
	acl, err := format.ParseACL(a.Signed)
	if err != nil {
		return nil, fmt.Errorf("stored ACL %d: %w", a.Seq, err)
	}
	return acl, nil
}
