// Command gen writes the record format's conformance kit (package
// internal/testkit) into a directory, testdata/conformance in this
// repository: run "go generate ./internal/testkit" after changing the kit.
// It writes every file of the kit and removes none; the kit's test fails on a
// file the generator no longer makes.
package main

import (
	"flag"
	"log"
	"os"
	"path/filepath"

	"github.com/blindvault/blindvault/internal/testkit"
)

func main() {
	dir := flag.String("dir", "testdata/conformance", "output `directory`")
	flag.Parse()
	files, err := testkit.Generate()
	if err != nil {
		log.Fatalf("gen: %v", err)
	}
	for name, data := range files {
		path := filepath.Join(*dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			log.Fatalf("gen: %v", err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			log.Fatalf("gen: %v", err)
		}
	}
}
