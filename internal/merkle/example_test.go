package merkle_test

import (
	"fmt"

	"github.com/blindvault/blindvault/internal/merkle"
)

func ExampleHasher() {
	var h merkle.Hasher
	for _, chunk := range []string{"chunk 0", "chunk 1", "chunk 2"} {
		h.Add(merkle.LeafHash([]byte(chunk)))
	}
	leaves := [][32]byte{
		merkle.LeafHash([]byte("chunk 0")),
		merkle.LeafHash([]byte("chunk 1")),
		merkle.LeafHash([]byte("chunk 2")),
	}
	fmt.Println(h.Count(), h.Root() == merkle.Root(leaves))
	// Output: 3 true
}
