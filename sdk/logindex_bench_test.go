//go:build !js

package sdk_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/servertest"
)

// BenchmarkClient_NextRun is a device's next run of VerifyLog (which reads the
// log and checks the account's chain against it; the Connect before it, with
// its Argon2id unlock, is not timed) on a log of about
// 2,000 entries with one new write since the last run: with the profile's log
// index, and without it (as before the index: every run read the whole log).
func BenchmarkClient_NextRun(b *testing.B) {
	srv := servertest.Start(b, server.Config{})
	alice, cfg := reopenablePatient(b, srv, nil)
	storage := cfg.Storage
	for i := range 500 {
		if _, err := alice.Put(b.Context(), bytes.NewReader([]byte{byte(i)}), nil); err != nil {
			b.Fatal(err)
		}
	}
	for _, keep := range []bool{true, false} {
		b.Run(fmt.Sprintf("index=%v", keep), func(b *testing.B) {
			var entries int64
			for b.Loop() {
				b.StopTimer()
				if _, err := alice.Put(b.Context(), bytes.NewReader([]byte("new")), nil); err != nil {
					b.Fatal(err)
				}
				if !keep {
					dropIndex(b, storage)
				}
				next, err := sdk.Connect(b.Context(), cfg)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				rep, err := next.VerifyLog(b.Context())
				if err != nil {
					b.Fatal(err)
				}
				entries = rep.Entries
			}
			b.ReportMetric(float64(entries), "entries-read/op")
		})
	}
}

func dropIndex(b *testing.B, storage sdk.Storage) {
	raw, err := sdk.ProfileJSON(b.Context(), storage)
	if err != nil {
		b.Fatal(err)
	}
	var prof map[string]json.RawMessage
	if err := json.Unmarshal(raw, &prof); err != nil {
		b.Fatal(err)
	}
	delete(prof, "log_index")
	out, _ := json.Marshal(prof)
	if err := storage.Save(b.Context(), "profile.json", out); err != nil {
		b.Fatal(err)
	}
}
