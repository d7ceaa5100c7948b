//go:build !js

// Browser tests: blindvault.wasm and its JavaScript in real headless
// Chromium (Debian's chromium), driven over the DevTools protocol with
// chromedp, against a real server on loopback that serves the pages the way
// `blindvault serve --web` does, under the same Content-Security-Policy.
// They need chromium and brotli installed (.ci/run installs both); they fail,
// never skip, without them.
package main

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/c2sp/wycheproof"
	"github.com/chromedp/chromedp"

	"github.com/blindvault/blindvault/internal/merkle"
	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/servertest"
	"github.com/blindvault/blindvault/server/web"
)

// wasmBudget is the size budget of blindvault.wasm with brotli
// (docs/benchmarks.md, Browser).
const wasmBudget = 1.5 * (1 << 20)

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// built returns a directory holding the browser package as build.sh makes it
// (blindvault.wasm, wasm_exec.js and the JS files), and gobench.wasm.
func built(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		if buildDir, buildErr = os.MkdirTemp("", "blindvault-wasm-"); buildErr != nil {
			return
		}
		var out bytes.Buffer
		cmd := exec.Command("sh", "build.sh", buildDir)
		cmd.Stdout, cmd.Stderr = &out, &out
		if buildErr = cmd.Run(); buildErr != nil {
			buildErr = fmt.Errorf("build.sh: %w\n%s", buildErr, out.String())
			return
		}
		cmd = exec.Command("go", "build", "-o", filepath.Join(buildDir, "gobench.wasm"), "./testdata/gobench")
		cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
		cmd.Stdout, cmd.Stderr = &out, &out
		if buildErr = cmd.Run(); buildErr != nil {
			buildErr = fmt.Errorf("building gobench: %w\n%s", buildErr, out.String())
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildDir
}

func copyFile(t testing.TB, dst, src string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// site is a real server on loopback serving the portal at /, the package at
// /blindvault/ and the test page at /test/.
type site struct {
	URL         string
	AdminInvite string
	DBPath      string
	API         *server.Server
}

func startSite(t *testing.T) *site {
	t.Helper()
	return startSiteWith(t, server.Config{})
}

// startSiteWith is startSite with cfg (servertest.StartBehind fills in the rest).
func startSiteWith(t testing.TB, cfg server.Config) *site {
	t.Helper()
	return startSiteBehind(t, cfg, nil)
}

// startSiteBehind is startSiteWith with the whole site's handler wrapped by
// wrap (nil: none), which sees every request the pages make.
func startSiteBehind(t testing.TB, cfg server.Config, wrap func(http.Handler) http.Handler) *site {
	t.Helper()
	pkg := built(t)
	root := t.TempDir()
	for _, f := range []string{"index.html", "app.mjs", "fhir.mjs", "style.css"} {
		copyFile(t, filepath.Join(root, f), filepath.Join("..", "examples", "browser", f))
	}
	for _, f := range []string{"blindvault.mjs", "blindvault.d.ts", "body.mjs", "worker.mjs", "package.json", "wasm_exec.js", "blindvault.wasm", "fhir.wasm", "pdf.wasm"} {
		copyFile(t, filepath.Join(root, "blindvault", f), filepath.Join(pkg, f))
	}
	for _, f := range []string{"index.html", "tests.mjs"} {
		copyFile(t, filepath.Join(root, "test", f), filepath.Join("testdata", "page", f))
	}
	copyFile(t, filepath.Join(root, "test", "data", "format-v1.json"), filepath.Join("..", "sdk", "testdata", "format-v1.json"))
	copyFile(t, filepath.Join(root, "test", "data", "gobench.wasm"), filepath.Join(pkg, "gobench.wasm"))
	writeWycheproof(t, filepath.Join(root, "test", "data", "wycheproof.json"))

	srv := servertest.StartBehind(t, cfg, func(api http.Handler) http.Handler {
		h := web.Handler(api, root)
		if wrap != nil {
			h = wrap(h)
		}
		return h
	})
	return &site{URL: srv.URL, AdminInvite: srv.AdminInvite, DBPath: srv.Path, API: srv.API}
}

func random(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// writeWycheproof writes Wycheproof's Cobblestone-256 vectors for the test
// page, decompressed, with the leaves of every valid ciphertext.
func writeWycheproof(t testing.TB, path string) {
	t.Helper()
	raw, err := fs.ReadFile(wycheproof.TestVectors, "c2sp_chunked_encryption_aes_256_gcm_test.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		TestGroups []struct {
			Tests []struct {
				TcID                         int
				Comment                      string
				Flags                        []string
				Key, Ctx, CT, AEADKey        string
				BaseNonce, MsgSHA512, Result string
				MsgLength                    *int
			}
		}
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	type out struct {
		TcID      int      `json:"tcId"`
		Comment   string   `json:"comment"`
		Flags     []string `json:"flags"`
		Result    string   `json:"result"`
		Key       []byte   `json:"key"`
		Ctx       []byte   `json:"ctx"`
		CT        []byte   `json:"ct"`
		AEADKey   []byte   `json:"aeadKey"`
		BaseNonce []byte   `json:"baseNonce"`
		MsgLength *int     `json:"msgLength"`
		MsgSHA512 string   `json:"msgSha512"`
		Leaves    []byte   `json:"leaves"`
	}
	var cases []out
	unhex := func(s string) []byte {
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, g := range f.TestGroups {
		for _, c := range g.Tests {
			zr, err := zlib.NewReader(bytes.NewReader(unhex(c.CT)))
			if err != nil {
				t.Fatal(err)
			}
			ct, err := io.ReadAll(io.LimitReader(zr, 64<<20))
			if err != nil {
				t.Fatal(err)
			}
			o := out{TcID: c.TcID, Comment: c.Comment, Flags: c.Flags, Result: c.Result, Key: unhex(c.Key), Ctx: unhex(c.Ctx),
				CT: ct, AEADKey: unhex(c.AEADKey), BaseNonce: unhex(c.BaseNonce), MsgLength: c.MsgLength, MsgSHA512: c.MsgSHA512}
			if c.Result == "valid" {
				for off := 56; off < len(ct); off += 16400 {
					l := merkle.LeafHash(ct[off:min(off+16400, len(ct))])
					o.Leaves = append(o.Leaves, l[:]...)
				}
			}
			cases = append(cases, o)
		}
	}
	b, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// browser starts a headless Chromium with a fresh profile, and the extra
// options, and returns a tab. Console errors and exceptions are logged; a
// Content-Security-Policy violation fails the test.
func browser(t testing.TB, name string, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium not found (apt-get install chromium): %v", err)
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	}, extra...)...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		cancelA()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if strings.Contains(m.Text, "Content Security Policy") || strings.Contains(m.Text, "Content-Security-Policy") {
				t.Errorf("[%s] policy violation: %s", name, m.Text)
			} else if m.IsException() || m.Type == "error" || m.Type == "warning" {
				t.Logf("[%s console %s] %s", name, m.Type, m.Text)
			}
		}
	}()
	return ctx
}

// page is one browser tab on the portal.
type page struct {
	t    testing.TB
	name string
	ctx  context.Context
}

func (p *page) do(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 90*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.t.Fatalf("[%s] %v", p.name, err)
	}
}

func (p *page) eval(expr string) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 90*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("[%s] %s: %v", p.name, expr, err)
	}
	return s
}

// act clears the status line, runs steps, and waits for a status that starts
// with want (or, if want is "ERROR CODE", for that error code).
func (p *page) act(want string, steps ...chromedp.Action[chromedp.Void]) string {
	p.t.Helper()
	p.eval(`(document.getElementById('status').textContent = '', delete document.getElementById('status').dataset.code, '')`)
	p.do(steps...)
	ctx, cancel := context.WithTimeout(p.ctx, 90*time.Second)
	defer cancel()
	got, err := chromedp.Run(ctx, chromedp.Poll[string](fmt.Sprintf(`(() => {
		const s = document.getElementById('status');
		if (s.dataset.code) return 'ERROR ' + s.dataset.code + ' ' + s.textContent;
		return s.textContent.startsWith(%q) ? s.textContent : '';
	})()`, want), chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(90*time.Second)))
	if err != nil {
		p.t.Fatalf("[%s] waiting for %q: %v", p.name, want, err)
	}
	if !strings.HasPrefix(got, want) {
		p.t.Fatalf("[%s] status = %q, want %q", p.name, got, want)
	}
	return got
}

func (p *page) text(id string) string {
	return p.eval(fmt.Sprintf(`document.getElementById(%q).textContent`, id))
}

func (p *page) set(id, value string) chromedp.Action[chromedp.Void] {
	return chromedp.SetValue("#"+id, value)
}

func click(id string) chromedp.Action[chromedp.Void] { return chromedp.Click("#" + id) }

func openPortal(t testing.TB, s *site, name string) *page {
	p := &page{t: t, name: name, ctx: browser(t, name)}
	p.do(chromedp.Navigate(s.URL + "/"))
	return p
}

// signUp creates a patient account named handle in the page, and saves
// (confirms) its recovery code.
func (p *page) signUp(handle string) {
	p.t.Helper()
	p.do(until(`document.getElementById('status').textContent.startsWith('Create an account')`))
	p.act("Account created", p.set("register-handle", handle), p.set("register-passphrase", patientPass), click("register"))
	p.do(click("recovery-saved"), click("recovery-done"))
}

// until waits for a JavaScript predicate to hold.
func until(expr string) chromedp.Action[chromedp.Void] {
	poll := chromedp.Poll[bool](expr, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(90*time.Second))
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := poll(ctx, t)
		return chromedp.Void{}, err
	}
}

// settle waits for a predicate across a reload the page does itself: a poll
// cut short by the navigation is started again.
func (p *page) settle(expr string) {
	p.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
		err := chromedp.Do(ctx, until(expr))
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("[%s] waiting for %s: %v", p.name, expr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func navigate(url string) chromedp.Action[chromedp.Void] { return chromedp.Navigate(url) }
