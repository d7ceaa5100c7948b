//go:build !js

package sdk_test

import (
	"bytes"
	"flag"
	"fmt"
	"net/http"
	"testing"

	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server/servertest"
)

// transferRecords is how many records BenchmarkTransfer moves (writing them
// is not timed).
var transferRecords = flag.Int("transfer-records", 100, "records for BenchmarkTransfer")

// BenchmarkTransfer moves a patient's records, each of two versions of a
// small Observation, between two servers on loopback, into a fresh server
// each time; with -export-unlimited neither server limits rates.
func BenchmarkTransfer(b *testing.B) {
	n := *transferRecords
	cfg, limits := benchLimits()
	alice, _ := reopenablePatient(b, servertest.Start(b, cfg), nil)
	for i := range n {
		r := put(b, alice, fmt.Appendf(nil, `{"resourceType":"Observation","valueQuantity":{"value":%d}}`, i), fmt.Sprint("obs ", i))
		if _, err := alice.Put(b.Context(), bytes.NewReader([]byte("amended")), &sdk.PutOptions{Update: r.RecordID}); err != nil {
			b.Fatal(err)
		}
	}
	b.Run(fmt.Sprintf("records=%d/rate-limits=%s", n, limits), func(b *testing.B) {
		var requests int64
		for b.Loop() {
			b.StopTimer()
			dst := servertest.Start(b, cfg)
			counter := &countingTransport{}
			to := sdk.Config{Server: dst.URL, Transport: sdk.NewHTTPTransport(dst.URL, &http.Client{Transport: counter})}
			b.StartTimer()
			_, rep, err := alice.Transfer(b.Context(), &sdk.TransferOptions{To: to, Passphrase: []byte(patientPass)})
			if err != nil || rep.Records != n || rep.Versions != 2*n {
				b.Fatalf("Transfer = %+v, %v; want %d records", rep, err, n)
			}
			requests = counter.requests.Load()
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		b.ReportMetric(float64(requests), "new-server-requests/op")
	})
}
