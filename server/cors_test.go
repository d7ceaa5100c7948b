package server_test

import (
	"net/http"
	"testing"

	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/servertest"
)

// TestCORS_AllowedOriginsOnly: a page of an allowed origin gets its
// preflight answered and the API's answers marked readable by it; any other
// origin gets no CORS header, so its browser keeps the answer from it; and
// credentials (cookies) are never allowed.
func TestCORS_AllowedOriginsOnly(t *testing.T) {
	srv := servertest.Start(t, server.Config{CORSOrigins: []string{"https://portal.example"}})
	do := func(method, origin string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+"/v1/log/checkpoint", nil)
		req.Header.Set("Origin", origin)
		if method == http.MethodOptions {
			req.Header.Set("Access-Control-Request-Method", "POST")
			req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	pre := do(http.MethodOptions, "https://portal.example")
	if pre.StatusCode != http.StatusNoContent || pre.Header.Get("Access-Control-Allow-Origin") != "https://portal.example" ||
		pre.Header.Get("Access-Control-Allow-Headers") == "" || pre.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("preflight from the allowed origin: %d %v", pre.StatusCode, pre.Header)
	}
	if get := do(http.MethodGet, "https://portal.example"); get.StatusCode != http.StatusOK || get.Header.Get("Access-Control-Allow-Origin") != "https://portal.example" {
		t.Errorf("GET from the allowed origin: %d, Allow-Origin %q", get.StatusCode, get.Header.Get("Access-Control-Allow-Origin"))
	}
	for _, method := range []string{http.MethodOptions, http.MethodGet} {
		if resp := do(method, "https://evil.example"); resp.Header.Get("Access-Control-Allow-Origin") != "" || resp.Header.Get("Access-Control-Allow-Methods") != "" {
			t.Errorf("%s from another origin got CORS headers: %v", method, resp.Header)
		}
	}
	if resp := do(http.MethodOptions, "https://evil.example"); resp.StatusCode == http.StatusNoContent {
		t.Errorf("a preflight from another origin was answered 204")
	}
}
