package auditlog

import (
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// Tree is an in-memory Merkle tree of log entries, built by appending every
// entry in order: what a client uses to check that the entries a server
// served are exactly the log its checkpoint signs.
type Tree struct {
	n      int64
	hashes []tlog.Hash // in tlog storage order
}

// Size returns the number of entries appended.
func (t *Tree) Size() int64 { return t.n }

// Append adds the next entry.
func (t *Tree) Append(entry []byte) error {
	hs, err := tlog.StoredHashes(t.n, entry, t)
	if err != nil {
		return err
	}
	t.hashes = append(t.hashes, hs...)
	t.n++
	return nil
}

// ReadHashes implements tlog.HashReader.
func (t *Tree) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(t.hashes)) {
			return nil, fmt.Errorf("auditlog: hash %d not in a tree of %d entries", x, t.n)
		}
		out[i] = t.hashes[x]
	}
	return out, nil
}

// Root returns the tree hash of the entries appended.
func (t *Tree) Root() (tlog.Hash, error) { return tlog.TreeHash(t.n, t) }
