package server

import (
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"
)

func get(t *testing.T, ts *testServer, path string, hdr map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, ts.URL+path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := ts.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestRateLimit_Address_RetryAfter(t *testing.T) {
	ts := newTestServer(t, Config{RateAddress: RateLimit{Rate: 1, Burst: 3}})
	var last *http.Response
	for range 4 {
		last = get(t, ts, "/healthz", nil)
	}
	if last.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("4th request in a burst of 3 = %d, want 429", last.StatusCode)
	}
	if s, err := strconv.Atoi(last.Header.Get("Retry-After")); err != nil || s < 1 {
		t.Fatalf("Retry-After = %q, want whole seconds ≥ 1", last.Header.Get("Retry-After"))
	}
	// A forged X-Forwarded-For from an untrusted client lands in the same bucket.
	if r := get(t, ts, "/healthz", map[string]string{"X-Forwarded-For": "203.0.113.9"}); r.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("forged X-Forwarded-For = %d, want 429 (no fresh bucket)", r.StatusCode)
	}
}

func TestRateLimit_Account(t *testing.T) {
	ts := newTestServer(t, Config{RateAddress: RateLimit{Rate: -1}, RateAccount: RateLimit{Rate: 1, Burst: 2}})
	alice := registerAndLogin(t, ts, "alice", "patient", "")
	codes := []int{}
	for range 3 {
		resp := alice.do(t, http.MethodGet, "/v1/records", nil)
		resp.Body.Close()
		codes = append(codes, resp.StatusCode)
	}
	if codes[2] != http.StatusTooManyRequests {
		t.Fatalf("per-account requests = %v, want the 3rd refused with 429", codes)
	}
	// Another account is not affected by alice's limit.
	bob := registerAndLogin(t, ts, "bob", "patient", "")
	if resp := bob.do(t, http.MethodGet, "/v1/records", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("bob after alice's limit = %d, want 200", resp.StatusCode)
	}
}

func TestClientAddr_TrustedProxy(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	for _, c := range []struct{ remote, xff, want string }{
		{"192.0.2.1:5000", "198.51.100.7", "192.0.2.1"},            // untrusted peer: XFF ignored
		{"10.1.2.3:5000", "198.51.100.7", "198.51.100.7"},          // trusted proxy: its client
		{"10.1.2.3:5000", "1.2.3.4, 198.51.100.7", "198.51.100.7"}, // rightmost untrusted hop
		{"10.1.2.3:5000", "198.51.100.7, 10.9.9.9", "198.51.100.7"},
		{"10.1.2.3:5000", "garbage", "10.1.2.3"},
	} {
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = c.remote
		r.Header.Set("X-Forwarded-For", c.xff)
		if got := clientAddr(r, trusted); got != c.want {
			t.Errorf("clientAddr(%s, XFF %q) = %s, want %s", c.remote, c.xff, got, c.want)
		}
	}
}

func TestOps_HealthReadyMetrics(t *testing.T) {
	ts := newTestServer(t, Config{})
	newRecAccount(t, ts, "writer") // a write, so the store has committed
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		if r := get(t, ts, p, nil); r.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d, want 200", p, r.StatusCode)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/metrics", nil)
	resp, err := ts.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, series := range []string{`{code="200",method="GET",route="/healthz"}`, `{code="201",method="POST",route="/v1/accounts"}`} {
		if !strings.Contains(string(body), "blindvault_http_requests_total"+series) {
			t.Fatalf("/metrics lacks the request counter %s", series)
		}
	}
	for _, name := range []string{"commits", "commit_writes", "commit_page_writes", "commit_busy_seconds"} {
		var v float64
		line := metricLine(string(body), "blindvault_store_"+name+"_total")
		if _, err := fmt.Sscan(line, &v); err != nil || v <= 0 {
			t.Errorf("/metrics: blindvault_store_%s_total = %q, want a count above 0", name, line)
		}
	}
}

// metricLine returns the value of an unlabelled series in a Prometheus text
// exposition, or "" if it is not there.
func metricLine(exposition, name string) string {
	for line := range strings.Lines(exposition) {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
