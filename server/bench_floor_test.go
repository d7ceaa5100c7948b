package server

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"testing"
	"time"
)

// BenchmarkCreateChecks measures, on one core, the CPU a create costs the
// server for what it may not skip, without HTTP and without the commit:
//
//   - checks: reading the frame, parsing and checking the header, the ACL
//     and the grant (three Ed25519 verifications, with the card and head
//     look-ups they need, on bbolt) and hashing the 4 KiB body against its
//     leaf list, as the handler does (verifyVersion, newBodyCheck);
//   - ed25519x3: the three signature verifications alone, the floor of the
//     floor.
//
// cpu-us/op is the process's CPU time per create, whatever else runs on the
// machine. Compare with go-cpu-us/op of BenchmarkCreateBackends (client and server,
// HTTP and commit included):
//
//	go test -run '^$' -bench CreateChecks ./server/
func BenchmarkCreateChecks(b *testing.B) {
	b.Run("checks", func(b *testing.B) {
		ts := newTestServer(b, recConfig())
		a := newRecAccount(b, ts, "floor")
		ctx := context.Background()
		acct, err := ts.Store.Account(ctx, a.ID)
		if err != nil {
			b.Fatal(err)
		}
		c := &Caller{Account: acct}
		plain := recPlain(4096)
		const distinct = 64
		frames := make([][]byte, distinct)
		fixtures := make([]*recFixture, distinct)
		for i := range frames {
			fixtures[i] = newRecord(b, a, plain)
			frames[i] = fixtures[i].V1.frame()
		}
		maxLeaves := maxLeavesFor(ts.Server.cfg.MaxBody)
		b.ReportAllocs()
		b.ResetTimer()
		cpu := cpuTime()
		for i := range b.N {
			raw := frames[i%distinct]
			in := bytes.NewReader(raw)
			f, err := readFrame(in, int64(len(raw)), maxLeaves)
			if err != nil {
				b.Fatal(err)
			}
			_, h, err := ts.Server.verifyVersion(ctx, c, fixtures[i%distinct].ID, 1, f)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, newBodyCheck(in, h, f.Leaves)); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, cpu)
	})
	b.Run("ed25519x3", func(b *testing.B) {
		pub, priv, _ := ed25519.GenerateKey(rand.Reader)
		msg := make([]byte, 512)
		sig := ed25519.Sign(priv, msg)
		b.ResetTimer()
		cpu := cpuTime()
		for range b.N {
			for range 3 {
				if !ed25519.Verify(pub, msg, sig) {
					b.Fatal("signature does not verify")
				}
			}
		}
		reportCPU(b, cpu)
	})
}

// reportCPU reports the process's CPU time since start per op: unlike
// ns/op, it does not grow when other processes hold the cores.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64((cpuTime()-start).Microseconds())/float64(b.N), "cpu-us/op")
}
