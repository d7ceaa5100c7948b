package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/server/store"
)

// cards parses the current key cards of accounts once per request: a card's
// parse checks its self signature and its X-Wing key, which is worth doing
// once, not once per grant.
type cards struct {
	st   store.Store
	seen map[store.AccountID]*format.KeyCard
}

func newCards(st store.Store) *cards {
	return &cards{st: st, seen: map[store.AccountID]*format.KeyCard{}}
}

// add records an account already loaded (the caller's), saving a read.
func (c *cards) add(a store.Account) error {
	card, err := parseStoredCard(a)
	if err != nil {
		return err
	}
	c.seen[a.ID] = card
	return nil
}

// get returns the account's current card; an unknown account is 400, since
// every account named here comes from the request.
func (c *cards) get(ctx context.Context, id store.AccountID) (*format.KeyCard, error) {
	if card, ok := c.seen[id]; ok {
		return card, nil
	}
	a, err := c.st.Account(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errorf(http.StatusBadRequest, "unknown_account", "account %s does not exist", id)
	}
	if err != nil {
		return nil, err
	}
	if err := c.add(a); err != nil {
		return nil, err
	}
	return c.seen[id], nil
}

// parseStoredCard parses a card the server stored at registration; failing
// here means the store is damaged, which is the server's fault (500).
func parseStoredCard(a store.Account) (*format.KeyCard, error) {
	card, err := parsedCards.parse(a.KeyCard.Signed)
	if err != nil {
		return nil, fmt.Errorf("stored key card of %s: %w", a.ID, err)
	}
	if card.AccountID != a.ID {
		return nil, fmt.Errorf("stored key card of %s names another account", a.ID)
	}
	return card, nil
}

// parsedCards remembers the cards parsed lately. Parsing a card verifies its
// self signature and its ML-KEM key, a quarter of what a small write costs;
// the result depends only on the card's bytes, which are the key, so the
// memo is shared by every Server in the process.
var parsedCards = &cardMemo{m: map[string]*format.KeyCard{}}

// maxParsedCards bounds the memo: about 3 KiB a card.
const maxParsedCards = 4096

type cardMemo struct {
	mu sync.RWMutex
	m  map[string]*format.KeyCard
}

// parse returns the parsed card. Callers must not modify it.
func (c *cardMemo) parse(signed []byte) (*format.KeyCard, error) {
	c.mu.RLock()
	card, ok := c.m[string(signed)]
	c.mu.RUnlock()
	if ok {
		return card, nil
	}
	card, err := format.ParseKeyCard(signed)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.m) >= maxParsedCards {
		clear(c.m)
	}
	c.m[string(signed)] = card
	c.mu.Unlock()
	return card, nil
}

// keyID is the KeyID under which ACLs and grants name the card's reader.
func keyID(card *format.KeyCard) store.KeyID {
	return store.KeyID(format.KeyID(card.XWingPK))
}

// checkHeaderSigner checks that h's signer_pk is the author's identity key
// and that the signature verifies. A header signed by any other key, a
// certified device key included, is 403 (format-v1 §2.7: a device-signed
// header's created time is the signer's choice, so a revoked or expired device
// could backdate one into its certificate's validity). A signature that does
// not verify is 400.
func checkHeaderSigner(h *format.Header, author *format.KeyCard) error {
	if h.SignerPK != author.Ed25519PK {
		return errorf(http.StatusForbidden, "bad_signer", "the header's signer is not the author's identity key (device-signed headers are refused)")
	}
	if err := h.Verify(h.SignerPK); err != nil {
		return errorf(http.StatusBadRequest, "bad_signature", "the header's signature does not verify")
	}
	return nil
}
