//go:build !js

package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// testPage opens the test page (testdata/page) of a new site.
func testPage(t *testing.T) *page {
	s := startSite(t)
	p := &page{t: t, name: "tests", ctx: browser(t, "tests")}
	p.do(navigate(s.URL+"/test/"), until(`document.body.dataset.ready === '1'`))
	return p
}

type report struct {
	Passed   int      `json:"passed"`
	Failures []string `json:"failures"`
	Workers  int      `json:"workers"`
	Ran      []struct {
		TcID  int      `json:"tcId"`
		Flags []string `json:"flags"`
	} `json:"ran"`
}

func (p *page) report(call string) *report {
	p.t.Helper()
	var r report
	if err := json.Unmarshal([]byte(p.eval(`tests.`+call+`.then(JSON.stringify)`)), &r); err != nil {
		p.t.Fatal(err)
	}
	for _, f := range r.Failures {
		p.t.Errorf("%s: %s", call, f)
	}
	return &r
}

// TestBrowser_Vectors runs, in Chromium, the shared format vectors
// (sdk/testdata/format-v1.json) through the JavaScript API, and Wycheproof's
// Cobblestone-256 vectors through the WebCrypto body code, in workers.
func TestBrowser_Vectors(t *testing.T) {
	p := testPage(t)
	f := p.report("formatVectors()")
	if f.Passed < 100 {
		t.Errorf("format vectors: %d checks passed, want every vector checked", f.Passed)
	}
	w := p.report("wycheproof()")
	rollovers := 0
	for _, c := range w.Ran {
		if slices.Contains(c.Flags, "CounterRollover") {
			rollovers++
		}
	}
	if len(w.Ran) != 35 || rollovers != 2 {
		t.Errorf("Wycheproof: ran %d vectors, %d of them CounterRollover; want 35 and 2", len(w.Ran), rollovers)
	}
	if w.Workers < 1 {
		t.Errorf("Wycheproof ran with %d body workers, want them in Web Workers", w.Workers)
	}
	t.Logf("format vectors: %d checks; Wycheproof: %d vectors, %d checks, %d workers", f.Passed, len(w.Ran), w.Passed, w.Workers)
}

// brotliSize is the size of file compressed with the brotli CLI at its
// highest quality.
func brotliSize(t *testing.T, file string) int {
	t.Helper()
	out, err := exec.Command("brotli", "-q", "11", "-c", file).Output()
	if err != nil {
		t.Fatalf("brotli (apt-get install brotli): %v", err)
	}
	return len(out)
}

// TestWasm_SizeBudget holds blindvault.wasm to its 1.5 MiB budget with
// brotli (docs/benchmarks.md, Browser), and net/http, tink and the PDF
// library out of it; and pdf.wasm to a budget of its own, without the SDK.
func TestWasm_SizeBudget(t *testing.T) {
	file := filepath.Join(built(t), "blindvault.wasm")
	st, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	n := brotliSize(t, file)
	t.Logf("blindvault.wasm: %d bytes, %d with brotli (%.2f MiB; budget 1.50)", st.Size(), n, float64(n)/(1<<20))
	if n > wasmBudget {
		t.Errorf("blindvault.wasm is %d bytes with brotli, over the budget of %d", n, int(wasmBudget))
	}
	cmd := exec.Command("go", "list", "-deps", ".")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	deps, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, dep := range strings.Split(string(deps), "\n") {
		if dep == "net/http" || dep == "crypto/tls" || strings.HasPrefix(dep, "github.com/tink-crypto") {
			t.Errorf("blindvault.wasm depends on %s", dep)
		}
		if dep == "codeberg.org/go-pdf/fpdf" {
			t.Errorf("blindvault.wasm links the PDF library; pdf.wasm prints the summary")
		}
	}

	// pdf.wasm, loaded for the printable summary only, has a budget of its
	// own, and prints without the SDK: it holds no key and checks nothing.
	pdf := filepath.Join(built(t), "pdf.wasm")
	st, err = os.Stat(pdf)
	if err != nil {
		t.Fatal(err)
	}
	n = brotliSize(t, pdf)
	t.Logf("pdf.wasm: %d bytes, %d with brotli (%.2f MiB; budget 1.50)", st.Size(), n, float64(n)/(1<<20))
	if n > pdfWasmBudget {
		t.Errorf("pdf.wasm is %d bytes with brotli, over its budget of %d", n, int(pdfWasmBudget))
	}
	cmd = exec.Command("go", "list", "-deps", "./pdf")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if deps, err = cmd.Output(); err != nil {
		t.Fatal(err)
	}
	for _, dep := range strings.Split(string(deps), "\n") {
		if dep == "github.com/blindvault/blindvault/sdk" || dep == "net/http" {
			t.Errorf("pdf.wasm depends on %s", dep)
		}
	}
}

// pdfWasmBudget is pdf.wasm's size budget with brotli: a second download,
// for a patient who prints a summary, no larger than blindvault.wasm's.
const pdfWasmBudget = 1.5 * (1 << 20)
