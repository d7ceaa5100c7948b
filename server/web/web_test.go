package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func TestHandler_ServesFilesWithPolicyAndAPI(t *testing.T) {
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "api "+r.URL.Path) })
	fsys := fstest.MapFS{
		"index.html":      {Data: []byte("<title>portal</title>")},
		"app.mjs":         {Data: []byte("export {}")},
		"blindvault.wasm": {Data: []byte("\x00asm")},
		".secret":         {Data: []byte("no")},
		"sub/x.txt":       {Data: []byte("x")},
	}
	srv := httptest.NewServer(HandlerFS(api, fsys))
	defer srv.Close()
	for _, tc := range []struct {
		method, path string
		status       int
		body, ctype  string
		csp          bool
	}{
		{"GET", "/", 200, "<title>portal</title>", "text/html", true},
		{"GET", "/app.mjs", 200, "export {}", "text/javascript", true},
		{"GET", "/blindvault.wasm", 200, "\x00asm", "application/wasm", true},
		{"GET", "/v1/records", 200, "api /v1/records", "", false},
		{"GET", "/healthz", 200, "api /healthz", "", false},
		{"GET", "/log/tile/0/000", 200, "api /log/tile/0/000", "", false},
		{"GET", "/.secret", 404, "", "", true},
		{"GET", "/sub/", 404, "", "", true},
		{"GET", "/missing.js", 404, "", "", true},
		{"POST", "/index.html", 405, "", "", true},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || (tc.body != "" && string(b) != tc.body) {
			t.Errorf("%s %s = %d %q, want %d %q", tc.method, tc.path, resp.StatusCode, b, tc.status, tc.body)
		}
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.ctype) {
			t.Errorf("%s %s: Content-Type = %q, want %q", tc.method, tc.path, resp.Header.Get("Content-Type"), tc.ctype)
		}
		if got := resp.Header.Get("Content-Security-Policy"); (got == ContentSecurityPolicy) != tc.csp {
			t.Errorf("%s %s: Content-Security-Policy = %q, want it set: %v", tc.method, tc.path, got, tc.csp)
		}
	}
}

// TestHandler_ConnectOrigins: the origins a page may also connect to are in
// connect-src, and nowhere else in the policy.
func TestHandler_ConnectOrigins(t *testing.T) {
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	srv := httptest.NewServer(HandlerFS(api, fstest.MapFS{"index.html": {Data: []byte("x")}}, "https://b.example", "https://c.example:8443"))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	got := resp.Header.Get("Content-Security-Policy")
	want := strings.Replace(ContentSecurityPolicy, "connect-src 'self'", "connect-src 'self' https://b.example https://c.example:8443", 1)
	if got != want {
		t.Fatalf("Content-Security-Policy = %q, want %q", got, want)
	}
}
