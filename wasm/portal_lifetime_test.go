//go:build !js

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	cdpheap "github.com/chromedp/cdproto/heapprofiler"
	cdpperf "github.com/chromedp/cdproto/performance"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server"
)

// The portal with a lifetime of records (issue 18): a patient whose account
// holds n records, written through the Go SDK, signs in on the portal in a
// fresh browser (the first list, cold), unlocks it again after a reload (the
// list from the record index kept in IndexedDB, warm), filters by type,
// searches titles, and opens one record.

var portalSizes = flag.String("portal-records", "10000", "record counts BenchmarkBrowser_Lifetime measures the portal at, comma-separated")

// apiLog notes when each API request (/v1/…) reached the server.
type apiLog struct {
	mu    sync.Mutex
	times []time.Time
}

func (l *apiLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v1/") {
			l.mu.Lock()
			l.times = append(l.times, time.Now())
			l.mu.Unlock()
		}
		h.ServeHTTP(w, r)
	})
}

// between counts the API requests that arrived from from to to.
func (l *apiLog) between(from, to time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, t := range l.times {
		if !t.Before(from) && !t.After(to) {
			n++
		}
	}
	return n
}

// lifetime is a patient's account with n records: one in ten a clinic letter
// (text/plain), the others glucose readings (FHIR Observations).
type lifetime struct {
	site    *site
	log     *apiLog
	n       int
	handle  string
	letters int // records of type text/plain
}

func recordTitle(i int) string {
	if i%10 == 9 {
		return fmt.Sprintf("Clinic letter %d", i)
	}
	return fmt.Sprintf("Glucose %d", i)
}

// newLifetime starts a site whose API requests are counted and writes n
// records for a patient through the Go SDK, with the server's rate limits
// off while it writes (a loop of puts is the flood they are for) and its
// defaults on afterwards.
func newLifetime(tb testing.TB, n int) *lifetime {
	tb.Helper()
	log := &apiLog{}
	off := server.RateLimit{Rate: -1}
	s := startSiteBehind(tb, server.Config{RateAddress: off, RateAccount: off}, log.wrap)
	c, err := sdk.Connect(tb.Context(), sdk.Config{Server: s.URL, Storage: &sdk.MemoryStorage{}})
	if err != nil {
		tb.Fatal(err)
	}
	lt := &lifetime{site: s, log: log, n: n, handle: "pat"}
	if _, err := c.Register(tb.Context(), &sdk.RegisterOptions{Handle: lt.handle, Passphrase: []byte(patientPass)}); err != nil {
		tb.Fatal(err)
	}
	start := time.Now()
	for i := range n {
		title, typ := recordTitle(i), "Observation"
		body := fmt.Appendf(nil, `{"resourceType":"Observation","status":"final","code":{"text":"glucose"},"valueQuantity":{"value":%d,"unit":"mg/dL"}}`, 70+i%90)
		if i%10 == 9 {
			typ, body = "text/plain", fmt.Appendf(nil, "Seen in clinic, visit %d.", i)
			lt.letters++
		}
		if _, err := c.Put(tb.Context(), bytes.NewReader(body), &sdk.PutOptions{Title: title, Type: typ, Size: int64(len(body))}); err != nil {
			tb.Fatal(err)
		}
	}
	tb.Logf("%d records written through the Go SDK in %v", n, time.Since(start).Round(time.Millisecond))
	s.API.SetRateLimits(server.RateLimit{Rate: 50, Burst: 100}, server.RateLimit{Rate: 20, Burst: 60})
	return lt
}

// matching counts the titles that contain q, as the portal's search does.
func (lt *lifetime) matching(q string) int {
	n := 0
	for i := range lt.n {
		if strings.Contains(strings.ToLower(recordTitle(i)), q) {
			n++
		}
	}
	return n
}

// portalFigures is what one pass of the portal over the account measured.
type portalFigures struct {
	SignInMs, UnlockMs         float64 // the click to the records view and the rest of the page (alerts, devices…)
	SignInRequests             int
	UnlockRequests             int
	ColdMs, WarmMs             float64 // the list (client.list) after sign-in and after a reload
	ColdRenderMs, WarmRenderMs float64 // the records view drawn from it
	WarmRefreshMs              float64 // the list, the view, and the forms' choices of record
	ColdRequests, WarmRequests int
	FilterMs, SearchMs         float64 // the slowest redraw of a filter by type, of a keystroke of the search
	FilterRequests             int
	SearchRequests             int
	SearchWallMs               float64 // typing the whole query until the view shows its matches
	OpenMs                     float64
	OpenRequests               int
	HeapMB, RendererMB         float64 // after the warm list: the page's JS heap, its renderer process's resident memory
	Nodes                      int     // DOM nodes after the warm list
	ProfileKB, IndexKB         float64 // profile.json and records.sealed as IndexedDB holds them
	LayoutMs                   float64 // a layout of the whole page after the warm list, forced
	Rows                       int     // record rows in the DOM after the warm list
}

// measure is one User Timing measure of the page, its start in Unix time.
type measure struct {
	Start    time.Time
	Duration time.Duration
}

// measures returns the page's User Timing measures named name, oldest first.
func (p *page) measures(name string) []measure {
	p.t.Helper()
	var raw []struct{ Start, Ms float64 }
	if err := json.Unmarshal([]byte(p.eval(fmt.Sprintf(`JSON.stringify(performance.getEntriesByName(%q)
		.map((e) => ({start: performance.timeOrigin + e.startTime, ms: e.duration})))`, name))), &raw); err != nil {
		p.t.Fatal(err)
	}
	out := make([]measure, len(raw))
	for i, r := range raw {
		out[i] = measure{time.UnixMicro(int64(r.Start * 1000)), time.Duration(r.Ms * float64(time.Millisecond))}
	}
	return out
}

func (p *page) last(name string) measure {
	p.t.Helper()
	ms := p.measures(name)
	if len(ms) == 0 {
		p.t.Fatalf("[%s] the page made no %s measure", p.name, name)
	}
	return ms[len(ms)-1]
}

// waitStatus waits up to timeout for a status line that starts with want.
func (p *page) waitStatus(want string, timeout time.Duration) {
	p.t.Helper()
	p.waitFor(fmt.Sprintf(`(() => { const s = document.getElementById('status');
		if (s.dataset.code) throw new Error('ERROR ' + s.dataset.code + ' ' + s.textContent);
		return s.textContent.startsWith(%q); })()`, want), timeout)
}

// waitFor waits up to timeout for a JavaScript predicate to hold.
func (p *page) waitFor(expr string, timeout time.Duration) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, timeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(timeout))); err != nil {
		p.t.Fatalf("[%s] waiting for %s: %v", p.name, expr, err)
	}
}

// memory returns the page's JS heap in use and DOM nodes (DevTools'
// Performance metrics) after a garbage collection, and the resident memory of
// its renderer process.
func (p *page) memory() (heapMB float64, nodes int, rendererMB float64) {
	p.t.Helper()
	if _, err := chromedp.Call(p.ctx, cdpheap.CollectGarbage, struct{}{}); err != nil {
		p.t.Fatal(err)
	}
	if _, err := chromedp.Call(p.ctx, cdpperf.Enable, cdpperf.EnableParams{}); err != nil {
		p.t.Fatal(err)
	}
	m, err := chromedp.Call(p.ctx, cdpperf.GetMetrics, struct{}{})
	if err != nil {
		p.t.Fatal(err)
	}
	for _, x := range m.Metrics {
		switch x.Name {
		case "JSHeapUsedSize":
			heapMB = x.Value / 1e6
		case "Nodes":
			nodes = int(x.Value)
		}
	}
	if proc := chromedp.FromContext(p.ctx).Browser.Process(); proc != nil {
		rendererMB = float64(rendererRSS(proc.Pid)) / 1e6
	}
	return heapMB, nodes, rendererMB
}

// rendererRSS is the largest resident set of the renderer processes under
// the browser process pid (the portal's tab is the only page), from /proc.
func rendererRSS(pid int) int64 {
	var most int64
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmd, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !bytes.Contains(cmd, []byte("--type=renderer")) || !descends(child, pid) {
			continue
		}
		status, err := os.ReadFile(filepath.Join("/proc", e.Name(), "status"))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(status), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
				if kb, err := strconv.ParseInt(f[1], 10, 64); err == nil && kb*1024 > most {
					most = kb * 1024
				}
			}
		}
	}
	return most
}

// descends says whether process pid has ancestor as a parent, grandparent….
func descends(pid, ancestor int) bool {
	for range 8 {
		stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
		if err != nil {
			return false
		}
		// pid (comm) state ppid …: comm may hold spaces, so read after its ')'.
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(f) < 2 {
			return false
		}
		if pid, err = strconv.Atoi(f[1]); err != nil || pid <= 1 {
			return false
		}
		if pid == ancestor {
			return true
		}
	}
	return false
}

// run signs the patient in on the portal in a fresh browser and measures the
// portal over the account. timeout bounds each wait for the page.
func (lt *lifetime) run(tb testing.TB, timeout time.Duration) (portalFigures, *page) {
	tb.Helper()
	var f portalFigures
	p := openPortal(tb, lt.site, "patient")
	p.waitStatus("Create an account", timeout)
	t0 := time.Now()
	p.do(p.set("login-handle", lt.handle), p.set("login-passphrase", patientPass), click("login"))
	p.waitStatus("Signed in on this device", timeout)
	f.SignInMs, f.SignInRequests = ms(time.Since(t0)), lt.log.between(t0, time.Now())
	cold, render := p.last("portal:list"), p.last("portal:render")
	f.ColdMs, f.ColdRenderMs = ms(cold.Duration), ms(render.Duration)
	f.ColdRequests = lt.log.between(cold.Start, cold.Start.Add(cold.Duration))
	tb.Logf("sign-in %.0f ms, %d requests; cold list %.0f ms, %d requests; drawn in %.1f ms", f.SignInMs, f.SignInRequests, f.ColdMs, f.ColdRequests, f.ColdRenderMs)
	lt.checkView(tb, p, lt.n)

	p.do(chromedp.Reload())
	p.settle(`document.getElementById('status').textContent.startsWith('Unlock')`)
	t0 = time.Now()
	p.do(p.set("unlock-passphrase", patientPass), click("unlock"))
	p.waitStatus("Welcome back", timeout)
	f.UnlockMs, f.UnlockRequests = ms(time.Since(t0)), lt.log.between(t0, time.Now())
	warm, render := p.last("portal:list"), p.last("portal:render")
	f.WarmMs, f.WarmRenderMs = ms(warm.Duration), ms(render.Duration)
	f.WarmRefreshMs = ms(p.last("portal:refresh").Duration)
	f.WarmRequests = lt.log.between(warm.Start, warm.Start.Add(warm.Duration))
	f.Rows = lt.checkView(tb, p, lt.n)
	f.HeapMB, f.Nodes, f.RendererMB = p.memory()
	if err := json.Unmarshal([]byte(p.eval(`(() => {
		document.body.style.display = 'none';
		document.body.offsetHeight;
		document.body.style.display = '';
		const t0 = performance.now();
		document.body.offsetHeight;
		return String(performance.now() - t0);
	})()`)), &f.LayoutMs); err != nil {
		tb.Fatal(err)
	}
	var stored map[string]float64
	if err := json.Unmarshal([]byte(p.eval(`new Promise((resolve, reject) => {
		const req = indexedDB.open('blindvault');
		req.onerror = () => reject(req.error);
		req.onsuccess = () => {
			const out = {};
			const c = req.result.transaction('files').objectStore('files').openCursor();
			c.onsuccess = () => {
				const cur = c.result;
				if (!cur) return resolve(JSON.stringify(out));
				out[cur.key.slice(cur.key.lastIndexOf(':') + 1)] = cur.value.byteLength / 1000;
				cur.continue();
			};
		};
	})`)), &stored); err != nil {
		tb.Fatal(err)
	}
	f.ProfileKB, f.IndexKB = stored["profile.json"], stored["records.sealed"]
	tb.Logf("unlock %.0f ms, %d requests; warm list %.0f ms, %d requests; drawn in %.1f ms; refresh %.0f ms; layout %.0f ms; heap %.1f MB, renderer %.0f MB, %d nodes; IndexedDB: profile %.0f kB, index %.0f kB",
		f.UnlockMs, f.UnlockRequests, f.WarmMs, f.WarmRequests, f.WarmRenderMs, f.WarmRefreshMs, f.LayoutMs, f.HeapMB, f.RendererMB, f.Nodes, f.ProfileKB, f.IndexKB)

	// Filter by type: the letters only, then all types again.
	renders := len(p.measures("portal:render"))
	t0 = time.Now()
	p.eval(`(() => { const s = document.getElementById('records-type'); s.value = 'text/plain'; s.dispatchEvent(new Event('change')); return ''; })()`)
	p.waitFor(fmt.Sprintf(`document.getElementById('records').dataset.shown === '%d'`, lt.letters), timeout)
	lt.checkView(tb, p, lt.letters)
	p.eval(`(() => { const s = document.getElementById('records-type'); s.value = ''; s.dispatchEvent(new Event('change')); return ''; })()`)
	p.waitFor(fmt.Sprintf(`document.getElementById('records').dataset.shown === '%d'`, lt.n), timeout)
	f.FilterRequests = lt.log.between(t0, time.Now())
	f.FilterMs = slowest(p.measures("portal:render")[renders:])

	// Search, typed a key at a time.
	const query = "glucose 12"
	renders = len(p.measures("portal:render"))
	t0 = time.Now()
	p.do(chromedp.Focus("#records-search"), chromedp.SendKeys("#records-search", strings.ToUpper(query)))
	want := lt.matching(query)
	p.waitFor(fmt.Sprintf(`document.getElementById('records').dataset.shown === '%d'`, want), timeout)
	f.SearchWallMs = ms(time.Since(t0))
	f.SearchRequests = lt.log.between(t0, time.Now())
	f.SearchMs = slowest(p.measures("portal:render")[renders:])
	lt.checkView(tb, p, want)

	// Open the first record listed.
	id := p.eval(`document.querySelector('#records tbody tr[data-id]').dataset.id`)
	t0 = time.Now()
	p.do(chromedp.Click(fmt.Sprintf(`button[data-open="%s"]`, id)))
	p.waitStatus("Opened", timeout)
	f.OpenMs = ms(time.Since(t0))
	f.OpenRequests = lt.log.between(t0, time.Now())
	return f, p
}

// pageRows is how many record rows the portal draws at first (app.mjs).
const pageRows = 100

// checkView checks the records view of n records shown: the count the page
// keeps, the rows drawn (a page of them, the rest a button away), and the
// line that says so. It returns the rows drawn.
func (lt *lifetime) checkView(tb testing.TB, p *page, shown int) int {
	tb.Helper()
	var v struct {
		Count, Shown, Rows int
		Line               string
		More               bool
	}
	if err := json.Unmarshal([]byte(p.eval(`JSON.stringify({
		count: Number(document.getElementById('records').dataset.count),
		shown: Number(document.getElementById('records').dataset.shown),
		rows: document.querySelectorAll('#records tbody tr[data-id]').length,
		line: document.getElementById('records-shown').textContent,
		more: !(document.getElementById('records-more')?.hidden ?? true),
	})`)), &v); err != nil {
		tb.Fatal(err)
	}
	if v.Count != lt.n || v.Shown != shown {
		tb.Errorf("the page counts %d records, %d shown; want %d, %d", v.Count, v.Shown, lt.n, shown)
	}
	if want := min(shown, pageRows); v.Rows != want || v.More != (shown > pageRows) {
		tb.Errorf("%d of %d records shown are drawn (more to show: %v), want %d", v.Rows, shown, v.More, want)
	}
	return v.Rows
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func slowest(ms []measure) float64 {
	var most time.Duration
	for _, m := range ms {
		most = max(most, m.Duration)
	}
	return float64(most.Microseconds()) / 1000
}

// TestBrowser_PortalManyRecords is the portal over an account of a few
// hundred records: the lists make a page's worth of requests, not one per
// record (the warm one reads the record index kept in IndexedDB); filtering
// and searching make none; the view draws a page of rows and says how many
// there are.
func TestBrowser_PortalManyRecords(t *testing.T) {
	const n = 250
	axe, err := os.ReadFile(axePath(t))
	if err != nil {
		t.Fatalf("axe-core: %v (.ci/deps installs it with npm)", err)
	}
	lt := newLifetime(t, n)
	f, p := lt.run(t, 90*time.Second)
	t.Logf("%d records: %+v", n, f)
	// The bound on a list's requests: N / 100 + 10.
	if f.ColdRequests > n/100+10 || f.WarmRequests > n/100+10 {
		t.Errorf("the lists made %d (cold) and %d (warm) requests for %d records, want at most %d", f.ColdRequests, f.WarmRequests, n, n/100+10)
	}
	if f.FilterRequests != 0 || f.SearchRequests != 0 {
		t.Errorf("filtering made %d requests, searching %d; want none", f.FilterRequests, f.SearchRequests)
	}
	if f.OpenRequests == 0 {
		t.Errorf("opening a record made no request: the count of requests is broken")
	}

	// The rest of the records are a keypress away: "Show more" draws the next
	// page, keeps the focus while more are left, and hands it to the first
	// row it drew once none are.
	p.eval(`(() => { const s = document.getElementById('records-search'); s.value = ''; s.dispatchEvent(new Event('input')); return ''; })()`)
	lt.checkView(t, p, n)
	if got, want := p.text("records-shown"), fmt.Sprintf("%d records; the first %d are listed.", n, pageRows); got != want {
		t.Errorf("the count line says %q, want %q", got, want)
	}
	p.axeCheck("records, a page of them drawn", string(axe))
	p.do(chromedp.SendKeys("#records-more", kb.Enter))
	if rows, focus := p.eval(`String(document.querySelectorAll('#records tbody tr[data-id]').length)`), p.eval(`document.activeElement.id`); rows != strconv.Itoa(2*pageRows) || focus != "records-more" {
		t.Errorf("after Show more %s rows are drawn and the focus is on %q; want %d, and the button", rows, focus, 2*pageRows)
	}
	p.do(chromedp.SendKeys("#records-more", kb.Enter))
	if rows, more := p.eval(`String(document.querySelectorAll('#records tbody tr[data-id]').length)`), p.eval(`String(document.getElementById('records-more').hidden)`); rows != strconv.Itoa(n) || more != "true" {
		t.Errorf("after the last Show more %s rows are drawn (the button hidden: %s), want all %d", rows, more, n)
	}
	if got := p.eval(`document.activeElement.dataset.open ?? ''`); got != p.eval(fmt.Sprintf(`document.querySelectorAll('#records tbody tr[data-id]')[%d].dataset.id`, 2*pageRows)) {
		t.Errorf("after the last page the focus is on %q, want the first new row's Open button", got)
	}
	if got := p.text("records-shown"); got != "" {
		t.Errorf("with every record drawn the count line says %q, want nothing", got)
	}
}

// BenchmarkBrowser_Lifetime measures the portal at -portal-records records
// (default 10,000): the first list after sign-in (cold) and after a reload
// (warm), a filter by type, a search typed a key at a time, opening one
// record; the requests each made (counted at the server), and the page's
// memory. The records are written through the Go SDK first (about 20 ms
// each on a quiet machine). Run it once:
//
//	go test -run '^$' -bench BenchmarkBrowser_Lifetime -benchtime 1x -timeout 0 ./wasm
func BenchmarkBrowser_Lifetime(b *testing.B) {
	for _, field := range strings.Split(*portalSizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(field))
		if err != nil || n < 1 {
			b.Fatalf("-portal-records: %q is not a count", field)
		}
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			lt := newLifetime(b, n)
			var f portalFigures
			for b.Loop() {
				f, _ = lt.run(b, 30*time.Minute)
			}
			b.Logf("%+v", f)
			for _, m := range []struct {
				v    float64
				unit string
			}{
				{f.SignInMs, "sign-in-ms"}, {float64(f.SignInRequests), "sign-in-requests"},
				{f.UnlockMs, "unlock-ms"}, {float64(f.UnlockRequests), "unlock-requests"},
				{f.ColdMs, "cold-list-ms"}, {float64(f.ColdRequests), "cold-list-requests"}, {f.ColdRenderMs, "cold-render-ms"},
				{f.WarmMs, "warm-list-ms"}, {float64(f.WarmRequests), "warm-list-requests"}, {f.WarmRenderMs, "warm-render-ms"}, {f.WarmRefreshMs, "warm-refresh-ms"},
				{f.FilterMs, "filter-ms"}, {float64(f.FilterRequests), "filter-requests"},
				{f.SearchMs, "keystroke-ms"}, {f.SearchWallMs, "search-typed-ms"}, {float64(f.SearchRequests), "search-requests"},
				{f.OpenMs, "open-ms"}, {float64(f.OpenRequests), "open-requests"},
				{f.HeapMB, "js-heap-MB"}, {f.RendererMB, "renderer-rss-MB"}, {float64(f.Nodes), "dom-nodes"}, {float64(f.Rows), "rows-drawn"},
				{f.ProfileKB, "profile-kB"}, {f.IndexKB, "index-kB"}, {f.LayoutMs, "layout-ms"},
			} {
				b.ReportMetric(m.v, m.unit)
			}
		})
	}
}
