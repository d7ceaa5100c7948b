package sdk

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// A journal keeps a file that grows with the records (the profile, the
// record index) written in proportion to what changed: a base, replaced
// whole now and then, and beside it a journal of what each operation changed
// since, one frame appended per operation (docs/spec/client-v1.md §1.1).
//
//	frame   = u32 length ‖ u32 ^length ‖ [32] SHA-256(payload) ‖ payload
//	journal = frame(header) ‖ frame(change)*
//
// The header is {"journal":1,"base":ID}, ID being the random id the base was
// written with: a journal whose header names another base is stale (a crash
// between writing a new base and starting its journal) and is ignored, its
// changes being in the base. A crash while appending leaves a torn last
// frame (a prefix of it, or zero bytes), which is discarded; any other frame
// that does not check (a length and its complement that disagree, a checksum
// that fails with bytes after the frame) is damage: an error, never a
// silently shorter journal.

const (
	journalVersion = 1
	frameHead      = 8 + sha256.Size
	// maxFrame bounds one frame: a length above it is damage, not a torn
	// write.
	maxFrame = 16 << 20
)

// appendFrame appends payload to dst as a frame.
func appendFrame(dst, payload []byte) []byte {
	sum := sha256.Sum256(payload)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(payload)))
	dst = binary.BigEndian.AppendUint32(dst, ^uint32(len(payload)))
	dst = append(dst, sum[:]...)
	return append(dst, payload...)
}

// readFrames splits data into frames. A torn last frame (a write that did
// not finish: a prefix of a frame, or zero bytes) ends the journal at end,
// with no error; any other frame that does not check is damage: ErrInvalid.
func readFrames(data []byte) (frames [][]byte, end int, err error) {
	for end < len(data) {
		rest := data[end:]
		if len(rest) < frameHead || allZero(rest) {
			return frames, end, nil // torn
		}
		n := binary.BigEndian.Uint32(rest)
		if n != ^binary.BigEndian.Uint32(rest[4:]) || n > maxFrame {
			return nil, 0, fmt.Errorf("%w: journal frame at byte %d has a damaged length", ErrInvalid, end)
		}
		if uint64(len(rest)) < frameHead+uint64(n) {
			return frames, end, nil // torn
		}
		payload := rest[frameHead : frameHead+n]
		if sum := sha256.Sum256(payload); !bytes.Equal(sum[:], rest[8:frameHead]) {
			if len(rest) == frameHead+int(n) {
				return frames, end, nil // torn: the last frame, its bytes not all written
			}
			return nil, 0, fmt.Errorf("%w: journal frame at byte %d fails its checksum", ErrInvalid, end)
		}
		frames = append(frames, payload)
		end += frameHead + int(n)
	}
	return frames, end, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// journalHeader is a journal's first frame.
type journalHeader struct {
	Journal int    `json:"journal"`
	Base    string `json:"base"`
}

func newJournalID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func headerFrame(base string) []byte {
	h, _ := json.Marshal(journalHeader{Journal: journalVersion, Base: base})
	return appendFrame(nil, h)
}

// journal is the state of one journal file beside its base.
type journal struct {
	name string // the journal's storage name
	base string // the id of the base it follows
	size int    // bytes of the journal file, as written
	// stale: the file does not follow base (missing, stale, or a failed
	// append left part of a frame in it), so the next write starts a new
	// base and journal instead of appending.
	stale bool
}

// load reads the journal of the base with id base and returns its changes,
// oldest first. A missing or stale journal has none. A torn last frame is cut
// off the file at once, so that the next frame does not follow it.
func (j *journal) load(ctx context.Context, s Storage, base string) ([][]byte, error) {
	j.base, j.size, j.stale = base, 0, true
	data, err := s.Load(ctx, j.name)
	if isNotExist(err) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	frames, end, err := readFrames(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", j.name, err)
	}
	if len(frames) == 0 {
		return nil, nil // empty, or a header torn as it was first written
	}
	var h journalHeader
	if err := json.Unmarshal(frames[0], &h); err != nil || h.Journal != journalVersion {
		return nil, fmt.Errorf("%w: %s: header", ErrInvalid, j.name)
	}
	if base == "" || h.Base != base {
		return nil, nil
	}
	if end < len(data) {
		if err := s.Save(ctx, j.name, data[:end]); err != nil {
			return nil, fmt.Errorf("%s: cutting a torn frame: %w", j.name, err)
		}
	}
	j.size, j.stale = end, false
	return frames[1:], nil
}

// add appends one change to a journal that follows its base: the caller
// starts a new base instead when due says so (a stale journal included).
func (j *journal) add(ctx context.Context, s Storage, change []byte) error {
	if j.stale {
		return fmt.Errorf("%s: appending to a stale journal", j.name)
	}
	frame := appendFrame(nil, change)
	if err := appendStorage(ctx, s, j.name, frame); err != nil {
		// Part of the frame may be in the file: the next write replaces it.
		j.stale = true
		return err
	}
	j.size += len(frame)
	return nil
}

// due reports whether the journal has outgrown its base (of baseSize bytes)
// and should be folded into a new one: when it holds more than half the
// base's bytes, so that rewriting the base costs each change a constant
// share, whatever the base's size.
func (j *journal) due(baseSize int) bool {
	return j.stale || j.size > journalSlack+baseSize/2
}

// journalSlack is what a journal may hold beyond half its base: a small
// base is not rewritten at every change.
var journalSlack = 64 << 10

// rebase starts the journal of a new base, written by the caller before: a
// crash in between leaves a journal naming the old base, ignored.
func (j *journal) rebase(ctx context.Context, s Storage, base string) error {
	j.base, j.stale = base, true
	data := headerFrame(base)
	if err := s.Save(ctx, j.name, data); err != nil {
		return err
	}
	j.size, j.stale = len(data), false
	return nil
}
