//go:build !js

package sdk_test

import (
	"bytes"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/servertest"
)

// A 503 (the server's storage is unavailable) is ErrUnreachable to the
// caller; a read waits it out when it asks for a short wait, a write does
// not retry by itself (it may have been stored).
func TestClient_Unavailable(t *testing.T) {
	var failReads, failWrites atomic.Int32
	srv := servertest.StartBehind(t, server.Config{}, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fail := &failWrites
			if r.Method == http.MethodGet {
				fail = &failReads
			}
			if fail.Add(-1) >= 0 {
				w.Header().Set("Retry-After", "0")
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusServiceUnavailable)
				w.Write([]byte(`{"error":{"code":"unavailable","message":"storage is unavailable; retry later"}}`))
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	c := newClient(t, srv, nil)
	register(t, c, "alice", "", "", patientPass)
	put(t, c, []byte("one"), "r")

	failReads.Store(2)
	if list, err := c.List(t.Context()); err != nil || len(list) != 1 {
		t.Fatalf("List through two 503s = %d records, %v; want the record", len(list), err)
	}
	if failReads.Load() > 0 {
		t.Fatalf("the reads' 503s were not used")
	}

	failWrites.Store(1)
	_, err := c.Put(t.Context(), bytes.NewReader([]byte("two")), &sdk.PutOptions{Title: "r2", Type: "Observation", Size: 3})
	if !errors.Is(err, sdk.ErrUnreachable) || sdk.ErrorCode(err) != "UNREACHABLE" {
		t.Fatalf("Put answered 503 = %v (code %s), want ErrUnreachable", err, sdk.ErrorCode(err))
	}
	if failWrites.Load() == 1 {
		t.Fatalf("the 503 was not used")
	}
}
