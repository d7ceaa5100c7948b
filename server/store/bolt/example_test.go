package bolt_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/server/store/bolt"
)

func ExampleOpen() {
	dir, err := os.MkdirTemp("", "blindvault-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	s, err := bolt.Open(filepath.Join(dir, "store.db"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()

	owner := store.AccountID{1}
	err = s.CreateAccount(ctx, store.NewAccount{
		ID: owner, Handle: "alice", Role: store.RolePatient,
		KeyCard: store.KeyCard{Seq: 1, Signed: []byte("signed key card")},
		Device:  store.Device{ID: store.DeviceID{2}, Cert: []byte("signed device cert")},
		Backup:  []byte("backup blob"), OPRFSetup: []byte("oprf setup"), Created: time.Now(),
	})
	if err != nil {
		log.Fatal(err)
	}

	// Version 1 of a record: no previous header.
	header := []byte("signed header, version 1")
	body := "ciphertext of the body"
	v1 := store.VersionWrite{
		Record: store.RecordID{3}, Owner: owner, Author: owner, Version: 1,
		HeaderHash: sha256.Sum256(header), Header: header, BodySize: int64(len(body)), Created: time.Now(),
	}
	if err := s.PutVersion(ctx, v1, strings.NewReader(body)); err != nil {
		log.Fatal(err)
	}

	// A second writer still holding version 0 as the head loses.
	stale := v1
	stale.Header = []byte("another version 1")
	stale.HeaderHash = sha256.Sum256(stale.Header)
	err = s.PutVersion(ctx, stale, strings.NewReader(body))
	fmt.Println("stale write conflicts:", errors.Is(err, store.ErrConflict))

	r, err := s.OpenBody(ctx, v1.Record, 1, 14, 8)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	b, _ := io.ReadAll(r)
	fmt.Printf("bytes 14-21: %s\n", b)
	// Output:
	// stale write conflicts: true
	// bytes 14-21: the body
}
