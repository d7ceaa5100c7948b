//go:build !js

package sdk_test

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/servertest"
)

// exportRecords is how many records BenchmarkExportFHIR exports, e.g.
// -export-records=1000 (writing them is not timed, and takes about 0.1 s a
// record here).
var exportRecords = flag.Int("export-records", 100, "records for BenchmarkExportFHIR")

// exportUnlimited turns the server's rate limits off, to measure the work
// itself; by default the server keeps its per-account limit (20 requests/s,
// burst 60), which bounds an export at about 3 requests a record.
var exportUnlimited = flag.Bool("export-unlimited", false, "BenchmarkExportFHIR: no server rate limits")

// BenchmarkExportFHIR is a patient's whole FHIR export: list, fetch, verify
// and decrypt every record, and write the bundle. Half the records are FHIR
// Observations, half small text documents (a Binary and a DocumentReference).
func BenchmarkExportFHIR(b *testing.B) {
	n := *exportRecords
	cfg, limits := benchLimits()
	srv := servertest.Start(b, cfg)
	counter := &countingTransport{}
	alice, _ := reopenablePatient(b, srv, sdk.NewHTTPTransport(srv.URL, &http.Client{Transport: counter}))
	for i := range n {
		body := fmt.Appendf(nil, `{"resourceType":"Observation","status":"final","code":{"text":"glucose"},"valueQuantity":{"value":%d,"unit":"mg/dL"}}`, 70+i%90)
		opts := &sdk.PutOptions{Title: fmt.Sprintf("glucose %d", i), Type: "Observation"}
		if i%2 == 1 {
			body = fmt.Appendf(nil, "visit note %d: continue as before\n", i)
			opts = &sdk.PutOptions{Title: fmt.Sprintf("note %d", i), Type: "text/plain", Tags: []string{"visit"}}
		}
		if _, err := alice.Put(b.Context(), bytes.NewReader(body), opts); err != nil {
			b.Fatal(err)
		}
	}
	b.Run(fmt.Sprintf("records=%d/rate-limits=%s", n, limits), func(b *testing.B) {
		var size int64
		var requests int64
		for b.Loop() {
			r0 := counter.requests.Load()
			cw := &countWriter{}
			got, err := alice.ExportFHIR(b.Context(), cw)
			if err != nil || got != n {
				b.Fatalf("ExportFHIR = %d records, %v; want %d", got, err, n)
			}
			size, requests = cw.n, counter.requests.Load()-r0
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		b.ReportMetric(float64(size), "bundle-bytes")
		b.ReportMetric(float64(requests), "requests/op")
	})
}

// benchLimits is a server configuration with the default rate limits, or
// none with -export-unlimited, and its name.
func benchLimits() (server.Config, string) {
	if *exportUnlimited {
		return server.Config{RateAccount: server.RateLimit{Rate: -1}, RateAddress: server.RateLimit{Rate: -1}}, "off"
	}
	return server.Config{}, "default"
}

type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

var _ io.Writer = (*countWriter)(nil)
