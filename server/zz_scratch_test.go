package server

import (
	"testing"
	"time"
	"crypto/rand"
	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/internal/format"
)

func TestZZSealCost(t *testing.T) {
	ts := newTestServer(t, recConfig())
	a := newRecAccount(t, ts, "zz")
	start := time.Now()
	var fs []*recFixture
	for range 50 {
		fs = append(fs, newRecord(t, a, recPlain(4000)))
	}
	t.Logf("newRecord: %v each", time.Since(start)/50)
	start = time.Now()
	var prev *format.Header = fs[0].V1.Header
	for range 200 {
		rv := fs[0].next(t, prev, a, recPlain(4000))
		prev = rv.Header
	}
	t.Logf("next: %v each", time.Since(start)/200)
	start = time.Now()
	for _, f := range fs {
		a.put(t, f.V1).want(t, "put", 201)
	}
	t.Logf("put: %v each", time.Since(start)/50)
	var id store.RecordID
	rand.Read(id[:])
	_ = id
}
