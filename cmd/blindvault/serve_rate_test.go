package main

import (
	"net/http"
	"path/filepath"
	"testing"
)

func TestRateFlag(t *testing.T) {
	for in, want := range map[string]string{"off": "off", "20/60": "20/60", "0.5/1": "0.5/1"} {
		var r rateFlag
		if err := r.Set(in); err != nil || r.String() != want {
			t.Errorf("Set(%q) = %v, reads back %q; want %q", in, err, r.String(), want)
		}
	}
	for _, in := range []string{"", "20", "20/", "/60", "0/5", "-1/5", "20/0", "x/y", "OFF"} {
		var r rateFlag
		if err := r.Set(in); err == nil {
			t.Errorf("Set(%q) = nil, want an error", in)
		}
	}
}

// --rate-address limits a client address as it says: a burst of two, then
// 429.
func TestServe_RateAddressFlag(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	url, _ := startServe(t, "--data", data, "--addr", "127.0.0.1:0", "--insecure-http", "--rate-address", "0.01/2")
	var codes []int
	for range 3 {
		resp, err := http.Get(url + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		codes = append(codes, resp.StatusCode)
	}
	if codes[0] != http.StatusOK || codes[1] != http.StatusOK || codes[2] != http.StatusTooManyRequests {
		t.Fatalf("three requests under --rate-address 0.01/2 = %v, want 200 200 429", codes)
	}
}
