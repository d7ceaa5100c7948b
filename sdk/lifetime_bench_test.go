//go:build linux

package sdk_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server/servertest"
)

// BenchmarkLifetime is issue 18's measure of a patient with many records
// (-list-sizes) and a clinician they shared them all with, side by side in
// one run: `ls` cold and warm, a new device's first sync (Login, then a list),
// an export (FHIR, every body fetched and verified), the audit of one record,
// and sharing every record with the clinician. Each operation runs once, in a
// new run of the client (a fresh Connect, as each CLI command is), under the
// server's default rate limits; the records are written with the limits off
// (writing them one by one in a loop is the flood the limits are for).
// The server is the real `blindvault serve`, built by the benchmark and run
// as a child process on loopback (childserver_test.go), so the client's CPU
// and the server's are measured apart. Reported per operation: requests,
// bytes read, answers 429, and the CPU time per record of the client (this
// process) and of the server (the child's, from /proc, in 10 ms ticks).
func BenchmarkLifetime(b *testing.B) {
	bin := buildServer(b)
	for _, n := range benchSizes(b) {
		benchmarkLifetime(b, bin, n)
	}
}

// perRecord is d in milliseconds, divided by n.
func perRecord(d time.Duration, n int) float64 {
	return float64(d.Microseconds()) / 1000 / float64(n)
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchmarkLifetime(b *testing.B, bin string, n int) {
	counter := &countingTransport{}
	srv := startChildServer(b, bin, "--rate-address", "off", "--rate-account", "off")
	w, configs := benchWorldOn(b, &servertest.Server{URL: srv.URL, AdminInvite: srv.AdminInvite}, counter)
	patient, clinician := configs["alice"], configs["dr-jones"]
	patient.Passphrase = func() ([]byte, error) { return []byte(patientPass), nil }
	clinician.Passphrase = func() ([]byte, error) { return []byte(clinicianPass), nil }
	start, cpu0, srvCPU0 := time.Now(), cpuTime(), srv.cpu(b)
	ids := make([]sdk.RecordID, n)
	for i := range ids {
		info, err := w.patient.Put(b.Context(), bytes.NewReader(fmt.Appendf(nil, `{"resourceType":"Observation","status":"final","code":{"text":"glucose"},"valueQuantity":{"value":%d,"unit":"mg/dL"}}`, 70+i%90)),
			&sdk.PutOptions{Title: fmt.Sprintf("glucose %d", i), Type: "Observation"})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = info.RecordID
	}
	wall, clientCPU, serverCPU := time.Since(start), cpuTime()-cpu0, srv.cpu(b)-srvCPU0
	b.Logf("%d records written in %v, %.1f ms a record; CPU a record: client %.2f ms, server %.2f ms", n, wall.Round(time.Millisecond),
		perRecord(wall, n), perRecord(clientCPU, n), perRecord(serverCPU, n))
	if _, err := w.patient.List(b.Context()); err != nil { // synced, as on any used device
		b.Fatal(err)
	}
	srv.restart(b) // under the default rate limits
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()

	// run measures op once in a new run of the client of cfg.
	run := func(name string, cfg sdk.Config, op func(c *sdk.Client) error) {
		b.Run(fmt.Sprintf("records=%d/%s", n, name), func(b *testing.B) {
			var requests, read, limited int64
			var clientCPU, serverCPU time.Duration
			for b.Loop() {
				b.StopTimer()
				c, err := sdk.Connect(b.Context(), cfg)
				if err != nil {
					b.Fatal(err)
				}
				r0, by0, l0, c0, s0 := counter.requests.Load(), counter.bytes.Load(), counter.limited.Load(), cpuTime(), srv.cpu(b)
				b.StartTimer()
				if err := op(c); err != nil {
					b.Fatalf("%s: %v", name, err)
				}
				b.StopTimer()
				requests, read, limited = counter.requests.Load()-r0, counter.bytes.Load()-by0, counter.limited.Load()-l0
				clientCPU, serverCPU = cpuTime()-c0, srv.cpu(b)-s0
				b.StartTimer()
			}
			b.ReportMetric(float64(requests), "requests/op")
			b.ReportMetric(float64(read)/float64(n), "bytes-read/record")
			b.ReportMetric(perRecord(clientCPU, n), "client-cpu-ms/record")
			b.ReportMetric(perRecord(serverCPU, n), "server-cpu-ms/record")
			b.ReportMetric(float64(limited), "429s/op")
		})
	}
	list := func(c *sdk.Client) error {
		l, err := c.List(b.Context())
		if err == nil && len(l) != n {
			err = fmt.Errorf("listed %d records, want %d", len(l), n)
		}
		return err
	}
	cold := func(cfg sdk.Config) func(c *sdk.Client) error {
		return func(c *sdk.Client) error {
			if err := cfg.Storage.Save(b.Context(), "records.sealed", nil); err != nil {
				return err
			}
			return list(c)
		}
	}
	export := func(c *sdk.Client) error {
		got, err := c.ExportFHIR(b.Context(), io.Discard)
		if err == nil && got != n {
			err = fmt.Errorf("exported %d records, want %d", got, n)
		}
		return err
	}
	audit := func(c *sdk.Client) error {
		_, err := c.Audit(b.Context(), ids[n/2])
		return err
	}
	firstSync := func(handle, pass string) (sdk.Config, func(c *sdk.Client) error) {
		cfg := configs[handle]
		cfg.Storage = &sdk.MemoryStorage{}
		return cfg, func(c *sdk.Client) error {
			if _, err := c.Login(b.Context(), &sdk.LoginOptions{Handle: handle, Passphrase: []byte(pass)}); err != nil {
				return err
			}
			return list(c)
		}
	}
	for _, who := range []struct {
		name, handle, pass string
		cfg                sdk.Config
	}{{"patient", "alice", patientPass, patient}, {"clinician", "dr-jones", clinicianPass, clinician}} {
		if who.name == "clinician" {
			run("patient/share-all", patient, func(c *sdk.Client) error {
				_, err := c.ShareRecords(b.Context(), ids, "dr-jones", nil)
				return err
			})
		}
		run(who.name+"/ls-cold", who.cfg, cold(who.cfg))
		run(who.name+"/ls-warm", who.cfg, list)
		run(who.name+"/export", who.cfg, export)
		run(who.name+"/audit-one", who.cfg, audit)
		cfg, op := firstSync(who.handle, who.pass)
		run(who.name+"/new-device-first-sync", cfg, op)
	}
}
