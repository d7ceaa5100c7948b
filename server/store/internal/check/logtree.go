package check

import (
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// LogTree recomputes a transparency log's stored hashes from its entries,
// read in index order, so that a backend's Check can compare them with the
// hashes it stored.
type LogTree struct {
	hashes []tlog.Hash
	n      int64
}

// Add appends the next entry.
func (t *LogTree) Add(entry []byte) error {
	hs, err := tlog.StoredHashes(t.n, entry, t)
	if err != nil {
		return fmt.Errorf("log entry %d: %w", t.n, err)
	}
	t.hashes = append(t.hashes, hs...)
	t.n++
	return nil
}

// Entries returns how many entries were added.
func (t *LogTree) Entries() int64 { return t.n }

// Hashes returns how many stored hashes those entries make.
func (t *LogTree) Hashes() int64 { return int64(len(t.hashes)) }

// Matches reports whether stored hash i is h.
func (t *LogTree) Matches(i int64, h []byte) bool {
	return i >= 0 && i < int64(len(t.hashes)) && string(h) == string(t.hashes[i][:])
}

// ReadHashes implements tlog.HashReader over the hashes computed so far.
func (t *LogTree) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(t.hashes)) {
			return nil, fmt.Errorf("log hash %d not yet computed", x)
		}
		out[i] = t.hashes[x]
	}
	return out, nil
}
