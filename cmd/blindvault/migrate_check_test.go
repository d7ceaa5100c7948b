package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"path/filepath"
	"strings"
	"testing"

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
	owner := newSourceAccount(t, src)
	for i := range 3 {
		putRecord(t, src, owner, bytes.Repeat([]byte{byte(i)}, 1000*(i+1)), true)
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
	got, err := proveSame(ctx, src, dst, []store.AccountID{owner})
	if err != nil || got.LogSize != 3 || got.Records != 3 || got.Bodies != 3 {
		t.Fatalf("proveSame(copy) = %+v, %v; want 3 log entries, 3 records, 3 bodies", got, err)
	}
	if _, err := dst.AppendLog(ctx, []byte("extra")); err != nil {
		t.Fatal(err)
	}
	if _, err := proveSame(ctx, src, dst, []store.AccountID{owner}); err == nil || !strings.Contains(err.Error(), "log") {
		t.Fatalf("proveSame(a longer log) = %v, want a log mismatch", err)
	}
	if _, err := src.AppendLog(ctx, []byte("extra")); err != nil {
		t.Fatal(err)
	}
	putRecord(t, src, owner, []byte{1}, false)
	if _, err := proveSame(ctx, src, dst, []store.AccountID{owner}); err == nil || !strings.Contains(err.Error(), "target head") {
		t.Fatalf("proveSame(a record missing) = %v, want a head mismatch", err)
	}
}
