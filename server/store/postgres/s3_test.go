package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"testing/iotest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/blindvault/blindvault/internal/testenv"
	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/server/store/blob/s3blob"
	"github.com/blindvault/blindvault/server/store/postgres"
	"github.com/blindvault/blindvault/server/store/storetest"
)

// s3Blobs returns a blob store on a new bucket of srv, with 5 MiB parts so
// that the suite's larger bodies are multipart uploads.
func s3Blobs(t testing.TB, srv *testenv.S3) (*s3blob.Store, string) {
	t.Helper()
	bucket := srv.NewBucket(t)
	c, err := s3blob.ParseURL(srv.URL(bucket))
	if err != nil {
		t.Fatalf("ParseURL() = %v", err)
	}
	c.PartSize = 5 << 20
	b, err := s3blob.New(c)
	if err != nil {
		t.Fatalf("s3blob.New() = %v", err)
	}
	return b, bucket
}

func TestStore_Conformance_S3(t *testing.T) {
	t.Parallel()
	pg := testenv.SharedPostgres(t)
	srv := testenv.StartS3(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		b, _ := s3Blobs(t, srv)
		return openDB(t, pg, &postgres.Options{Blobs: b})
	})
}

// objects lists a bucket's keys.
func objects(t *testing.T, srv *testenv.S3, bucket string) []string {
	t.Helper()
	out, err := srv.Client().ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("ListObjectsV2() = %v", err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys
}

func TestStore_S3_InterruptedUploadLeavesNothing(t *testing.T) {
	t.Parallel()
	pg := testenv.SharedPostgres(t)
	srv := testenv.StartS3(t)
	b, bucket := s3Blobs(t, srv)
	s := openDB(t, pg, &postgres.Options{Blobs: b})
	defer s.Close()
	ctx := context.Background()
	a := newAccount(t, s)
	body := bytes.Repeat([]byte("x"), 12<<20)
	boom := errors.New("client went away")
	w := versionWrite(a, 1, body)
	// Cut off in the third part of a multipart upload.
	err := s.PutVersion(ctx, w, io.MultiReader(bytes.NewReader(body[:11<<20]), iotest.ErrReader(boom)))
	if !errors.Is(err, boom) {
		t.Fatalf("PutVersion(cut off) = %v, want %v", err, boom)
	}
	if keys := objects(t, srv, bucket); len(keys) != 0 {
		t.Fatalf("bucket after a cut-off upload = %q, want empty", keys)
	}
	if _, err := s.Head(ctx, w.Record); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Head() = %v, want ErrNotFound", err)
	}
	// A body whose version fails its compare-and-swap is deleted too.
	w.PrevHash, w.Version = store.Hash{1}, 2
	if err := s.PutVersion(ctx, w, bytes.NewReader(body)); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("PutVersion(stale) = %v, want ErrConflict", err)
	}
	if keys := objects(t, srv, bucket); len(keys) != 0 {
		t.Fatalf("bucket after a stale write = %q, want empty", keys)
	}
}

func TestStore_S3_SweepRemovesOrphans(t *testing.T) {
	t.Parallel()
	pg := testenv.SharedPostgres(t)
	srv := testenv.StartS3(t)
	b, bucket := s3Blobs(t, srv)
	s := openDB(t, pg, &postgres.Options{Blobs: b, UploadLifetime: time.Minute})
	defer s.Close()
	ctx := context.Background()
	a := newAccount(t, s)
	w := versionWrite(a, 1, []byte("kept body"))
	if err := s.PutVersion(ctx, w, bytes.NewReader([]byte("kept body"))); err != nil {
		t.Fatalf("PutVersion() = %v", err)
	}
	// What a process killed between its upload and its version leaves, and
	// what a failed deletion leaves: objects nothing names.
	for _, k := range []string{"bodies/00aa", "bodies/00bb"} {
		if _, err := b.Put(ctx, k, bytes.NewReader([]byte("orphan"))); err != nil {
			t.Fatalf("Put(orphan) = %v", err)
		}
	}
	if n := len(objects(t, srv, bucket)); n != 3 {
		t.Fatalf("bucket holds %d objects, want 3", n)
	}
	if _, err := s.Sweep(ctx, time.Now()); err != nil {
		t.Fatalf("Sweep(now) = %v", err)
	}
	if n := len(objects(t, srv, bucket)); n != 3 {
		t.Fatalf("Sweep(now) removed young orphans: %d objects left, want 3", n)
	}
	if _, err := s.Sweep(ctx, time.Now().Add(time.Hour)); err != nil {
		t.Fatalf("Sweep(in an hour) = %v", err)
	}
	keys := objects(t, srv, bucket)
	if len(keys) != 1 {
		t.Fatalf("bucket after Sweep = %q, want only the linked body", keys)
	}
	got := readAll(t, s, w.Record, 1)
	if string(got) != "kept body" {
		t.Fatalf("body after Sweep = %q", got)
	}
}

// With S3 gone, a write whose body goes there fails with ErrUnavailable and leaves
// nothing a client can see; writes that need no S3 go on.
func TestStore_S3_Unreachable(t *testing.T) {
	t.Parallel()
	pg := testenv.SharedPostgres(t)
	srv := testenv.StartS3(t)
	b, _ := s3Blobs(t, srv)
	s := openDB(t, pg, &postgres.Options{Blobs: b})
	defer s.Close()
	ctx := context.Background()
	a := newAccount(t, s)
	srv.Stop()
	body := bytes.Repeat([]byte("y"), 100<<10)
	w := versionWrite(a, 1, body)
	c, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := s.PutVersion(c, w, bytes.NewReader(body)); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("PutVersion() with S3 down = %v, want ErrUnavailable (a 503)", err)
	}
	if _, err := s.Head(ctx, w.Record); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Head() after a failed write = %v, want ErrNotFound", err)
	}
	if err := s.PutSecret(ctx, "x", []byte("y")); err != nil {
		t.Fatalf("PutSecret() with S3 down = %v", err)
	}
	if err := s.Check(ctx); err != nil {
		t.Fatalf("Check() = %v", err)
	}
}
