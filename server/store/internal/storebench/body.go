package storebench

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"io"
	"testing"
	"time"

	"github.com/blindvault/blindvault/server/store"
)

// Write is version 1 of record number i of owner, with a header and a body
// of size bytes.
func Write(owner store.AccountID, i int64, header []byte, size int64) store.VersionWrite {
	rec := store.RecordID(sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(i))))
	return store.VersionWrite{
		Record: rec, Owner: owner, Author: owner, Version: 1, HeaderHash: store.Hash(rec),
		Header: header, Leaves: make([]byte, 32), BodySize: size, Created: time.Now(),
	}
}

// Body runs "write" (one new version of a body of size bytes per
// operation) and "read" (all of one such body per operation) on s.
func Body(b *testing.B, s store.Store, owner store.AccountID, size int64) {
	body := make([]byte, size)
	rand.Read(body)
	header := make([]byte, 600)
	var n int64
	b.Run("write", func(b *testing.B) {
		b.SetBytes(size)
		for range b.N {
			n++
			if err := s.PutVersion(context.Background(), Write(owner, 1e9+n, header, size), bytes.NewReader(body)); err != nil {
				b.Fatal(err)
			}
		}
	})
	w := Write(owner, 2e9, header, size)
	if err := s.PutVersion(context.Background(), w, bytes.NewReader(body)); err != nil {
		b.Fatal(err)
	}
	b.Run("read", func(b *testing.B) {
		b.SetBytes(size)
		for range b.N {
			r, err := s.OpenBody(context.Background(), w.Record, 1, 0, size)
			if err != nil {
				b.Fatal(err)
			}
			if n, err := io.Copy(io.Discard, r); err != nil || n != size {
				b.Fatalf("read %d, %v", n, err)
			}
			r.Close()
		}
	})
}
