package merkle

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// record returns distinct test data for leaf i.
func record(i int) []byte {
	b := make([]byte, 8+i%37)
	binary.BigEndian.PutUint64(b, uint64(i))
	return b
}

// naiveMTH is RFC 6962 §2.1 written recursively, as a second reference.
func naiveMTH(leaves [][HashSize]byte) [HashSize]byte {
	n := len(leaves)
	if n == 0 {
		return sha256.Sum256(nil)
	}
	if n == 1 {
		return leaves[0]
	}
	k := 1
	for k*2 < n {
		k *= 2
	}
	return NodeHash(naiveMTH(leaves[:k]), naiveMTH(leaves[k:]))
}

func TestLeafHash_MatchesTlogRecordHash(t *testing.T) {
	for i := range 50 {
		data := record(i)
		if got, want := LeafHash(data), tlog.RecordHash(data); got != want {
			t.Fatalf("LeafHash(%x) = %x, want %x", data, got, want)
		}
	}
	if got, want := LeafHash(nil), tlog.RecordHash(nil); got != want {
		t.Fatalf("LeafHash(nil) = %x, want %x", got, want)
	}
}

func TestLeafHasher_Sum_Reuse(t *testing.T) {
	var lh LeafHasher
	for i := range 20 {
		data := record(i)
		if got, want := lh.Sum(data), LeafHash(data); got != want {
			t.Fatalf("LeafHasher.Sum(%x) = %x, want %x", data, got, want)
		}
	}
}

func TestNodeHash_MatchesTlog(t *testing.T) {
	l, r := LeafHash([]byte("left")), LeafHash([]byte("right"))
	if got, want := NodeHash(l, r), tlog.NodeHash(l, r); got != want {
		t.Fatalf("NodeHash = %x, want %x", got, want)
	}
}

// TestHasher_Root_MatchesTlog builds one log of 300 records with tlog's stored
// hashes and checks the streaming Hasher and Root against tlog.TreeHash at
// every size from 1 to 300.
func TestHasher_Root_MatchesTlog(t *testing.T) {
	const max = 300
	var stored []tlog.Hash
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			if x < 0 || x >= int64(len(stored)) {
				return nil, fmt.Errorf("hash index %d out of range", x)
			}
			out[i] = stored[x]
		}
		return out, nil
	})

	var h Hasher
	leaves := make([][HashSize]byte, 0, max)
	for n := 1; n <= max; n++ {
		data := record(n - 1)
		hs, err := tlog.StoredHashes(int64(n-1), data, reader)
		if err != nil {
			t.Fatalf("tlog.StoredHashes(%d) error: %v", n-1, err)
		}
		stored = append(stored, hs...)

		leaf := LeafHash(data)
		leaves = append(leaves, leaf)
		h.Add(leaf)

		want, err := tlog.TreeHash(int64(n), reader)
		if err != nil {
			t.Fatalf("tlog.TreeHash(%d) error: %v", n, err)
		}
		if got := h.Root(); got != want {
			t.Fatalf("Hasher.Root() after %d leaves = %x, want %x", n, got, want)
		}
		if got := Root(leaves); got != want {
			t.Fatalf("Root(%d leaves) = %x, want %x", n, got, want)
		}
		if got := naiveMTH(leaves); got != want {
			t.Fatalf("naiveMTH(%d leaves) = %x, want %x", n, got, want)
		}
		if got := h.Count(); got != uint64(n) {
			t.Fatalf("Hasher.Count() = %d, want %d", got, n)
		}
	}
}

func TestHasher_Root_One(t *testing.T) {
	leaf := LeafHash([]byte("only"))
	var h Hasher
	h.Add(leaf)
	if got := h.Root(); got != leaf {
		t.Fatalf("Hasher.Root() of one leaf = %x, want the leaf %x", got, leaf)
	}
}

func TestHasher_Root_Empty(t *testing.T) {
	var h Hasher
	if got, want := h.Root(), sha256.Sum256(nil); got != want {
		t.Fatalf("Hasher.Root() of no leaves = %x, want SHA-256(\"\") %x", got, want)
	}
	if got, want := Root(nil), sha256.Sum256(nil); got != want {
		t.Fatalf("Root(nil) = %x, want %x", got, want)
	}
}

// TestHasher_Root_Large checks the stack handling at sizes around powers of
// two well beyond the tlog sweep, against the recursive definition.
func TestHasher_Root_Large(t *testing.T) {
	for _, n := range []int{1023, 1024, 1025, 4095, 4096, 4097, 5000} {
		leaves := make([][HashSize]byte, n)
		var h Hasher
		for i := range leaves {
			leaves[i] = LeafHash(record(i))
			h.Add(leaves[i])
		}
		if got, want := h.Root(), naiveMTH(leaves); got != want {
			t.Fatalf("Hasher.Root() of %d leaves = %x, want %x", n, got, want)
		}
	}
}

func BenchmarkHasher_Add(b *testing.B) {
	leaf := LeafHash([]byte("x"))
	var h Hasher
	for b.Loop() {
		h.Add(leaf)
	}
}
