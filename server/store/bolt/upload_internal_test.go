package bolt

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/blindvault/blindvault/server/store"
)

// count returns the number of keys in a bucket.
func count(t *testing.T, s *Store, bucket []byte) int {
	t.Helper()
	n := 0
	err := s.view(context.Background(), func(tx *bbolt.Tx) error {
		n = tx.Bucket(bucket).Stats().KeyN
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func testAccount(t *testing.T, s *Store) store.AccountID {
	t.Helper()
	id := store.AccountID{7}
	err := s.CreateAccount(context.Background(), store.NewAccount{
		ID: id, Handle: "h", Role: store.RolePatient,
		KeyCard: store.KeyCard{Seq: 1, Signed: []byte("card")}, Device: store.Device{ID: store.DeviceID{7}, Cert: []byte("cert")},
		Backup: []byte("backup"), OPRFSetup: []byte("oprf"), Created: time.Now(),
	})
	if err != nil {
		t.Fatalf("CreateAccount() = %v", err)
	}
	return id
}

func testWrite(owner store.AccountID, size int64) store.VersionWrite {
	return store.VersionWrite{
		Record: store.RecordID{9}, Owner: owner, Author: owner, Version: 1,
		HeaderHash: store.Hash{1}, Header: []byte("header"), BodySize: size, Created: time.Now(),
	}
}

// gate is a body of zeros that sends n bytes, then blocks until released,
// then ends (with an error unless ok).
type gate struct {
	n       int
	ok      bool
	blocked chan struct{}
	release chan struct{}
}

func (g *gate) Read(p []byte) (int, error) {
	if g.n > 0 {
		m := min(g.n, len(p))
		g.n -= m
		clear(p[:m])
		return m, nil
	}
	close(g.blocked)
	<-g.release
	if g.ok {
		return 0, io.EOF
	}
	return 0, errors.New("client went away")
}

var smallPieces = &Options{PieceSize: 4 << 10, StageBytes: 8 << 10}

// Sweep drops an upload that outlived UploadLifetime even while its uploader
// still runs; the uploader then fails and nothing is left.
func TestStore_Sweep_AbandonedUpload(t *testing.T) {
	s := openInternal(t, smallPieces)
	ctx := context.Background()
	owner := testAccount(t, s)
	g := &gate{n: 64 << 10, blocked: make(chan struct{}), release: make(chan struct{})}
	done := make(chan error)
	go func() { done <- s.PutVersion(ctx, testWrite(owner, -1), g) }()
	<-g.blocked
	if n := count(t, s, bStaging); n != 1 {
		t.Fatalf("%d staged uploads while uploading, want 1", n)
	}
	st, err := s.Sweep(ctx, time.Now())
	if err != nil || st.Uploads != 0 {
		t.Fatalf("Sweep(now) = %+v, %v: a young upload was dropped", st, err)
	}
	st, err = s.Sweep(ctx, time.Now().Add(25*time.Hour))
	if err != nil || st.Uploads != 1 {
		t.Fatalf("Sweep(+25h) = %+v, %v, want 1 upload dropped", st, err)
	}
	close(g.release)
	if err := <-done; err == nil {
		t.Fatalf("PutVersion() = nil after its upload was swept")
	}
	if n, m := count(t, s, bStaging), count(t, s, bBodies); n != 0 || m != 0 {
		t.Fatalf("%d staged uploads and %d pieces left, want none", n, m)
	}
	if err := s.Check(ctx); err != nil {
		t.Fatalf("Check() = %v", err)
	}
}

// An upload cut off by Close is dropped when the file is opened again.
func TestStore_Open_DropsUnfinishedUploads(t *testing.T) {
	s := openInternal(t, smallPieces)
	ctx := context.Background()
	owner := testAccount(t, s)
	g := &gate{n: 64 << 10, blocked: make(chan struct{}), release: make(chan struct{})}
	done := make(chan error)
	go func() { done <- s.PutVersion(ctx, testWrite(owner, -1), g) }()
	<-g.blocked
	if n := count(t, s, bStaging); n != 1 {
		t.Fatalf("%d staged uploads while uploading, want 1", n)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	close(g.release)
	<-done
	s2, err := Open(s.path, smallPieces)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if n, m := count(t, s2, bStaging), count(t, s2, bBodies); n != 0 || m != 0 {
		t.Fatalf("%d staged uploads and %d pieces after reopen, want none", n, m)
	}
}

func TestStore_PutVersion_MaxBodySize(t *testing.T) {
	s := openInternal(t, &Options{MaxBodySize: 100 << 10, PieceSize: 16 << 10, StageBytes: 32 << 10})
	ctx := context.Background()
	owner := testAccount(t, s)
	for _, tc := range []struct {
		size     int
		declared int64
		want     error
	}{
		{100<<10 + 1, -1, store.ErrTooLarge},
		{200 << 10, -1, store.ErrTooLarge},
		{10, 200 << 10, store.ErrTooLarge},
		{100 << 10, -1, nil},
	} {
		w := testWrite(owner, tc.declared)
		w.Record = store.RecordID{byte(tc.size), byte(tc.size >> 8), byte(tc.size >> 16), 1}
		err := s.PutVersion(ctx, w, io.LimitReader(zeros{}, int64(tc.size)))
		if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
			t.Fatalf("PutVersion(%d bytes, declared %d) = %v, want %v", tc.size, tc.declared, err, tc.want)
		}
	}
	if n := count(t, s, bStaging); n != 0 {
		t.Fatalf("%d staged uploads left after refused bodies", n)
	}
	if err := s.Check(ctx); err != nil {
		t.Fatalf("Check() = %v", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// Compaction in the middle of an upload does not disturb it.
func TestStore_Compact_DuringUpload(t *testing.T) {
	s := openInternal(t, smallPieces)
	ctx := context.Background()
	owner := testAccount(t, s)
	g := &gate{n: 64<<10 + 5, ok: true, blocked: make(chan struct{}), release: make(chan struct{})}
	done := make(chan error)
	go func() { done <- s.PutVersion(ctx, testWrite(owner, 64<<10+5), g) }()
	<-g.blocked
	if err := s.Compact(ctx); err != nil {
		t.Fatalf("Compact() = %v", err)
	}
	close(g.release)
	if err := <-done; err != nil {
		t.Fatalf("PutVersion() across a compaction = %v", err)
	}
	r, err := s.OpenBody(ctx, store.RecordID{9}, 1, 0, 64<<10+5)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if n, err := io.Copy(io.Discard, r); n != 64<<10+5 || err != nil {
		t.Fatalf("read %d bytes, %v, want %d", n, err, 64<<10+5)
	}
	if err := s.Check(ctx); err != nil {
		t.Fatalf("Check() = %v", err)
	}
}
