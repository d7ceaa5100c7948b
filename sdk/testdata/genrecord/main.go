// Command genrecord writes the record-file compatibility fixture: a v1 record file
// from "author" to "reader", the reader's identity, the author's card and the
// plaintext. Encryption is randomised, so the fixture is made once and kept:
// TestDecrypt_CompatibilityFixture proves that every later reader still opens it.
// Regenerate only when the format version changes:
//
//	go run ./sdk/testdata/genrecord -dir sdk/testdata
package main

import (
	"bytes"
	"context"
	"flag"
	"log"
	"os"
	"path/filepath"

	"github.com/blindvault/blindvault/sdk"
)

// plaintext spans three chunks with a short tail, so the fixture exercises the
// Merkle tree, the chunk counter and the final-chunk rule.
var plaintext = bytes.Repeat([]byte("Blindvault format v1 compatibility fixture.\n"), 1200)

func main() {
	dir := flag.String("dir", ".", "output `directory`")
	flag.Parse()
	author, err := sdk.NewIdentity("fixture-author")
	if err != nil {
		log.Fatal(err)
	}
	reader, err := sdk.NewIdentity("fixture-reader")
	if err != nil {
		log.Fatal(err)
	}
	var file bytes.Buffer
	err = sdk.Encrypt(context.Background(), &file, bytes.NewReader(plaintext), author, []*sdk.KeyCard{reader.Card()},
		&sdk.EncryptOptions{Title: "Fixture", Type: "text/plain", Tags: []string{"fixture"}})
	if err != nil {
		log.Fatal(err)
	}
	card, _ := author.Card().MarshalText()
	for name, data := range map[string][]byte{
		"record-v1.bv":          file.Bytes(),
		"record-v1.reader.key":  reader.MarshalText(),
		"record-v1.author.card": card,
		"record-v1.txt":         plaintext,
	} {
		if err := os.WriteFile(filepath.Join(*dir, name), data, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}
