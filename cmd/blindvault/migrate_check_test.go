package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/server/store/bolt"
)

func random32() (b [32]byte) {
	rand.Read(b[:])
	return b
}

// proveSame accepts a copy (a snapshot restored elsewhere) and refuses a
// target whose log or records differ.
func TestProveSame(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src, err := bolt.Open(filepath.Join(dir, "src.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	id := random32()
	a := store.NewAccount{
		ID: id, Handle: "alice", Role: store.RolePatient,
		KeyCard: store.KeyCard{Seq: 1, Signed: []byte("card"), Added: time.Now()},
		Device:  store.Device{ID: random32(), Cert: []byte("cert"), Added: time.Now()},
		Backup:  []byte("backup"), OPRFSetup: []byte("oprf"), Created: time.Now(),
	}
	if err := src.CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		body := bytes.Repeat([]byte{byte(i)}, 1000*(i+1))
		header := random32()
		w := store.VersionWrite{Record: random32(), Owner: a.ID, Author: a.ID, Version: 1,
			HeaderHash: sha256.Sum256(header[:]), Header: header[:], Leaves: make([]byte, 32),
			BodySize: int64(len(body)), Created: time.Now()}
		if err := src.PutVersion(store.WithLog(ctx, &store.LogBatch{Entries: [][]byte{header[:]}}), w, bytes.NewReader(body)); err != nil {
			t.Fatal(err)
		}
	}
	var snap bytes.Buffer
	if _, err := src.Snapshot(ctx, &snap); err != nil {
		t.Fatal(err)
	}
	dst, err := bolt.Open(filepath.Join(dir, "dst.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if err := dst.Restore(ctx, &snap); err != nil {
		t.Fatal(err)
	}
	got, err := proveSame(ctx, src, dst, []store.AccountID{a.ID})
	if err != nil || got.LogSize != 3 || got.Records != 3 || got.Bodies != 3 {
		t.Fatalf("proveSame(copy) = %+v, %v; want 3 log entries, 3 records, 3 bodies", got, err)
	}
	if _, err := dst.AppendLog(ctx, []byte("extra")); err != nil {
		t.Fatal(err)
	}
	if _, err := proveSame(ctx, src, dst, []store.AccountID{a.ID}); err == nil || !strings.Contains(err.Error(), "log") {
		t.Fatalf("proveSame(a longer log) = %v, want a log mismatch", err)
	}
	if _, err := src.AppendLog(ctx, []byte("extra")); err != nil {
		t.Fatal(err)
	}
	header := random32()
	w := store.VersionWrite{Record: random32(), Owner: a.ID, Author: a.ID, Version: 1,
		HeaderHash: sha256.Sum256(header[:]), Header: header[:], Leaves: make([]byte, 32), BodySize: 1, Created: time.Now()}
	if err := src.PutVersion(ctx, w, bytes.NewReader([]byte{1})); err != nil {
		t.Fatal(err)
	}
	if _, err := proveSame(ctx, src, dst, []store.AccountID{a.ID}); err == nil || !strings.Contains(err.Error(), "target head") {
		t.Fatalf("proveSame(a record missing) = %v, want a head mismatch", err)
	}
}
