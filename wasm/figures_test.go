//go:build !js

package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
)

// TestBrowser_Figures measures, in Chromium, what docs/benchmarks.md reports
// for the browser: a 64 MiB body sealed and opened by the WebCrypto path
// against AES-256-GCM in Go-wasm, and the time to register and to log in on
// a new device (Argon2id at the floor in wasm, and the OPRF). It prints the
// figures (go test -v -run TestBrowser_Figures ./wasm, or make wasm-figures),
// with what each part of a body costs alone (WebCrypto's calls from memory,
// reading a Blob, making one), and asserts nothing about time.
func TestBrowser_Figures(t *testing.T) {
	const size = 64 << 20
	p := testPage(t)
	var body struct {
		Bytes, Cores int
		Runs         []struct {
			Workers        int
			SealMs, OpenMs float64
		}
	}
	var gowasm struct{ SealMs, OpenMs float64 }
	var limits struct{ AesMs, ShaMs, PairMs, BlobReadMs, BlobMakeMs float64 }
	var login struct{ RegisterMs, LoginMs float64 }
	for _, m := range []struct {
		call string
		v    any
	}{
		{fmt.Sprintf("bodyThroughput(%d)", size), &body},
		{fmt.Sprintf("goWasmAESGCM(%d)", size), &gowasm},
		{fmt.Sprintf("limits(%d)", size), &limits},
		{`loginTiming("a passphrase only for the benchmark 9")`, &login},
	} {
		if err := json.Unmarshal([]byte(p.eval(`tests.`+m.call+`.then(JSON.stringify)`)), m.v); err != nil {
			t.Fatalf("%s: %v", m.call, err)
		}
	}
	mbps := func(ms float64) float64 { return size / 1e6 / (ms / 1000) }
	brotli := brotliSize(t, filepath.Join(built(t), "blindvault.wasm"))
	t.Logf("blindvault.wasm with brotli: %d bytes (%.2f MiB)", brotli, float64(brotli)/(1<<20))
	t.Logf("64 MiB, AES-256-GCM in Go-wasm: seal %.0f ms (%.0f MB/s), open %.0f ms (%.0f MB/s)",
		gowasm.SealMs, mbps(gowasm.SealMs), gowasm.OpenMs, mbps(gowasm.OpenMs))
	t.Logf("64 MiB, each part alone: 16 KiB WebCrypto calls from memory, 64 in flight: AES-256-GCM %.0f MB/s, SHA-256 %.0f MB/s, the pair a chunk needs %.0f MB/s (%.1f× Go-wasm AES-GCM seal); reading a Blob in 4 MiB slices %.0f MB/s; making a Blob of 16 KiB parts %.0f MB/s",
		mbps(limits.AesMs), mbps(limits.ShaMs), mbps(limits.PairMs), gowasm.SealMs/limits.PairMs, mbps(limits.BlobReadMs), mbps(limits.BlobMakeMs))
	for _, r := range body.Runs {
		t.Logf("64 MiB body, WebCrypto path, %d workers (%d cores): seal %.0f ms (%.0f MB/s, %.1f× Go-wasm), open %.0f ms (%.0f MB/s, %.1f× Go-wasm)",
			r.Workers, body.Cores, r.SealMs, mbps(r.SealMs), gowasm.SealMs/r.SealMs, r.OpenMs, mbps(r.OpenMs), gowasm.OpenMs/r.OpenMs)
	}
	t.Logf("register %.0f ms; log in on a new device %.0f ms (Argon2id t=3 m=64MiB p=4 in wasm twice: backup slot and the device's key file; OPRF)",
		login.RegisterMs, login.LoginMs)
}
