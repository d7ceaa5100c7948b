package sdk

import (
	"context"
	"encoding/hex"
	"fmt"
	"math"
	"slices"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/internal/auditlog"
)

// What this device has read of the log, kept in its profile so that the next
// run reads only newer entries (docs/spec/client-v1.md §3.4): the frontier of
// the tree it rebuilt, which hashes to a checkpoint it verified, and for each
// account it follows the log's newest word on that account's chain and its
// key cards. Chains, cards and pins are judged against this index: the log,
// not the server's answer of the moment, says how far a chain reaches.

// logIndex is the profile's index of the log up to Size entries.
type logIndex struct {
	Size     int64                  `json:"size"`
	Frontier [][]byte               `json:"frontier"` // subtree roots, largest first
	Accounts map[string]*accountLog `json:"accounts"`
}

// accountLog is what the log says of one account.
type accountLog struct {
	ChainSeq  uint64       `json:"chain_seq,omitempty"`  // newest chain entry logged
	ChainHash string       `json:"chain_hash,omitempty"` // its hash, hex
	Cards     []loggedCard `json:"cards,omitempty"`
}

// loggedCard is a key card as the log has it: ChainSeq is the account's newest
// logged chain entry when the card was logged, so the card before it may sign
// chain entries up to ChainSeq only.
type loggedCard struct {
	Seq      uint64 `json:"seq"`
	Hash     string `json:"hash"`
	ChainSeq uint64 `json:"chain_seq"`
}

// observe folds one log entry into the account's log state.
func (a *accountLog) observe(e *auditlog.Entry) {
	switch e.Type {
	case auditlog.ChainEntry, auditlog.RoleAttestation, auditlog.EmergencyRequest:
		if e.Number > a.ChainSeq {
			a.ChainSeq, a.ChainHash = e.Number, hex.EncodeToString(e.Object[:])
		}
	case auditlog.KeyCard:
		a.Cards = append(a.Cards, loggedCard{Seq: e.Number, Hash: hex.EncodeToString(e.Object[:]), ChainSeq: a.ChainSeq})
	}
}

func (a *accountLog) clone() *accountLog {
	c := *a
	c.Cards = slices.Clone(a.Cards)
	return &c
}

// cardSigns returns, for a card logged for this account, the newest chain
// entry it may sign: entries logged before its successor card. ok is false
// for a card the log does not hold.
func (a *accountLog) cardSigns(hash [32]byte) (bound uint64, ok bool) {
	h := hex.EncodeToString(hash[:])
	for i, lc := range a.Cards {
		if lc.Hash != h {
			continue
		}
		bound = math.MaxUint64
		for _, next := range a.Cards[i+1:] {
			if next.Seq > lc.Seq {
				bound = min(bound, next.ChainSeq)
			}
		}
		return bound, true
	}
	return 0, false
}

// index returns the profile's log index, starting one that follows this
// account and every account the profile already knows (so the first read of
// the log indexes them all at once).
func (c *Client) index() *logIndex {
	if c.prof.LogIndex == nil {
		ix := &logIndex{Accounts: map[string]*accountLog{c.prof.Account: {}}}
		for acct := range c.prof.Pins {
			ix.Accounts[acct] = &accountLog{}
		}
		for acct := range c.prof.Chains {
			ix.Accounts[acct] = &accountLog{}
		}
		c.prof.LogIndex = ix
	}
	return c.prof.LogIndex
}

// frontier restores the index's tree.
func (ix *logIndex) frontier() (*auditlog.Frontier, error) {
	hs := make([]tlog.Hash, len(ix.Frontier))
	for i, h := range ix.Frontier {
		if len(h) != tlog.HashSize {
			return nil, fmt.Errorf("%w: stored log frontier", ErrInvalid)
		}
		hs[i] = tlog.Hash(h)
	}
	f, err := auditlog.NewFrontier(ix.Size, hs)
	if err != nil {
		return nil, fmt.Errorf("%w: stored log frontier: %w", ErrInvalid, err)
	}
	return f, nil
}

// readEntries reads entries [f.Size(), to) from the server into f, calling
// visit on each, and checks that they hash to root.
func (c *Client) readEntries(ctx context.Context, f *auditlog.Frontier, to int64, root tlog.Hash, visit func(i int64, e *auditlog.Entry)) error {
	for f.Size() < to {
		var page struct {
			Entries [][]byte `json:"entries"`
		}
		if err := c.call(ctx, "GET", fmt.Sprintf("/v1/log/entries?from=%d&limit=%d", f.Size(), api.MaxLogEntries), nil, &page); err != nil {
			return err
		}
		if len(page.Entries) == 0 {
			return fmt.Errorf("%w: the server serves %d entries of %d", CheckLogMismatch, f.Size(), to)
		}
		for _, raw := range page.Entries {
			if f.Size() == to {
				break
			}
			e, err := auditlog.Parse(raw)
			if err != nil {
				return fmt.Errorf("%w: entry %d: %w", CheckLogMismatch, f.Size(), err)
			}
			visit(f.Size(), e)
			f.Append(raw)
		}
	}
	if got := f.Root(); got != root {
		return fmt.Errorf("%w: entries 0..%d hash to %x, the checkpoint signs %x", CheckLogMismatch, to, got[:4], root[:4])
	}
	return nil
}

// scanLog reads the indexed part of the log again from its first entry,
// checking it against the index's verified root: for the rare questions the
// index does not answer (a record's history, an account followed late).
func (c *Client) scanLog(ctx context.Context, visit func(i int64, e *auditlog.Entry)) error {
	if err := c.logView(ctx); err != nil {
		return err
	}
	ix := c.index()
	want, err := ix.frontier()
	if err != nil {
		return err
	}
	return c.readEntries(ctx, &auditlog.Frontier{}, ix.Size, want.Root(), visit)
}

// logView brings the index up to the server's newest checkpoint, once per
// operation.
func (c *Client) logView(ctx context.Context) error {
	if c.logSynced {
		return nil
	}
	_, err := c.syncLog(ctx)
	return err
}

// accountLog returns what the log says of account, following it from now on;
// an account not followed yet costs one scan of the indexed log.
func (c *Client) accountLog(ctx context.Context, account [32]byte) (*accountLog, error) {
	if err := c.follow(ctx, account); err != nil {
		return nil, err
	}
	return c.index().Accounts[hex.EncodeToString(account[:])], nil
}

// follow makes the index follow accounts, with one scan of the indexed log
// for all of those it did not follow yet (an operation that is about to rely
// on many new accounts, such as a list, follows them all at once).
func (c *Client) follow(ctx context.Context, accounts ...[32]byte) error {
	if err := c.logView(ctx); err != nil {
		return err
	}
	ix := c.index()
	found := map[[32]byte]*accountLog{}
	for _, a := range accounts {
		if ix.Accounts[hex.EncodeToString(a[:])] == nil {
			found[a] = &accountLog{}
		}
	}
	if len(found) == 0 {
		return nil
	}
	if sw := c.logSweep; sw != nil && sw.size == ix.Size {
		for acct := range found {
			if a := sw.accounts[acct]; a != nil {
				found[acct] = a.clone() // the sweep goes on observing its own
			}
		}
		return c.indexFound(ctx, found)
	}
	err := c.scanLog(ctx, func(_ int64, e *auditlog.Entry) {
		if a := found[e.Subject]; a != nil && !e.Type.RecordScoped() {
			a.observe(e)
		}
	})
	if err != nil {
		return err
	}
	return c.indexFound(ctx, found)
}

// indexFound adds newly followed accounts to the index.
func (c *Client) indexFound(ctx context.Context, found map[[32]byte]*accountLog) error {
	ix := c.index()
	for acct, a := range found {
		ix.Accounts[hex.EncodeToString(acct[:])] = a
	}
	return c.saveProfile(ctx)
}
