// Package storetest is the conformance suite that every store.Store backend
// must pass. A backend's tests call Run with a function that opens a new,
// empty store; Run closes every store it opens.
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/blindvault/blindvault/server/store"
)

// Run runs the suite. open must return a new, empty store each time; the
// store's body limit must be below 1 TiB and its upload lifetime below 10
// years.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	o := func(t *testing.T) store.Store {
		t.Helper()
		s := open(t)
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close() = %v", err)
			}
		})
		return s
	}
	t.Run("Accounts", func(t *testing.T) { testAccounts(t, o) })
	t.Run("Devices", func(t *testing.T) { testDevices(t, o) })
	t.Run("Sessions", func(t *testing.T) { testSessions(t, o) })
	t.Run("Invites", func(t *testing.T) { testInvites(t, o) })
	t.Run("Records", func(t *testing.T) { testRecords(t, o) })
	t.Run("Bodies", func(t *testing.T) { testBodies(t, o) })
	t.Run("Sharing", func(t *testing.T) { testSharing(t, o) })
	t.Run("Chains", func(t *testing.T) { testChains(t, o) })
	t.Run("Log", func(t *testing.T) { testLog(t, o) })
	t.Run("Secrets", func(t *testing.T) { testSecrets(t, o) })
	t.Run("Concurrency", func(t *testing.T) { testConcurrency(t, o) })
	t.Run("Maintenance", func(t *testing.T) { testMaintenance(t, o) })
	t.Run("AccountDeletions", func(t *testing.T) { testAccountDeletions(t, o) })
}

type opener = func(t *testing.T) store.Store

var (
	ctx = context.Background()
	// t0 is a fixed time with nanoseconds, to catch truncation.
	t0 = time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)
)

func random[T ~[32]byte]() T {
	var v T
	_, _ = rand.Read(v[:])
	return v
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func hashOf(b []byte) store.Hash { return sha256.Sum256(b) }

// isErr fails the test unless errors.Is(err, want).
func isErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s = %v, want %v", what, err, want)
	}
}

func ok(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s = %v, want nil", what, err)
	}
}

// newAccount registers an account with one device and returns it.
func newAccount(t *testing.T, s store.Store, handle string) store.NewAccount {
	t.Helper()
	a := store.NewAccount{
		ID:        random[store.AccountID](),
		Handle:    handle,
		Role:      store.RolePatient,
		KeyCard:   store.KeyCard{Seq: 1, Signed: randBytes(300), Added: t0},
		Device:    store.Device{ID: random[store.DeviceID](), Cert: randBytes(200), Added: t0},
		Backup:    randBytes(500),
		OPRFSetup: randBytes(64),
		Created:   t0,
	}
	ok(t, "CreateAccount()", s.CreateAccount(ctx, a))
	return a
}

// version builds a write of a record version whose header is derived from
// the record, version and salt, so tests can recompute it.
func version(rec store.RecordID, owner store.AccountID, v uint64, prev store.Hash, salt string, body []byte) store.VersionWrite {
	header := append([]byte("header "+salt+" "), rec[:]...)
	header = append(header, byte(v))
	return store.VersionWrite{
		Record: rec, Owner: owner, Author: owner, Version: v, PrevHash: prev,
		HeaderHash: hashOf(header), Header: header,
		Leaves:   bytes.Repeat([]byte{byte(v)}, 32*(1+len(body)/16384)),
		BodySize: int64(len(body)), Created: t0.Add(time.Duration(v) * time.Second),
	}
}

// put stores w with body and fails the test on error.
func put(t *testing.T, s store.Store, w store.VersionWrite, body []byte) {
	t.Helper()
	ok(t, "PutVersion()", s.PutVersion(ctx, w, bytes.NewReader(body)))
}

// readBody reads a whole range through Read.
func readBody(t *testing.T, s store.Store, rec store.RecordID, v uint64, off, n int64) []byte {
	t.Helper()
	r, err := s.OpenBody(ctx, rec, v, off, n)
	ok(t, "OpenBody()", err)
	defer r.Close()
	b, err := io.ReadAll(r)
	ok(t, "ReadAll(body)", err)
	return b
}

// snapshot returns a whole snapshot of s.
func snapshot(t *testing.T, s store.Store) []byte {
	t.Helper()
	var buf bytes.Buffer
	n, err := s.Snapshot(ctx, &buf)
	ok(t, "Snapshot()", err)
	if n != int64(buf.Len()) {
		t.Fatalf("Snapshot() = %d, wrote %d bytes", n, buf.Len())
	}
	return buf.Bytes()
}

// marker is a string that cannot be in a store by chance.
func marker() []byte {
	return []byte("BLINDVAULT-PLANTED-" + store.Hash(random[store.Hash]()).String())
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }
