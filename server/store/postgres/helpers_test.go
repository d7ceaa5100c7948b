package postgres_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"io"
	"testing"
	"time"

	"github.com/blindvault/blindvault/server/store"
)

func random32() [32]byte {
	var b [32]byte
	rand.Read(b[:])
	return b
}

// newAccount registers an account with one device.
func newAccount(t testing.TB, s store.Store) store.NewAccount {
	t.Helper()
	id := random32()
	a := store.NewAccount{
		ID: id, Handle: store.AccountID(id).String(), Role: store.RolePatient,
		KeyCard: store.KeyCard{Seq: 1, Signed: []byte("card"), Added: time.Now()},
		Device:  store.Device{ID: random32(), Cert: []byte("cert"), Added: time.Now()},
		Backup:  []byte("backup"), OPRFSetup: []byte("oprf"), Created: time.Now(),
	}
	if err := s.CreateAccount(context.Background(), a); err != nil {
		t.Fatalf("CreateAccount() = %v", err)
	}
	return a
}

// versionWrite is version v of a new record of a's, with body.
func versionWrite(a store.NewAccount, v uint64, body []byte) store.VersionWrite {
	header := random32()
	return store.VersionWrite{
		Record: random32(), Owner: a.ID, Author: a.ID, Version: v,
		HeaderHash: sha256.Sum256(header[:]), Header: header[:],
		Leaves: make([]byte, 32*(1+len(body)/16384)), BodySize: int64(len(body)), Created: time.Now(),
	}
}

func readAll(t testing.TB, s store.Store, rec store.RecordID, v uint64) []byte {
	t.Helper()
	ver, err := s.Version(context.Background(), rec, v)
	if err != nil {
		t.Fatalf("Version() = %v", err)
	}
	r, err := s.OpenBody(context.Background(), rec, v, 0, ver.BodySize)
	if err != nil {
		t.Fatalf("OpenBody() = %v", err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("ReadAll(body) = %v", err)
	}
	return b
}
