package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blindvault/blindvault/server/web"
)

func TestServe_WebServesPortalBesideAPI(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte("<title>portal</title>"), 0o644); err != nil {
		t.Fatal(err)
	}
	url, _ := startServe(t, "--data", filepath.Join(t.TempDir(), "data"), "--addr", "127.0.0.1:0", "--insecure-http", "--web", dir)
	for path, want := range map[string]string{"/": "<title>portal</title>", "/healthz": ""} {
		resp, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), want) {
			t.Errorf("GET %s = %d %q, want 200 with %q", path, resp.StatusCode, b, want)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); (path == "/") != (csp == web.ContentSecurityPolicy) {
			t.Errorf("GET %s: Content-Security-Policy = %q", path, csp)
		}
	}
}

func TestServe_WebWithoutIndexIsAUsageError(t *testing.T) {
	var errb strings.Builder
	code := run(t.Context(), []string{"serve", "--data", t.TempDir(), "--insecure-http", "--addr", "127.0.0.1:0", "--web", t.TempDir()}, io.Discard, &errb)
	if code == 0 || !strings.Contains(errb.String(), "--web") {
		t.Errorf("serve --web (no index.html) = exit %d, %q; want a usage error naming --web", code, errb.String())
	}
}
