package auditlog

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// A checkpoint is the c2sp.org/tlog-checkpoint body
//
//	<origin>\n<size>\n<base64 root hash>\n
//
// signed as a note (golang.org/x/mod/sumdb/note) by the log's key and
// cosigned by witnesses. x/mod's tlog.FormatTree writes the go.sum origin, so
// the body is written and parsed here, with an exact origin and bounded size.

// MaxNoteSize bounds a signed checkpoint (the body and its signature lines).
const MaxNoteSize = 8 << 10

var (
	// ErrCheckpoint is a checkpoint that does not parse or names another log.
	ErrCheckpoint = errors.New("auditlog: malformed checkpoint")
	// ErrCheckpointSignature is a checkpoint not signed by the log's key, or
	// without the required witness cosignatures.
	ErrCheckpointSignature = errors.New("auditlog: checkpoint signature does not verify")
)

// Checkpoint is a signed statement of the log's size and root hash.
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
}

// Body returns the checkpoint's note text.
func (c Checkpoint) Body() string {
	return fmt.Sprintf("%s\n%d\n%s\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Root[:]))
}

// ParseCheckpoint parses a checkpoint body for the log named origin.
func ParseCheckpoint(body, origin string) (Checkpoint, error) {
	lines := bytes.Split([]byte(body), []byte("\n"))
	if len(body) > MaxNoteSize || len(lines) != 4 || len(lines[3]) != 0 {
		return Checkpoint{}, fmt.Errorf("%w: want exactly three lines", ErrCheckpoint)
	}
	if string(lines[0]) != origin {
		return Checkpoint{}, fmt.Errorf("%w: origin %q, want %q", ErrCheckpoint, lines[0], origin)
	}
	size, err := strconv.ParseInt(string(lines[1]), 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != string(lines[1]) {
		return Checkpoint{}, fmt.Errorf("%w: size %q", ErrCheckpoint, lines[1])
	}
	root, err := base64.StdEncoding.Strict().DecodeString(string(lines[2]))
	if err != nil || len(root) != tlog.HashSize {
		return Checkpoint{}, fmt.Errorf("%w: root hash %q", ErrCheckpoint, lines[2])
	}
	return Checkpoint{Origin: origin, Size: size, Root: tlog.Hash(root)}, nil
}

// Sign returns the checkpoint as a note signed by signer.
func Sign(c Checkpoint, signer note.Signer) ([]byte, error) {
	return note.Sign(&note.Note{Text: c.Body()}, signer)
}

// Policy is what a client requires of a checkpoint: the log's signature and
// cosignatures from at least Quorum of the Witnesses.
type Policy struct {
	Origin    string
	Log       note.Verifier
	Witnesses []note.Verifier
	Quorum    int
}

// Open verifies a signed checkpoint under the policy and parses it. It returns
// the cosignature times of the witnesses that signed, by witness name.
func (p *Policy) Open(msg []byte) (Checkpoint, map[string]int64, error) {
	if len(msg) > MaxNoteSize {
		return Checkpoint{}, nil, fmt.Errorf("%w: %d bytes", ErrCheckpoint, len(msg))
	}
	vs := append([]note.Verifier{p.Log}, p.Witnesses...)
	n, err := note.Open(msg, note.VerifierList(vs...))
	if err != nil {
		return Checkpoint{}, nil, fmt.Errorf("%w: %w", ErrCheckpointSignature, err)
	}
	logSigned := false
	times := map[string]int64{}
	for _, s := range n.Sigs {
		if s.Name == p.Log.Name() && s.Hash == p.Log.KeyHash() {
			logSigned = true
			continue
		}
		if t, ok := cosignatureTime(s.Base64); ok {
			times[s.Name] = t
		}
	}
	if !logSigned {
		return Checkpoint{}, nil, fmt.Errorf("%w: not signed by the log key", ErrCheckpointSignature)
	}
	if len(times) < p.Quorum {
		return Checkpoint{}, nil, fmt.Errorf("%w: %d witness cosignatures, %d required", ErrCheckpointSignature, len(times), p.Quorum)
	}
	c, err := ParseCheckpoint(n.Text, p.Origin)
	return c, times, err
}
