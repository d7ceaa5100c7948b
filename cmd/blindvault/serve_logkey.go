package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// logKeyFileName is where the transparency log's signing key lives by
// default: a file of its own (mode 0600) in the data directory, apart from the
// master key and the store, so that a store backup never holds it. Servers
// sharing a store share the file (--log-key-file): their checkpoints of one
// size are then the same bytes, Ed25519 signatures being deterministic.
const logKeyFileName = "log-key"

// loadLogKey reads the key file at path, or makes one named origin on first start,
// and returns the signer and its verifier key. The key's name is the log's
// origin from then on, even if the server's address changes: clients pin it.
func loadLogKey(path, origin string) (note.Signer, string, error) {
	text, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		skey, vkey, err := note.GenerateKey(rand.Reader, origin)
		if err != nil {
			return nil, "", err
		}
		if err := writeNewFile(path, []byte(skey+"\n"+vkey+"\n"), 0o600); err != nil {
			return nil, "", err
		}
		text = []byte(skey + "\n" + vkey + "\n")
	} else if err != nil {
		return nil, "", err
	}
	lines := strings.Fields(string(text))
	if len(lines) != 2 {
		return nil, "", fmt.Errorf("%s: want a signer key and a verifier key", path)
	}
	signer, err := note.NewSigner(lines[0])
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	if _, err := note.NewVerifier(lines[1]); err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	return signer, lines[1], nil
}
