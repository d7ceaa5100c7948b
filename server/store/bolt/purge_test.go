package bolt_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/server/store/bolt"
)

// Deleted records are gone from the raw file after Compact, and only then:
// the scan first proves it can see the marker.
func TestStore_DeleteRecord_CompactPurgesFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "store.db")
	s, err := bolt.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mark := []byte("BLINDVAULT-PLANTED-" + rand.Text())
	count := func() int {
		t.Helper()
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return bytes.Count(raw, mark)
	}
	owner := createAccount(t, s, "alice")
	rec := store.RecordID{1}
	body := bytes.Repeat(mark, (3<<20)/len(mark))
	header := append([]byte("header "), mark...)
	w := store.VersionWrite{
		Record: rec, Owner: owner, Author: owner, Version: 1, HeaderHash: store.Hash{1}, Header: header,
		Leaves: bytes.Repeat(mark, 32)[:32*len(mark)], BodySize: int64(len(body)), Created: time.Now(),
		Sharing: store.Sharing{ACL: &store.ACL{Seq: 1, Signed: mark}},
	}
	if err := s.PutVersion(ctx, w, bytes.NewReader(body)); err != nil {
		t.Fatalf("PutVersion() = %v", err)
	}
	if n := count(); n < len(body)/len(mark) {
		t.Fatalf("raw file holds the marker %d times before delete, want ≥ %d", n, len(body)/len(mark))
	}
	if err := s.DeleteRecord(ctx, store.Deletion{Record: rec, Owner: owner, Deleted: time.Now()}); err != nil {
		t.Fatalf("DeleteRecord() = %v", err)
	}
	if n := count(); n == 0 {
		t.Fatalf("raw file lost the marker before Compact: the check below would prove nothing")
	}
	if err := s.Compact(ctx); err != nil {
		t.Fatalf("Compact() = %v", err)
	}
	if n := count(); n != 0 {
		t.Fatalf("raw file holds the marker %d times after delete and compact, want 0", n)
	}
	if _, err := os.Stat(path + ".compact"); !os.IsNotExist(err) {
		t.Fatalf("compaction left its temporary file: %v", err)
	}
}

func createAccount(t *testing.T, s store.Store, handle string) store.AccountID {
	t.Helper()
	var id store.AccountID
	rand.Read(id[:])
	err := s.CreateAccount(context.Background(), store.NewAccount{
		ID: id, Handle: handle, Role: store.RolePatient,
		KeyCard: store.KeyCard{Seq: 1, Signed: []byte("card")}, Device: store.Device{ID: store.DeviceID(id), Cert: []byte("cert")},
		Backup: []byte("backup"), OPRFSetup: []byte("oprf"), Created: time.Now(),
	})
	if err != nil {
		t.Fatalf("CreateAccount() = %v", err)
	}
	return id
}
