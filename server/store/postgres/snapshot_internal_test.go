package postgres

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"strconv"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/blindvault/blindvault/internal/testenv"
)

// TestStore_Restore_SchemaVersions restores a snapshot as older schemas of
// the same layout write it (log_head without its edge) into a store that
// then appends: the tree must be the one of all the entries, its edge read
// again from the hashes. Snapshots of schemas before snapshotSince, or
// newer than this one, are refused.
func TestStore_Restore_SchemaVersions(t *testing.T) {
	t.Parallel()
	pg := testenv.SharedPostgres(t)
	ctx := context.Background()
	open := func() *Store {
		s, err := Open(ctx, pg.NewSchema(t), nil)
		if err != nil {
			t.Fatalf("Open() = %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	var entries [][]byte
	appendSome := func(s *Store, n int) {
		for range n {
			e := fmt.Appendf(nil, "entry %d", len(entries))
			first, err := s.AppendLog(ctx, e)
			if err != nil || first != int64(len(entries)) {
				t.Fatalf("AppendLog() = %d, %v; want %d", first, err, len(entries))
			}
			entries = append(entries, e)
		}
	}
	src := open()
	appendSome(src, 11)
	var buf bytes.Buffer
	if _, err := src.Snapshot(ctx, &buf); err != nil {
		t.Fatalf("Snapshot() = %v", err)
	}
	asVersion := func(v int) []byte {
		magic := snapshotMagic + strconv.Itoa(len(migrations)) + "\n"
		body := bytes.TrimPrefix(buf.Bytes()[:buf.Len()-sha256.Size], []byte(magic))
		out := append([]byte(snapshotMagic+strconv.Itoa(v)+"\n"), body...)
		sum := sha256.Sum256(out)
		return append(out, sum[:]...)
	}
	for _, v := range []int{snapshotSince - 1, len(migrations) + 1} {
		if err := open().Restore(ctx, bytes.NewReader(asVersion(v))); err == nil {
			t.Errorf("Restore(snapshot of schema %d) = nil, want an error", v)
		}
	}
	dst := open()
	if err := dst.Restore(ctx, bytes.NewReader(asVersion(snapshotSince))); err != nil {
		t.Fatalf("Restore(snapshot of schema %d) = %v", snapshotSince, err)
	}
	appendSome(dst, 5)
	if got := dst.edgeReads.Load(); got != 1 {
		t.Errorf("appends after Restore that read the edge's hashes = %d, want 1", got)
	}
	var hashes []tlog.Hash
	mem := memHashes(&hashes)
	for i, e := range entries {
		hs, err := tlog.StoredHashes(int64(i), e, mem)
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, hs...)
	}
	want, err := tlog.TreeHash(int64(len(entries)), mem)
	if err != nil {
		t.Fatal(err)
	}
	err = dst.LogView(ctx, func(size int64, r tlog.HashReader) error {
		got, err := tlog.TreeHash(size, r)
		if err != nil || size != int64(len(entries)) || got != want {
			t.Errorf("LogView() = size %d, tree %v, %v; want %d, %v", size, got, err, len(entries), want)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("LogView() = %v", err)
	}
}
