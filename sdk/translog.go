package sdk

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/internal/auditlog"
)

// The transparency log, client side (docs/spec/log-v1.md §6). The client pins
// the log's key, keeps the last checkpoint it verified, and accepts a new one
// only if it signs a tree the old one is a prefix of. Every write it makes
// comes back with a receipt that must prove the write's entry in such a tree;
// reading the log rebuilds the tree from every entry and must reach the
// checkpoint's root.

// logState is the profile's memory of the log.
type logState struct {
	Origin     string `json:"origin"`
	Key        string `json:"key"`        // note verifier key of the log
	Checkpoint string `json:"checkpoint"` // last verified signed checkpoint
}

// pinLog pins the log key: the configured one, or the server's on first use.
func (c *Client) pinLog(ctx context.Context) error {
	if c.prof.Log != nil && c.prof.Log.Key != "" {
		if c.cfg.LogKey != "" && c.cfg.LogKey != c.prof.Log.Key {
			return fmt.Errorf("%w: this profile pinned another log key than the configured one", CheckKeyUnverified)
		}
		return nil
	}
	var out api.LogKey
	if err := c.call(ctx, "GET", "/v1/log/key", nil, &out); err != nil {
		return err
	}
	if c.cfg.LogKey != "" && out.Key != c.cfg.LogKey {
		return fmt.Errorf("%w: the server's log key is not the configured one", CheckKeyUnverified)
	}
	if _, err := note.NewVerifier(out.Key); err != nil {
		return fmt.Errorf("%w: log key: %w", ErrInvalid, err)
	}
	c.prof.Log = &logState{Origin: out.Origin, Key: out.Key}
	return nil
}

// checkpoint returns the last verified checkpoint (size 0 before any).
func (c *Client) checkpoint() (auditlog.Checkpoint, error) {
	cp, _, err := c.storedCheckpoint()
	return cp, err
}

// verifiedCheckpoint is the stored checkpoint as last opened: every receipt
// and chain sync consults it, and opening it verifies a signature.
type verifiedCheckpoint struct {
	text   string
	cp     auditlog.Checkpoint
	newest int64 // the newest witness cosignature's time, Unix seconds
}

// storedCheckpoint opens the stored checkpoint, once per value, and returns
// it with the time of its newest witness cosignature.
func (c *Client) storedCheckpoint() (auditlog.Checkpoint, int64, error) {
	if c.prof.Log == nil || c.prof.Log.Checkpoint == "" {
		return auditlog.Checkpoint{Origin: c.logOrigin()}, 0, nil
	}
	if v := c.verifiedCP; v != nil && v.text == c.prof.Log.Checkpoint {
		return v.cp, v.newest, nil
	}
	cp, t, err := c.openCheckpoint([]byte(c.prof.Log.Checkpoint))
	if err != nil {
		return cp, 0, err
	}
	c.verifiedCP = &verifiedCheckpoint{text: c.prof.Log.Checkpoint, cp: cp, newest: t}
	return cp, t, nil
}

// openCheckpoint verifies a signed checkpoint under the pinned keys and
// returns the time of its newest witness cosignature (0 without one).
func (c *Client) openCheckpoint(signed []byte) (auditlog.Checkpoint, int64, error) {
	cp, times, err := c.policy().Open(signed)
	var t int64
	for _, ts := range times {
		t = max(t, ts)
	}
	return cp, t, err
}

func (c *Client) logOrigin() string {
	if c.prof.Log == nil {
		return ""
	}
	return c.prof.Log.Origin
}

func (c *Client) policy() *auditlog.Policy {
	v, err := note.NewVerifier(c.prof.Log.Key)
	if err != nil {
		v = nil
	}
	p := &auditlog.Policy{Origin: c.prof.Log.Origin, Log: v}
	for _, w := range c.cfg.Witnesses {
		if wv, err := auditlog.NewCosignatureVerifier(w.Key); err == nil {
			p.Witnesses = append(p.Witnesses, wv)
		}
	}
	return p
}

// ensureFresh makes sure a witness vouched for this client's checkpoint within
// MaxCheckpointAge, asking the witnesses again if not: a server cannot keep
// a client on an old view for longer than that (docs/spec/client-v1.md §3,
// Freshness; docs/decisions.md, "Checkpoint freshness comes from witnesses").
func (c *Client) ensureFresh(ctx context.Context) error {
	if len(c.cfg.Witnesses) == 0 || c.prof.Log == nil || c.prof.Log.Checkpoint == "" {
		return nil
	}
	maxAge := c.cfg.MaxCheckpointAge
	if maxAge <= 0 {
		maxAge = 24 * time.Hour
	}
	cp, t, err := c.storedCheckpoint()
	if err != nil {
		return err
	}
	if time.Since(time.Unix(t, 0)) <= maxAge {
		return nil
	}
	cosigned, err := c.witness(ctx, cp, cp, stripCosignatures([]byte(c.prof.Log.Checkpoint)))
	if err != nil {
		return err
	}
	if _, t, err = c.openCheckpoint(cosigned); err != nil {
		return err
	}
	if time.Since(time.Unix(t, 0)) > maxAge {
		return fmt.Errorf("%w: the newest cosignature is from %s", CheckStale, time.Unix(t, 0).UTC().Format(time.RFC3339))
	}
	c.prof.Log.Checkpoint = string(cosigned)
	return c.saveProfile(ctx)
}

// stripCosignatures keeps a signed note's text and its first signature line,
// the log's.
func stripCosignatures(signed []byte) []byte {
	i := bytes.Index(signed, []byte("\n\n"))
	if i < 0 {
		return signed
	}
	j := bytes.IndexByte(signed[i+2:], '\n')
	if j < 0 {
		return signed
	}
	return signed[:i+2+j+1]
}

// advance verifies a signed checkpoint and moves this client's view of the
// log to it if it is newer, after checking that the old tree is its prefix.
func (c *Client) advance(ctx context.Context, signed []byte) (auditlog.Checkpoint, error) {
	if err := c.pinLog(ctx); err != nil {
		return auditlog.Checkpoint{}, err
	}
	p := c.policy()
	if p.Log == nil {
		return auditlog.Checkpoint{}, fmt.Errorf("%w: pinned log key", ErrInvalid)
	}
	cp, _, err := p.Open(signed)
	if err != nil {
		return cp, fmt.Errorf("%w: %w", CheckLogFork, err)
	}
	old, err := c.checkpoint()
	if err != nil {
		return cp, err
	}
	switch {
	case cp.Size < old.Size:
		// An older checkpoint is fine as a receipt's, if it is a prefix of ours.
		if err := c.checkConsistent(ctx, cp, old); err != nil {
			return cp, err
		}
		return cp, nil
	case cp.Size == old.Size:
		if cp.Root != old.Root {
			return cp, fmt.Errorf("%w: two roots for a tree of %d entries", CheckLogFork, cp.Size)
		}
		return cp, nil
	}
	if err := c.checkConsistent(ctx, old, cp); err != nil {
		return cp, err
	}
	cosigned, err := c.witness(ctx, old, cp, signed)
	if errors.Is(err, errWitnessAhead) {
		// Another client had the witness cosign a newer tree: move to the
		// server's newest checkpoint, which must extend it.
		latest, lerr := c.latestCheckpoint(ctx)
		if lerr != nil {
			return cp, lerr
		}
		if bytes.Equal(latest, signed) {
			return cp, fmt.Errorf("%w: a witness saw a larger log than the server shows", CheckLogFork)
		}
		return c.advance(ctx, latest)
	}
	if err != nil {
		return cp, err
	}
	c.prof.Log.Checkpoint = string(cosigned)
	return cp, c.saveProfile(ctx)
}

// checkConsistent checks that the tree of older is a prefix of the tree of newer.
func (c *Client) checkConsistent(ctx context.Context, older, newer auditlog.Checkpoint) error {
	if older.Size == 0 {
		return nil
	}
	proof, err := c.consistency(ctx, older.Size, newer.Size)
	if err != nil {
		return err
	}
	if err := tlog.CheckTree(proof, newer.Size, newer.Root, older.Size, older.Root); err != nil {
		return fmt.Errorf("%w: the tree of %d entries is not a prefix of the tree of %d: %w", CheckLogFork, older.Size, newer.Size, err)
	}
	return nil
}

// consistency fetches the server's proof that the log of size entries extends
// the log of from entries.
func (c *Client) consistency(ctx context.Context, from, size int64) (tlog.TreeProof, error) {
	var out api.Consistency
	if err := c.call(ctx, "GET", fmt.Sprintf("/v1/log/consistency?from=%d&size=%d", from, size), nil, &out); err != nil {
		return nil, err
	}
	return tlogHashes(out.Hashes)
}

func tlogHashes(raw [][]byte) (tlog.TreeProof, error) {
	out := make(tlog.TreeProof, len(raw))
	for i, h := range raw {
		if len(h) != tlog.HashSize {
			return nil, fmt.Errorf("%w: proof hash of %d bytes", ErrInvalid, len(h))
		}
		out[i] = tlog.Hash(h)
	}
	return out, nil
}

// verifyReceipt checks that a receipt proves an entry the caller expects, and
// returns the entry.
func (c *Client) verifyReceipt(ctx context.Context, rc api.Receipt, want func(*auditlog.Entry) bool) (*auditlog.Entry, error) {
	cp, err := c.advance(ctx, []byte(rc.Checkpoint))
	if err != nil {
		return nil, err
	}
	e, err := auditlog.Parse(rc.Entry)
	if err != nil {
		return nil, fmt.Errorf("%w: receipt entry: %w", CheckNotLogged, err)
	}
	proof, err := tlogHashes(rc.Proof)
	if err != nil {
		return nil, err
	}
	if rc.Index < 0 || rc.Index >= cp.Size {
		return nil, fmt.Errorf("%w: entry %d in a log of %d", CheckNotLogged, rc.Index, cp.Size)
	}
	if err := tlog.CheckRecord(tlog.RecordProof(proof), cp.Size, cp.Root, rc.Index, tlog.RecordHash(rc.Entry)); err != nil {
		return nil, fmt.Errorf("%w: entry %d: %w", CheckNotLogged, rc.Index, err)
	}
	if !want(e) {
		return nil, fmt.Errorf("%w: the receipt's entry (%s) is not this operation's", CheckNotLogged, e.Type)
	}
	return e, nil
}

// expectLogged checks that one of a write's receipts proves the entry want
// describes.
func (c *Client) expectLogged(ctx context.Context, rcs []api.Receipt, want func(*auditlog.Entry) bool) error {
	var firstErr error
	for _, rc := range rcs {
		if _, err := c.verifyReceipt(ctx, rc, want); err == nil {
			return nil
		} else if firstErr == nil || !errors.Is(err, CheckNotLogged) {
			firstErr = err
		}
	}
	if firstErr == nil {
		firstErr = fmt.Errorf("%w: no receipt", CheckNotLogged)
	}
	return firstErr
}

// receiptsOf decodes the receipts of a write answer.
func receiptsOf(body io.Reader) ([]api.Receipt, error) {
	var out api.Receipts
	if err := json.NewDecoder(io.LimitReader(body, maxAPIResponse)).Decode(&out); err != nil {
		return nil, fmt.Errorf("%w: answer does not decode: %w", ErrInvalid, err)
	}
	return out.Receipts, nil
}

// receiptHeader decodes the Blindvault-Receipt header of a body read.
func receiptHeader(resp *response) ([]api.Receipt, error) {
	raw, err := base64.StdEncoding.DecodeString(resp.Get("Blindvault-Receipt"))
	if err != nil || len(raw) == 0 {
		return nil, fmt.Errorf("%w: the read has no receipt", CheckNotLogged)
	}
	var rc api.Receipt
	if err := json.NewDecoder(bytes.NewReader(raw)).Decode(&rc); err != nil {
		return nil, fmt.Errorf("%w: receipt: %w", CheckNotLogged, err)
	}
	return []api.Receipt{rc}, nil
}

// latestCheckpoint fetches the server's newest signed checkpoint.
func (c *Client) latestCheckpoint(ctx context.Context) ([]byte, error) {
	resp, err := c.stream(ctx, "GET", "/v1/log/checkpoint", nil, nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(io.LimitReader(resp.Body, auditlog.MaxNoteSize))
}
