// Command gen writes the format v1 test vectors, sdk/testdata/format-v1.json.
// The vectors are built by package internal/format/vectors, whose test checks
// that the file is up to date; run "go generate ./internal/format/vectors"
// after changing either.
package main

import (
	"flag"
	"log"
	"os"

	"github.com/blindvault/blindvault/internal/format/vectors"
)

func main() {
	out := flag.String("o", "format-v1.json", "output `file`")
	flag.Parse()
	b, err := vectors.Generate()
	if err != nil {
		log.Fatalf("gen: %v", err)
	}
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		log.Fatalf("gen: %v", err)
	}
}
