// Package witness is a transparency-log witness (c2sp.org/tlog-witness): it
// cosigns a log's checkpoints (c2sp.org/tlog-cosignature, cosignature/v1)
// only after checking that each one extends the last one it cosigned, so two
// clients that both see its cosignature saw the same log.
package witness

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/blindvault/blindvault/internal/atomicfile"
	"github.com/blindvault/blindvault/internal/auditlog"
)

// maxRequest bounds an add-checkpoint body: 63 proof lines and a checkpoint.
const maxRequest = 64*50 + auditlog.MaxNoteSize

// Witness witnesses one log.
type Witness struct {
	policy   *auditlog.Policy // the log's origin and key
	cosigner *auditlog.Cosigner
	state    string // file holding the last cosigned checkpoint body

	mu   sync.Mutex
	last auditlog.Checkpoint
}

// New returns a witness of the log with the given origin and verifier key,
// signing as cosigner and keeping its state in the file state.
func New(origin, logKey string, cosigner *auditlog.Cosigner, state string) (*Witness, error) {
	v, err := note.NewVerifier(logKey)
	if err != nil {
		return nil, fmt.Errorf("witness: log key: %w", err)
	}
	w := &Witness{policy: &auditlog.Policy{Origin: origin, Log: v}, cosigner: cosigner, state: state,
		last: auditlog.Checkpoint{Origin: origin}}
	body, err := os.ReadFile(state)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		if w.last, err = auditlog.ParseCheckpoint(string(body), origin); err != nil {
			return nil, fmt.Errorf("witness: state %s: %w", state, err)
		}
	}
	return w, nil
}

// Size returns the size of the last checkpoint cosigned.
func (w *Witness) Size() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.last.Size
}

// Handler serves POST /add-checkpoint.
func (w *Witness) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /add-checkpoint", w.addCheckpoint)
	return mux
}

func (w *Witness) addCheckpoint(rw http.ResponseWriter, r *http.Request) {
	oldSize, proof, msg, err := parseRequest(http.MaxBytesReader(rw, r.Body, maxRequest))
	if err != nil {
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	n, err := note.Open(msg, note.VerifierList(w.policy.Log))
	if err != nil {
		var unknown *note.UnknownVerifierError
		if errors.As(err, &unknown) || strings.Contains(err.Error(), "unverified") {
			http.Error(rw, "no signature by the log's key", http.StatusForbidden)
			return
		}
		http.Error(rw, err.Error(), http.StatusForbidden)
		return
	}
	cp, err := auditlog.ParseCheckpoint(n.Text, w.policy.Origin)
	if err != nil {
		http.Error(rw, err.Error(), http.StatusNotFound)
		return
	}
	if oldSize > cp.Size {
		http.Error(rw, "old size is larger than the checkpoint", http.StatusBadRequest)
		return
	}

	// Checking against the last checkpoint and storing the new one are one
	// step: two requests in between could otherwise roll the witness back.
	w.mu.Lock()
	defer w.mu.Unlock()
	if oldSize != w.last.Size {
		rw.Header().Set("Content-Type", "text/x.tlog.size")
		rw.WriteHeader(http.StatusConflict)
		fmt.Fprintf(rw, "%d\n", w.last.Size)
		return
	}
	if oldSize == cp.Size {
		if cp.Root != w.last.Root {
			rw.Header().Set("Content-Type", "text/x.tlog.size")
			rw.WriteHeader(http.StatusConflict)
			fmt.Fprintf(rw, "%d\n", w.last.Size)
			return
		}
	} else if oldSize > 0 {
		if err := tlog.CheckTree(proof, cp.Size, cp.Root, w.last.Size, w.last.Root); err != nil {
			http.Error(rw, "the consistency proof does not verify: "+err.Error(), http.StatusUnprocessableEntity)
			return
		}
	} else if len(proof) != 0 {
		http.Error(rw, "a proof from size 0 must be empty", http.StatusBadRequest)
		return
	}
	if err := w.persist(cp); err != nil {
		http.Error(rw, "cannot persist state", http.StatusInternalServerError)
		return
	}
	w.last = cp
	signed, err := note.Sign(&note.Note{Text: n.Text}, w.cosigner)
	if err != nil {
		http.Error(rw, err.Error(), http.StatusInternalServerError)
		return
	}
	// The answer is the signature lines alone: the note minus its text and
	// the blank line after it.
	rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
	rw.Write(signed[len(n.Text)+1:])
}

// persist writes the checkpoint body durably before it is cosigned.
func (w *Witness) persist(cp auditlog.Checkpoint) error {
	return atomicfile.Write(w.state, []byte(cp.Body()), 0o600)
}

// parseRequest splits an add-checkpoint body: "old N", proof lines, a blank
// line, then the signed checkpoint.
func parseRequest(r io.Reader) (int64, tlog.TreeProof, []byte, error) {
	br := bufio.NewReader(r)
	line, err := br.ReadString('\n')
	if err != nil {
		return 0, nil, nil, errors.New("missing old size line")
	}
	v, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "old ")
	size, perr := strconv.ParseInt(v, 10, 64)
	if !ok || perr != nil || size < 0 || strconv.FormatInt(size, 10) != v {
		return 0, nil, nil, errors.New("malformed old size line")
	}
	var proof tlog.TreeProof
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return 0, nil, nil, errors.New("missing blank line before the checkpoint")
		}
		if line == "\n" {
			break
		}
		h, err := base64.StdEncoding.Strict().DecodeString(strings.TrimSuffix(line, "\n"))
		if err != nil || len(h) != tlog.HashSize || len(proof) == 63 {
			return 0, nil, nil, errors.New("malformed consistency proof")
		}
		proof = append(proof, tlog.Hash(h))
	}
	msg, err := io.ReadAll(br)
	if err != nil {
		return 0, nil, nil, err
	}
	return size, proof, bytes.Clone(msg), nil
}
