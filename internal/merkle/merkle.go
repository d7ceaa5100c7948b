// Package merkle computes [RFC 6962] Merkle tree hashes over the leaf list of a
// Blindvault body (docs/spec/format-v1.md §4).
//
// A leaf is SHA-256(0x00 ‖ data) and an interior node is
// SHA-256(0x01 ‖ left ‖ right), so leaves and nodes can never be confused. The
// tree over n leaves splits at k, the largest power of two smaller than n; this
// is the Merkle Tree Hash (MTH) of RFC 6962 §2.1, and the same tree that
// golang.org/x/mod/sumdb/tlog builds.
//
// [RFC 6962]: https://www.rfc-editor.org/rfc/rfc6962#section-2.1
package merkle

import (
	"crypto/sha256"
	"hash"
)

// HashSize is the size of a leaf, node and root hash.
const HashSize = sha256.Size

// Domain-separation prefixes from RFC 6962 §2.1.
const (
	leafPrefix = 0x00
	nodePrefix = 0x01
)

// LeafHash returns the RFC 6962 leaf hash SHA-256(0x00 ‖ data). In a body,
// data is one chunk's ciphertext including its tag.
func LeafHash(data []byte) [HashSize]byte {
	var lh LeafHasher
	return lh.Sum(data)
}

// LeafHasher computes leaf hashes reusing one SHA-256 state, so that hot loops
// hashing thousands of chunks do not allocate. The zero value is ready to use.
// A LeafHasher is not safe for concurrent use.
type LeafHasher struct {
	h hash.Hash
	// buf holds the prefix byte and the digest: slices passed to the
	// hash.Hash interface escape, and living here they are allocated once
	// instead of on every call.
	buf [1 + HashSize]byte
}

// Sum returns the RFC 6962 leaf hash SHA-256(0x00 ‖ data).
func (lh *LeafHasher) Sum(data []byte) [HashSize]byte {
	if lh.h == nil {
		lh.h = sha256.New()
	} else {
		lh.h.Reset()
	}
	lh.buf[0] = leafPrefix
	lh.h.Write(lh.buf[:1])
	lh.h.Write(data)
	return [HashSize]byte(lh.h.Sum(lh.buf[1:1]))
}

// NodeHash returns the RFC 6962 interior node hash SHA-256(0x01 ‖ left ‖ right).
func NodeHash(left, right [HashSize]byte) [HashSize]byte {
	var buf [1 + 2*HashSize]byte
	buf[0] = nodePrefix
	copy(buf[1:], left[:])
	copy(buf[1+HashSize:], right[:])
	return sha256.Sum256(buf[:])
}

// maxDepth bounds the Hasher's stack: a tree of n leaves keeps one subtree
// root per set bit of n, and n is a uint64.
const maxDepth = 64

// Hasher computes the Merkle Tree Hash of a stream of leaves in O(log n)
// memory. It keeps the roots of the perfect subtrees that the leaves added so
// far decompose into (one per set bit of the count, largest first), merging
// two equal-sized subtrees as soon as the second is complete. The zero value
// is an empty tree ready to use.
type Hasher struct {
	n     uint64
	depth int
	stack [maxDepth][HashSize]byte
}

// Add appends a leaf hash (see [LeafHash]) to the tree.
func (h *Hasher) Add(leaf [HashSize]byte) {
	node := leaf
	// Each trailing one bit of n is a perfect subtree of the same size as the
	// one just completed: fold them together.
	for c := h.n; c&1 == 1; c >>= 1 {
		h.depth--
		node = NodeHash(h.stack[h.depth], node)
	}
	h.stack[h.depth] = node
	h.depth++
	h.n++
}

// Count returns the number of leaves added so far.
func (h *Hasher) Count() uint64 { return h.n }

// Root returns the Merkle Tree Hash of the leaves added so far. It does not
// change the Hasher, so more leaves may be added afterwards.
//
// The root of zero leaves is SHA-256 of the empty string, as RFC 6962 defines
// it; a body always has at least one chunk, so Blindvault never uses it.
func (h *Hasher) Root() [HashSize]byte {
	if h.depth == 0 {
		return sha256.Sum256(nil)
	}
	// The stack holds perfect subtrees in decreasing size, which is exactly
	// how MTH splits the list (left part a power of two), so fold from the
	// right.
	root := h.stack[h.depth-1]
	for i := h.depth - 2; i >= 0; i-- {
		root = NodeHash(h.stack[i], root)
	}
	return root
}

// Root returns the Merkle Tree Hash of leaves (leaf hashes, see [LeafHash]).
// Like [Hasher.Root], the root of an empty list is SHA-256 of the empty
// string.
func Root(leaves [][HashSize]byte) [HashSize]byte {
	var h Hasher
	for _, l := range leaves {
		h.Add(l)
	}
	return h.Root()
}
