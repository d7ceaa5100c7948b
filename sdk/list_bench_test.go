//go:build !js

package sdk_test

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/servertest"
)

// listSizes are the patients' record counts BenchmarkList measures, e.g.
// -list-sizes=100,1000 (writing the records is not timed, but takes a
// while: about 0.1 s a record here).
var listSizes = flag.String("list-sizes", "100", "comma-separated record counts for BenchmarkList")

// listWho are the listers BenchmarkList measures: patient, clinician or both.
var listWho = flag.String("list-who", "patient,clinician", "comma-separated listers for BenchmarkList")

// countingTransport counts the requests a client makes, the bytes it reads
// and the answers that were 429 (rate limited).
type countingTransport struct {
	requests, bytes, limited atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.requests.Add(1)
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil {
		if resp.StatusCode == http.StatusTooManyRequests {
			c.limited.Add(1)
		}
		resp.Body = &countingBody{ReadCloser: resp.Body, n: &c.bytes}
	}
	return resp, err
}

// countingBody counts the bytes read from a response body.
type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

// BenchmarkList is a list in a new run of the client (a fresh Connect, as
// each CLI command is), by a patient of their records and by a clinician they
// shared them all with: cold, with no record index on the device, and warm,
// with the index of the run before and nothing changed.
func BenchmarkList(b *testing.B) {
	for _, n := range benchSizes(b) {
		for _, who := range strings.Split(*listWho, ",") {
			benchmarkList(b, n, who)
		}
	}
}

// benchSizes parses -list-sizes.
func benchSizes(b *testing.B) []int {
	var sizes []int
	for _, f := range bytes.Split([]byte(*listSizes), []byte(",")) {
		var n int
		if _, err := fmt.Sscan(string(f), &n); err != nil || n <= 0 {
			b.Fatalf("-list-sizes: %q", f)
		}
		sizes = append(sizes, n)
	}
	return sizes
}

// benchWorld is a world whose clients count their requests in counter, on
// a server whose rate limits are off: writing the records one by one in a
// loop is a flood to them (at 20 requests a second, 0.13 s a record), and
// what is measured is the client's and the server's work. It returns the
// server, the world, and each handle's client configuration.
func benchWorld(b *testing.B, counter *countingTransport) (*servertest.Server, *world, map[string]sdk.Config) {
	off := server.RateLimit{Rate: -1}
	srv := servertest.Start(b, server.Config{RateAddress: off, RateAccount: off})
	w, configs := benchWorldOn(b, srv, counter)
	return srv, w, configs
}

// benchWorldOn is benchWorld on a server already running (it needs its URL
// and admin invite only).
func benchWorldOn(b *testing.B, srv *servertest.Server, counter *countingTransport) (*world, map[string]sdk.Config) {
	configs := map[string]sdk.Config{}
	w := setUpWorld(b, srv, func(handle string) *sdk.Client {
		cfg := sdk.Config{Server: srv.URL, Storage: &sdk.MemoryStorage{},
			Transport: sdk.NewHTTPTransport(srv.URL, &http.Client{Transport: counter})}
		configs[handle] = cfg
		c, err := sdk.Connect(b.Context(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		return c
	})
	return w, configs
}

// benchmarkList is BenchmarkList for n records of one patient, listed by the
// patient or by a clinician they were all shared with.
func benchmarkList(b *testing.B, n int, who string) {
	counter := &countingTransport{}
	_, w, configs := benchWorld(b, counter)
	lister, cfg := w.patient, configs["alice"]
	if who == "clinician" {
		lister, cfg = w.clinician, configs["dr-jones"]
		cfg.Passphrase = func() ([]byte, error) { return []byte(clinicianPass), nil }
	} else {
		cfg.Passphrase = func() ([]byte, error) { return []byte(patientPass), nil }
	}
	for i := range n {
		info, err := w.patient.Put(b.Context(), bytes.NewReader(fmt.Appendf(nil, "glucose %d mg/dL", 70+i%90)),
			&sdk.PutOptions{Title: fmt.Sprintf("glucose %d", i), Type: "Observation"})
		if err != nil {
			b.Fatal(err)
		}
		if who == "clinician" {
			if _, err := w.patient.Share(b.Context(), info.RecordID, "dr-jones", nil); err != nil {
				b.Fatal(err)
			}
		}
	}
	if _, err := lister.List(b.Context()); err != nil { // the log and chains synced, as on any used device
		b.Fatal(err)
	}
	for _, warm := range []bool{false, true} {
		b.Run(fmt.Sprintf("records=%d/%s/warm=%v", n, who, warm), func(b *testing.B) {
			var requests, read int64
			for b.Loop() {
				b.StopTimer()
				if !warm {
					if err := cfg.Storage.Save(b.Context(), "records.sealed", nil); err != nil {
						b.Fatal(err)
					}
				}
				next, err := sdk.Connect(b.Context(), cfg)
				if err != nil {
					b.Fatal(err)
				}
				r0, by0 := counter.requests.Load(), counter.bytes.Load()
				b.StartTimer()
				list, err := next.List(b.Context())
				if err != nil || len(list) != n {
					b.Fatalf("List = %d records, %v", len(list), err)
				}
				requests, read = counter.requests.Load()-r0, counter.bytes.Load()-by0
			}
			b.ReportMetric(float64(requests), "requests/op")
			b.ReportMetric(float64(read)/float64(n), "bytes-read/record")
		})
	}
}
