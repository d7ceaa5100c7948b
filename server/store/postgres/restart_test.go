package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/blindvault/blindvault/internal/testenv"
	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/server/store/postgres"
)

// A PostgreSQL outage and restart (an immediate stop, as a crash) fail
// what is tried meanwhile with store.ErrUnavailable and lose nothing
// acknowledged; the store reconnects by itself.
func TestStore_PostgresRestart(t *testing.T) {
	t.Parallel()
	pg := testenv.StartPostgres(t, nil) // its own durable cluster: the restart must not disturb other tests
	s, err := postgres.Open(context.Background(), pg.NewDatabase(t), nil)
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	defer s.Close()
	ctx := context.Background()
	a := newAccount(t, s)
	var acked []store.VersionWrite
	for i := range 20 {
		w := versionWrite(a, 1, []byte{byte(i)})
		if err := s.PutVersion(ctx, w, bytes.NewReader([]byte{byte(i)})); err != nil {
			t.Fatalf("PutVersion() = %v", err)
		}
		acked = append(acked, w)
	}
	// While PostgreSQL is down, calls fail with store.ErrUnavailable (the
	// API's 503), reads and writes alike.
	pg.Stop(t)
	down := versionWrite(a, 1, []byte("down"))
	if err := s.PutVersion(ctx, down, bytes.NewReader([]byte("down"))); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("PutVersion() with PostgreSQL down = %v, want ErrUnavailable", err)
	}
	if _, err := s.Head(ctx, acked[0].Record); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Head() with PostgreSQL down = %v, want ErrUnavailable", err)
	}
	pg.Start(t)
	// The pool's old connections are dead: calls fail until it has new ones,
	// and fail as unavailable.
	deadline := time.Now().Add(30 * time.Second)
	for {
		w := versionWrite(a, 1, []byte("after"))
		err := s.PutVersion(ctx, w, bytes.NewReader([]byte("after")))
		if err == nil {
			acked = append(acked, w)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("PutVersion() after a restart still fails after 30 s: %v", err)
		}
		if !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("PutVersion() right after a restart = %v, want ErrUnavailable", err)
		}
		t.Logf("PutVersion() right after a restart = %v (retried)", err)
		time.Sleep(100 * time.Millisecond)
	}
	if _, err := s.Head(ctx, down.Record); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the write that failed while PostgreSQL was down: Head() = %v, want ErrNotFound", err)
	}
	for i, w := range acked {
		h, err := s.Head(ctx, w.Record)
		if err != nil || h.HeaderHash != w.HeaderHash {
			t.Fatalf("acknowledged write %d after the restart: Head() = %+v, %v", i, h, err)
		}
	}
	if err := s.Check(ctx); err != nil {
		t.Fatalf("Check() after the restart = %v", err)
	}
}
