package sdk

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/blindvault/blindvault/internal/auditlog"
	"github.com/blindvault/blindvault/internal/bridge"
)

// Witness is a transparency-log witness (c2sp.org/tlog-witness) the client
// asks to cosign each new checkpoint. A witness cosigns only a tree that
// extends the last one it cosigned, so a server cannot show two clients two
// different logs if both go through it.
type Witness struct {
	URL string // the witness's submission prefix
	Key string // its cosignature/v1 verifier key (name+hash+base64)
	// Transport reaches URL; nil means net/http (not in the browser).
	Transport bridge.Transport
}

// errWitnessAhead means a witness has cosigned a larger tree than the one
// offered: the client must fetch a newer checkpoint first.
var errWitnessAhead = errors.New("witness has seen a newer checkpoint")

// witness has the configured witnesses cosign cp (which follows old) and
// returns the checkpoint with their cosignatures.
func (c *Client) witness(ctx context.Context, old, cp auditlog.Checkpoint, signed []byte) ([]byte, error) {
	if len(c.cfg.Witnesses) == 0 {
		return signed, nil
	}
	cosigned, count := signed, 0
	var lastErr error
	for _, w := range c.cfg.Witnesses {
		lines, err := c.cosign(ctx, w, cp, signed)
		if err != nil {
			if errors.Is(err, errWitnessAhead) || errors.Is(err, CheckLogFork) {
				return nil, err
			}
			lastErr = err
			continue
		}
		v, err := auditlog.NewCosignatureVerifier(w.Key)
		if err != nil {
			return nil, fmt.Errorf("witness %s: %w", w.URL, err)
		}
		next := append(bytes.Clone(cosigned), lines...)
		n, err := note.Open(next, note.VerifierList(c.policy().Log, v))
		if err != nil || !signedBy(n, v) {
			lastErr = fmt.Errorf("witness %s: its cosignature does not verify", w.URL)
			continue
		}
		cosigned, count = next, count+1
	}
	quorum := max(c.cfg.WitnessQuorum, 1)
	if count < quorum {
		return nil, fmt.Errorf("%w: %d witness cosignatures of %d required: %w", CheckLogFork, count, quorum, lastErr)
	}
	return cosigned, nil
}

func signedBy(n *note.Note, v note.Verifier) bool {
	for _, s := range n.Sigs {
		if s.Name == v.Name() && s.Hash == v.KeyHash() {
			return true
		}
	}
	return false
}

// cosign submits cp to one witness, starting from the size it last cosigned.
func (c *Client) cosign(ctx context.Context, w Witness, cp auditlog.Checkpoint, signed []byte) ([]byte, error) {
	t := w.Transport
	if t == nil {
		var err error
		if t, err = defaultTransport(strings.TrimRight(w.URL, "/")); err != nil {
			return nil, err
		}
	}
	size := int64(0)
	for attempt := 0; attempt < 3; attempt++ {
		var proof [][32]byte
		if size > 0 && size < cp.Size {
			hs, err := c.consistency(ctx, size, cp.Size)
			if err != nil {
				return nil, err
			}
			for _, h := range hs {
				proof = append(proof, h)
			}
		}
		body := auditlog.WitnessRequest(size, proof, signed)
		resp, err := t.RoundTrip(ctx, &request{Method: "POST", Path: "/add-checkpoint", Body: bytes.NewReader(body),
			ContentLength: int64(len(body)), Header: map[string]string{"Content-Type": "text/plain"}})
		if err != nil {
			return nil, fmt.Errorf("witness %s: %w", w.URL, err)
		}
		answer, err := io.ReadAll(io.LimitReader(resp.Body, auditlog.MaxNoteSize))
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		switch resp.Status {
		case 200:
			return answer, nil
		case statusConflict:
			n, err := strconv.ParseInt(strings.TrimSpace(string(answer)), 10, 64)
			switch {
			case err != nil:
				return nil, fmt.Errorf("witness %s: bad conflict answer", w.URL)
			case n > cp.Size:
				return nil, errWitnessAhead
			case n == size:
				// Same size, another root: the witness saw a different log.
				return nil, fmt.Errorf("%w: witness %s cosigned another tree of %d entries", CheckLogFork, w.URL, n)
			}
			size = n
		case 422:
			return nil, fmt.Errorf("%w: witness %s saw a log this one does not extend", CheckLogFork, w.URL)
		default:
			return nil, fmt.Errorf("witness %s: status %d: %s", w.URL, resp.Status, bytes.TrimSpace(answer))
		}
	}
	return nil, fmt.Errorf("witness %s: the size it cosigned keeps changing", w.URL)
}
