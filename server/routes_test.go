package server

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/blindvault/blindvault/internal/api"
)

// A path no route has is 404, a path served for other methods 405 with
// Allow; both carry the JSON error body of every other error.
func TestRoutes_UnknownRouteAndMethod(t *testing.T) {
	ts := newTestServer(t, recConfig())
	for _, c := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{http.MethodGet, "/v1/nope", 404, ""},
		{http.MethodGet, "/nope", 404, ""},
		{http.MethodDelete, "/v1/log/entries", 405, "GET"},
		{http.MethodPost, "/log/checkpoint", 405, "GET"},
		{http.MethodPatch, "/v1/records/" + zeroHex + "/versions/1", 405, "GET, PUT"},
		{http.MethodPost, "/v1/records/" + zeroHex, 405, "GET, DELETE"},
	} {
		req, err := http.NewRequest(c.method, ts.URL+c.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := ts.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var e api.Error
		err = json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != c.status || resp.Header.Get("Allow") != c.allow || err != nil || e.Error.Code == "" {
			t.Errorf("%s %s = %d, Allow %q, error %+v (%v); want %d, Allow %q, a JSON error",
				c.method, c.path, resp.StatusCode, resp.Header.Get("Allow"), e.Error, err, c.status, c.allow)
		}
	}
}

const zeroHex = "0000000000000000000000000000000000000000000000000000000000000000"
