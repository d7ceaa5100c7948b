package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/gorilla/mux"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/internal/auditlog"
	"github.com/blindvault/blindvault/server/store"
)

// The transparency log (docs/spec/log-v1.md). Every security
// event is appended as an entry in the same store transaction as the change it
// records; the server signs checkpoints of the tree with a log key kept apart
// from its other secrets, and every write answer carries a receipt: the
// entry, its index, an inclusion proof and a signed checkpoint.

// LogOrigin returns the default log origin for a server origin: its host and
// path without the scheme, followed by "/log".
func LogOrigin(origin string) string {
	if _, rest, ok := strings.Cut(origin, "://"); ok {
		origin = rest
	}
	return strings.TrimRight(origin, "/") + "/log"
}

// checkpoints signs checkpoints and keeps the last few, so that concurrent
// answers at one tree size share one signature: a write's receipt is of the
// tree its batch committed into, and answers of batches committed one after
// the other are written in any order.
type checkpoints struct {
	origin string
	signer note.Signer
	mu     sync.Mutex
	recent [recentCheckpoints]signedCheckpoint
	next   int // the slot the next new checkpoint takes
}

// recentCheckpoints is how many signed checkpoints are kept.
const recentCheckpoints = 8

type signedCheckpoint struct {
	size   int64
	signed []byte
}

// at returns the signed checkpoint of the tree of the given size, whose
// hashes hr reads; the tree hash is computed only for a new size.
func (c *checkpoints) at(size int64, hr tlog.HashReader) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range c.recent {
		if k.signed != nil && k.size == size {
			return k.signed, nil
		}
	}
	root, err := tlog.TreeHash(size, hr)
	if err != nil {
		return nil, err
	}
	signed, err := auditlog.Sign(auditlog.Checkpoint{Origin: c.origin, Size: size, Root: root}, c.signer)
	if err != nil {
		return nil, err
	}
	c.recent[c.next] = signedCheckpoint{size, signed}
	c.next = (c.next + 1) % recentCheckpoints
	return signed, nil
}

// Receipt proves that an entry is in the log: its index, the entry, an
// inclusion proof in the tree of the signed checkpoint (api.Receipt).
type Receipt = api.Receipt

// receipts returns the receipt of a committed batch's first entry, the one
// that records the operation itself (the version written, the ACL changed,
// the card published…); the others ride in the same transaction and are
// found by reading the log.
func (s *Server) receipts(ctx context.Context, b *store.LogBatch) ([]Receipt, error) {
	if len(b.Entries) == 0 {
		return []Receipt{}, nil
	}
	var out []Receipt
	// The tree the batch committed into: no need to ask the store its size.
	view := s.store.LogView
	if b.Size > b.First {
		view = func(ctx context.Context, fn func(int64, tlog.HashReader) error) error {
			return s.store.LogViewAt(ctx, b.Size, fn)
		}
	}
	err := view(ctx, func(size int64, hr tlog.HashReader) error {
		cp, err := s.checkpoints.at(size, hr)
		if err != nil {
			return err
		}
		p, err := tlog.ProveRecord(size, b.First, hr)
		if err != nil {
			return err
		}
		out = append(out, Receipt{Index: b.First, Entry: b.Entries[0], Proof: hashBytes(p), Checkpoint: string(cp)})
		return nil
	})
	return out, err
}

func hashBytes(hs []tlog.Hash) [][]byte {
	out := make([][]byte, len(hs))
	for i, h := range hs {
		out[i] = h[:]
	}
	return out
}

// logged runs write with the entries attached, so they commit with it, and
// returns their receipts.
func (s *Server) logged(ctx context.Context, entries []*auditlog.Entry, write func(ctx context.Context) error) ([]Receipt, error) {
	if s.noLog {
		return nil, write(ctx)
	}
	b := &store.LogBatch{}
	for _, e := range entries {
		b.Entries = append(b.Entries, e.Marshal())
	}
	if err := write(store.WithLog(ctx, b)); err != nil {
		return nil, err
	}
	s.alerts.observe(entries)
	return s.receipts(ctx, b)
}

// appendLog logs events that change nothing else (a read, an OPRF
// evaluation) and returns their receipts.
func (s *Server) appendLog(ctx context.Context, entries ...*auditlog.Entry) ([]Receipt, error) {
	if s.noLog {
		return []Receipt{{}}, nil
	}
	b := &store.LogBatch{}
	for _, e := range entries {
		b.Entries = append(b.Entries, e.Marshal())
	}
	first, err := s.store.AppendLog(ctx, b.Entries...)
	if err != nil {
		return nil, err
	}
	b.First = first
	return s.receipts(ctx, b)
}

// entry starts a log entry stamped with the server's clock.
func (s *Server) entry(t auditlog.Type, subject [32]byte) *auditlog.Entry {
	return &auditlog.Entry{Type: t, Time: uint64(s.now().Unix()), Subject: subject}
}

// logSalt is the per-record salt that names people in the record's entries.
// The server derives it (it knows who acts anyway) and gives it only to the
// record's owner and readers, so third parties reading the log see no names.
func (s *Server) logSalt(record store.RecordID) []byte {
	m := hmac.New(sha256.New, s.cfg.Secrets.OPRFSeed)
	m.Write([]byte("blindvault.v1 log salt\x00"))
	m.Write(record[:])
	return m.Sum(nil)
}

// actor names an account in an entry of record.
func (s *Server) actor(record store.RecordID, account store.AccountID) [32]byte {
	return auditlog.ActorHash(s.logSalt(record), account)
}

// logRoutes registers the public log API: anyone may read the log and its
// proofs, as entries hold pseudonymous ids only.
func (s *Server) logRoutes(r *mux.Router) {
	r.HandleFunc("/log/key", s.public(s.getLogKey)).Methods(http.MethodGet)
	r.HandleFunc("/log/checkpoint", s.public(s.getCheckpoint)).Methods(http.MethodGet)
	r.HandleFunc("/log/entries", s.public(s.getLogEntries)).Methods(http.MethodGet)
	r.HandleFunc("/log/proof", s.public(s.getInclusionProof)).Methods(http.MethodGet)
	r.HandleFunc("/log/consistency", s.public(s.getConsistencyProof)).Methods(http.MethodGet)
}

func (s *Server) getLogKey(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, api.LogKey{Origin: s.checkpoints.origin, Key: s.cfg.LogVerifierKey})
	return nil
}

func (s *Server) getCheckpoint(w http.ResponseWriter, r *http.Request) error {
	var cp []byte
	err := s.store.LogView(r.Context(), func(size int64, hr tlog.HashReader) error {
		var err error
		cp, err = s.checkpoints.at(size, hr)
		return err
	})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(cp)
	return err
}

func (s *Server) getLogEntries(w http.ResponseWriter, r *http.Request) error {
	from, err := queryInt(r, "from", 0)
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", int64(store.MaxList))
	if err != nil {
		return err
	}
	if limit < 1 || limit > api.MaxLogEntries {
		return errorf(http.StatusBadRequest, "bad_limit", "limit is 1 to %d", api.MaxLogEntries)
	}
	// The store answers at most MaxList entries a call.
	es := [][]byte{} // past the end: an empty list, not null
	for int64(len(es)) < limit {
		page, err := s.store.LogEntries(r.Context(), from+int64(len(es)), int(min(limit-int64(len(es)), store.MaxList)))
		if err != nil {
			return err
		}
		es = append(es, page...)
		if len(page) < store.MaxList {
			break
		}
	}
	writeJSON(w, http.StatusOK, api.LogEntries{Entries: es, From: from})
	return nil
}

// getInclusionProof answers ?index=I&size=N with the proof that entry I is in
// the tree of size N.
func (s *Server) getInclusionProof(w http.ResponseWriter, r *http.Request) error {
	index, err := queryInt(r, "index", -1)
	if err != nil {
		return err
	}
	return s.proof(w, r, func(size int64, hr tlog.HashReader) ([]tlog.Hash, error) {
		if index < 0 || index >= size {
			return nil, errorf(http.StatusBadRequest, "bad_index", "index %d not in a tree of %d", index, size)
		}
		return tlog.ProveRecord(size, index, hr)
	})
}

// getConsistencyProof answers ?from=M&size=N with the proof that the tree of
// size M is a prefix of the tree of size N.
func (s *Server) getConsistencyProof(w http.ResponseWriter, r *http.Request) error {
	from, err := queryInt(r, "from", -1)
	if err != nil {
		return err
	}
	return s.proof(w, r, func(size int64, hr tlog.HashReader) ([]tlog.Hash, error) {
		if from < 0 || from > size {
			return nil, errorf(http.StatusBadRequest, "bad_size", "size %d not within a tree of %d", from, size)
		}
		return tlog.ProveTree(size, from, hr)
	})
}

// proof runs prove at ?size=N (default: the current size) and writes the hashes.
func (s *Server) proof(w http.ResponseWriter, r *http.Request, prove func(size int64, hr tlog.HashReader) ([]tlog.Hash, error)) error {
	want, err := queryInt(r, "size", -1)
	if err != nil {
		return err
	}
	var hs []tlog.Hash
	err = s.store.LogView(r.Context(), func(size int64, hr tlog.HashReader) error {
		if want > size {
			return errorf(http.StatusBadRequest, "bad_size", "the log has %d entries", size)
		}
		if want >= 0 {
			size = want
		}
		var err error
		hs, err = prove(size, hr)
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.Consistency{Hashes: hashBytes(hs)})
	return nil
}

// queryInt parses an optional non-negative integer query parameter.
func queryInt(r *http.Request, name string, def int64) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, errorf(http.StatusBadRequest, "bad_"+name, "%s is not a number ≥ 0", name)
	}
	return n, nil
}

// receiptHeader is how a streamed answer (a body read) carries its receipt.
const receiptHeader = "Blindvault-Receipt"

// readNonceHeader carries a body read's request nonce: 64 hex digits, the 32
// random bytes the reader chose for this request. The server logs them as
// the Peer of the read's entry, so the receipt it returns proves this
// request's entry and no earlier one (docs/spec/log-v1.md §1, §6).
const readNonceHeader = "Blindvault-Read-Nonce"

// readNonce returns a body read's request nonce, zero if the client sent
// none (a client from before nonces). Anything but exactly one value of 64
// hex digits is a 400.
func readNonce(r *http.Request) ([32]byte, error) {
	var n [32]byte
	vs := r.Header.Values(readNonceHeader)
	if len(vs) == 0 {
		return n, nil
	}
	if len(vs) > 1 || len(vs[0]) != 2*len(n) {
		return n, errorf(http.StatusBadRequest, "bad_read_nonce", "%s must be one value of %d hex digits", readNonceHeader, 2*len(n))
	}
	if _, err := hex.Decode(n[:], []byte(vs[0])); err != nil {
		return [32]byte{}, errorf(http.StatusBadRequest, "bad_read_nonce", "%s is not hex", readNonceHeader)
	}
	return n, nil
}

func setReceiptHeader(w http.ResponseWriter, rc Receipt) error {
	b, err := json.Marshal(rc)
	if err != nil {
		return fmt.Errorf("receipt: %w", err)
	}
	w.Header().Set(receiptHeader, base64.StdEncoding.EncodeToString(b))
	return nil
}
