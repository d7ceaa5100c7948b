package sdk

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/internal/auditlog"
	"github.com/blindvault/blindvault/internal/format"
)

// Contact is another account as this client verified it: its newest key card,
// whose chain of successors from the first card verifies, and which matches
// the fingerprint pinned for that account, if one was.
type Contact struct {
	Handle      string
	AccountID   AccountID
	Card        *KeyCard
	Fingerprint Fingerprint
	// FirstUse is true if this device had never pinned the account: compare the
	// fingerprint out of band before trusting it.
	FirstUse bool
	// Attestation is a role attestation by a pinned organisation admin, or nil.
	Attestation *Attestation
}

// Attestation is a verified role attestation.
type Attestation struct {
	Role, Org string
	NotAfter  time.Time
}

// Status is "verified ROLE of ORG" or "unattested".
func (c *Contact) Status() string {
	if c.Attestation == nil {
		return "unattested"
	}
	return fmt.Sprintf("verified %s of %s", c.Attestation.Role, c.Attestation.Org)
}

// verifiedCards verifies the card history of an account view.
func verifiedCards(v *api.Account) ([]*KeyCard, error) {
	raw := make([][]byte, len(v.Cards))
	for i, cv := range v.Cards {
		raw[i] = cv.KeyCard
	}
	return verifyCards(raw)
}

// LookupOptions are optional settings for Lookup and Share.
type LookupOptions struct {
	// Fingerprint, if set, is the fingerprint the user compared out of band;
	// any other card is refused with CheckKeyUnverified.
	Fingerprint string
	// Role, if set, requires a verified attestation of that role.
	Role string
}

// Lookup finds an account by handle and verifies its key card (self-signature,
// chain of successors, pinned or expected fingerprint), pinning it on first use.
func (c *Client) Lookup(ctx context.Context, handle string, opts *LookupOptions) (_ *Contact, err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return nil, err
	}
	return c.lookup(ctx, handle, opts)
}

func (c *Client) lookup(ctx context.Context, handle string, opts *LookupOptions) (*Contact, error) {
	if opts == nil {
		opts = &LookupOptions{}
	}
	var view api.Account
	if err := c.call(ctx, "GET", "/v1/directory/"+url.PathEscape(handle), nil, &view); err != nil {
		return nil, err
	}
	if view.Status == statusDeleting {
		return nil, fmt.Errorf("%w: %q is being deleted by its owner", ErrNotFound, handle)
	}
	cards, err := verifiedCards(&view)
	if err != nil {
		return nil, err
	}
	newest := cards[len(cards)-1]
	if newest.c.Handle != handle {
		return nil, fmt.Errorf("%w: the server answered %q with the card of %q", CheckKeyUnverified, handle, newest.c.Handle)
	}
	// A handle pinned to another account is a substitution, whatever the cards say.
	for acct, p := range c.prof.Pins {
		if p.Handle == handle && acct != newest.AccountID().String() {
			return nil, fmt.Errorf("%w: %q is pinned to another account", CheckKeyUnverified, handle)
		}
	}
	if opts.Fingerprint != "" && !sameFingerprint(opts.Fingerprint, newest.Fingerprint()) {
		return nil, fmt.Errorf("%w: %q has fingerprint %s, not the expected %s", CheckKeyUnverified, handle, newest.Fingerprint(), opts.Fingerprint)
	}
	// Nothing is pinned that is not in the log: a card only this client was
	// shown is a substitution in waiting.
	if err := c.checkPin(newest.c.AccountID, cards); err != nil {
		return nil, err
	}
	if err := c.cardLogged(ctx, newest); err != nil {
		return nil, err
	}
	first, err := c.pin(ctx, newest.c.AccountID, cards)
	if err != nil {
		return nil, err
	}
	ct := &Contact{Handle: handle, AccountID: newest.c.AccountID, Card: newest, Fingerprint: newest.Fingerprint(), FirstUse: first}
	if ct.Attestation, err = c.attestation(ctx, newest.Fingerprint()); err != nil {
		return nil, err
	}
	if opts.Role != "" && (ct.Attestation == nil || ct.Attestation.Role != opts.Role) {
		return nil, fmt.Errorf("%w: %q has no verified %s attestation", CheckKeyUnverified, handle, opts.Role)
	}
	return ct, nil
}

// sameFingerprint compares a fingerprint as a person typed it (any case,
// spaces and dashes ignored; the displayed prefix or all 64 hex digits).
func sameFingerprint(typed string, fp Fingerprint) bool {
	norm := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r == ' ' || r == '-' {
				return -1
			}
			return r
		}, strings.ToUpper(s))
	}
	t := norm(typed)
	return t == norm(fp.String()) || t == strings.ToUpper(hex.EncodeToString(fp[:]))
}

// verifyCards checks a card history from the server: the first card has seq 1
// and each next one is endorsed by the one before, all for one account.
func verifyCards(raw [][]byte) ([]*KeyCard, error) {
	if len(raw) == 0 {
		return nil, fmt.Errorf("%w: no key card", CheckKeyUnverified)
	}
	cards := make([]*KeyCard, len(raw))
	for i, b := range raw {
		kc, err := format.ParseKeyCard(b)
		if err != nil {
			return nil, fmt.Errorf("%w: card %d: %w", CheckKeyUnverified, i+1, err)
		}
		if i == 0 && kc.Seq != 1 {
			return nil, fmt.Errorf("%w: history starts at seq %d", CheckKeyUnverified, kc.Seq)
		}
		if i > 0 {
			if err := kc.VerifySuccessor(cards[i-1].c); err != nil {
				return nil, fmt.Errorf("%w: card %d: %w", CheckKeyUnverified, i+1, err)
			}
		}
		cards[i] = &KeyCard{c: kc}
	}
	return cards, nil
}

// cards returns the verified card history of an account, checked against its
// pin (and pinned on first use). This account's own cards come from its keys.
func (c *Client) cards(ctx context.Context, account [32]byte) ([]*KeyCard, error) {
	if account == c.accountID() {
		return []*KeyCard{c.id.card}, nil
	}
	if cs, ok := c.cardCache[account]; ok {
		return cs, nil
	}
	var view api.Account
	if err := c.call(ctx, "GET", fmt.Sprintf("/v1/accounts/%x/cards", account), nil, &view); err != nil {
		return nil, err
	}
	cards, err := verifiedCards(&view)
	if err != nil {
		return nil, err
	}
	if cards[0].c.AccountID != account {
		return nil, fmt.Errorf("%w: cards of another account", CheckKeyUnverified)
	}
	if _, err := c.pin(ctx, account, cards); err != nil {
		return nil, err
	}
	return cards, nil
}

// checkPin checks a verified card history against the account's pin, if any.
func (c *Client) checkPin(account [32]byte, cards []*KeyCard) error {
	p := c.prof.Pins[hex.EncodeToString(account[:])]
	if p == nil {
		return nil
	}
	if p.CardSeq > uint64(len(cards)) {
		return fmt.Errorf("%w: %s's card history is shorter than pinned", CheckRollback, p.Handle)
	}
	if old := cards[p.CardSeq-1].Fingerprint(); hex.EncodeToString(old[:]) != p.Fingerprint {
		return fmt.Errorf("%w: %s's card does not match the pinned fingerprint", CheckKeyUnverified, p.Handle)
	}
	return nil
}

// pin checks a verified card history against the account's pin and moves the
// pin to the newest card. It reports whether the account was new to this device.
func (c *Client) pin(ctx context.Context, account [32]byte, cards []*KeyCard) (bool, error) {
	if err := c.checkPin(account, cards); err != nil {
		return false, err
	}
	key := hex.EncodeToString(account[:])
	newest := cards[len(cards)-1]
	p := c.prof.Pins[key]
	fp := newest.Fingerprint()
	np := &pin{Handle: newest.c.Handle, Fingerprint: hex.EncodeToString(fp[:]), CardSeq: newest.c.Seq}
	if c.cardCache == nil {
		c.cardCache = map[[32]byte][]*KeyCard{}
	}
	c.cardCache[account] = cards
	if p != nil && *p == *np {
		return false, nil
	}
	c.prof.Pins[key] = np
	c.profileDirty = true
	return p == nil, c.saveProfile(ctx)
}

// TrustOrg pins admin (looked up by handle and checked against the fingerprint
// the user compared) as the organisation admin whose role attestations for org
// this client accepts.
func (c *Client) TrustOrg(ctx context.Context, org, adminHandle, fingerprint string) (err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return err
	}
	if fingerprint == "" {
		return fmt.Errorf("%w: trusting an organisation admin needs its fingerprint", CheckKeyUnverified)
	}
	ct, err := c.lookup(ctx, adminHandle, &LookupOptions{Fingerprint: fingerprint})
	if err != nil {
		return err
	}
	c.prof.Orgs[org] = &orgPin{Admin: hex.EncodeToString(ct.AccountID[:]), Handle: adminHandle,
		Key: hex.EncodeToString(ct.Card.c.Ed25519PK[:])}
	c.profileDirty = true
	return c.pushProfile(ctx)
}

// attestation returns an unexpired attestation of the card with fingerprint fp
// published by a pinned organisation admin, or nil.
func (c *Client) attestation(ctx context.Context, fp Fingerprint) (*Attestation, error) {
	for org, op := range c.prof.Orgs {
		admin, err1 := hex.DecodeString(op.Admin)
		key, err2 := hex.DecodeString(op.Key)
		if err1 != nil || err2 != nil || len(admin) != 32 || len(key) != 32 {
			return nil, fmt.Errorf("%w: organisation pin of %q", ErrInvalid, org)
		}
		st, err := c.chainOf(ctx, [32]byte(admin))
		if errors.Is(err, ErrNotFound) && c.prof.Chains[op.Admin] == nil {
			// An admin with no chain this device ever saw here (one trusted
			// on the server this account moved from, and not on this one)
			// attests nothing here; a chain seen before cannot go missing.
			continue
		}
		if err != nil {
			return nil, err
		}
		// The newest statement wins: an admin withdraws a role by attesting anew.
		for i := len(st.Attestations) - 1; i >= 0; i-- {
			a, err := format.ParseRoleAttestation(st.Attestations[i])
			if err != nil || a.SubjectFP != fp || a.Org != org || !bytes.Equal(a.IssuerPK[:], key) {
				continue
			}
			if a.Verify(a.IssuerPK) != nil || time.Now().Unix() > int64(a.NotAfter) {
				break
			}
			return &Attestation{Role: a.Role, Org: a.Org, NotAfter: time.Unix(int64(a.NotAfter), 0)}, nil
		}
	}
	return nil, nil
}

// Attest signs, as an organisation admin, a role attestation of the account
// named handle for org, valid for validity, and publishes it in this account's
// chain, where clients that trust this admin for org find it.
func (c *Client) Attest(ctx context.Context, handle, role, org string, validity time.Duration) (_ *Contact, err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return nil, err
	}
	ct, err := c.lookup(ctx, handle, nil)
	if err != nil {
		return nil, err
	}
	a := &format.RoleAttestation{SubjectFP: [32]byte(ct.Fingerprint), Role: role, Org: org,
		NotAfter: uint64(time.Now().Add(validity).Unix()), IssuerPK: c.id.card.c.Ed25519PK}
	if err := a.Sign(c.id.sign); err != nil {
		return nil, err
	}
	err = c.appendEntry(ctx, format.AccountEntry{Event: format.EventAttestation, Attestation: a.Marshal()})
	return ct, err
}

// appendEntry appends one entry to this account's chain on its own.
func (c *Client) appendEntry(ctx context.Context, ev format.AccountEntry) error {
	return c.chainWrite(ctx, ev,
		func(e *format.AccountEntry) ([]api.Receipt, error) {
			var out api.Receipts
			err := c.call(ctx, "POST", fmt.Sprintf("/v1/chains/%x", e.Account), itemOf(e), &out)
			return out.Receipts, err
		},
		func(e *format.AccountEntry, le *auditlog.Entry) bool {
			return le.Subject == e.Account && le.Object == e.Hash() && le.Number == e.Seq
		})
}
