package postgres_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/blindvault/blindvault/internal/testenv"
	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/server/store/postgres"
)

// A PostgreSQL restart (an immediate stop, as a crash) fails what was in
// flight with an error and loses nothing acknowledged; the store reconnects
// by itself.
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
	pg.Restart(t)
	// The pool's old connections are dead: calls fail until it has new ones.
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
		t.Logf("PutVersion() right after a restart = %v (retried)", err)
		time.Sleep(100 * time.Millisecond)
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
