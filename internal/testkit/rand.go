package testkit

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand/v2"
)

// derive returns 32 bytes for a label: the root of every key, id and secret here.
func derive(label string) []byte {
	h := sha256.Sum256([]byte("blindvault.v1 testkit " + label))
	return h[:]
}

// stream is a deterministic random stream for a label, handed to the writer
// wherever the product draws from crypto/rand.
func stream(label string) io.Reader {
	return rand.NewChaCha8([32]byte(derive(label)))
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic("testkit: " + err.Error()) // only given constants of this package
	}
	return b
}
