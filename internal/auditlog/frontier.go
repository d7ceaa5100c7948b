package auditlog

import (
	"crypto/sha256"
	"fmt"
	"math/bits"

	"golang.org/x/mod/sumdb/tlog"
)

// Frontier is the right edge of an RFC 6962 tree: the roots of its perfect
// subtrees, largest first, one per set bit of its size. It is all a client
// must keep to append entries and compute the root, so a client resumes
// reading the log where it stopped instead of from the first entry.
type Frontier struct {
	n      int64
	hashes []tlog.Hash
}

// NewFrontier restores a frontier of size n from its subtree roots.
func NewFrontier(n int64, hashes []tlog.Hash) (*Frontier, error) {
	if n < 0 || len(hashes) != bits.OnesCount64(uint64(n)) {
		return nil, fmt.Errorf("auditlog: a frontier of %d entries has %d subtree roots, not %d", n, bits.OnesCount64(uint64(max(n, 0))), len(hashes))
	}
	return &Frontier{n: n, hashes: append([]tlog.Hash(nil), hashes...)}, nil
}

// Size returns the number of entries appended.
func (f *Frontier) Size() int64 { return f.n }

// Hashes returns the subtree roots, largest first.
func (f *Frontier) Hashes() []tlog.Hash { return append([]tlog.Hash(nil), f.hashes...) }

// Append adds the next entry: its leaf hash merges with every subtree of the
// same height, as the trailing set bits of the size say.
func (f *Frontier) Append(entry []byte) {
	h := tlog.RecordHash(entry)
	for n := f.n; n&1 == 1; n >>= 1 {
		last := len(f.hashes) - 1
		h = tlog.NodeHash(f.hashes[last], h)
		f.hashes = f.hashes[:last]
	}
	f.hashes = append(f.hashes, h)
	f.n++
}

// Root returns the tree hash of the entries appended (RFC 6962 §2.1).
func (f *Frontier) Root() tlog.Hash {
	if f.n == 0 {
		return sha256.Sum256(nil) // the empty tree's hash
	}
	r := f.hashes[len(f.hashes)-1]
	for i := len(f.hashes) - 2; i >= 0; i-- {
		r = tlog.NodeHash(f.hashes[i], r)
	}
	return r
}
