//go:build !js

// Package transporttest is the conformance suite that every bridge.Transport
// must pass. An implementation's tests call Run with a function that returns
// the transport for a server's URL; the suite starts a real Blindvault server
// (server/servertest) for each check, with a few routes of its own beside the
// API, and sends requests through the transport.
//
// What a transport must do: hand on every status code as an answer, not an
// error; send the method, path, query and headers as given, and a body of
// known length with that Content-Length; return response headers under
// canonical names (first value only); stream bodies both ways (the first
// part of a response is readable before the server has written the rest,
// and the server reads the first part of a request body before the caller
// has written the rest); carry large bodies intact; end a request, and a
// body being read, when its context ends, with an error wrapping the
// context's; report a server that cannot be reached, or that drops the
// connection, as sdk.ErrUnreachable; and be safe for concurrent use.
//
// The suite needs a server, so it builds only where one runs (not js/wasm).
package transporttest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/internal/bridge"
	"github.com/blindvault/blindvault/sdk"
)

// Run runs the suite. open returns the transport under test for the server
// at baseURL; it is called once per check.
func Run(t *testing.T, open func(t *testing.T, baseURL string) bridge.Transport) {
	checks := []struct {
		name string
		run  func(t *testing.T, f *fixture, tr bridge.Transport)
	}{
		{"ServerAnswers", testServerAnswers},
		{"StatusCodes", testStatusCodes},
		{"RequestLine", testRequestLine},
		{"Headers", testHeaders},
		{"Large", testLarge},
		{"StreamsResponse", testStreamsResponse},
		{"StreamsRequest", testStreamsRequest},
		{"CancelBeforeAnswer", testCancelBeforeAnswer},
		{"CancelDuringBody", testCancelDuringBody},
		{"Deadline", testDeadline},
		{"CloseEarly", testCloseEarly},
		{"Dropped", testDropped},
		{"Concurrent", testConcurrent},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			f := startFixture(t)
			c.run(t, f, open(t, f.URL))
		})
	}
	t.Run("Unreachable", func(t *testing.T) { testUnreachable(t, open) })
}

// roundTrip sends req and reads the whole answer.
func roundTrip(t *testing.T, ctx context.Context, tr bridge.Transport, req *bridge.Request) (*bridge.Response, []byte) {
	t.Helper()
	resp, err := tr.RoundTrip(ctx, req)
	if err != nil {
		t.Fatalf("RoundTrip(%s %s) = %v", req.Method, req.Path, err)
	}
	if resp.Body == nil {
		t.Fatalf("RoundTrip(%s %s) = status %d with a nil Body", req.Method, req.Path, resp.Status)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the answer to %s %s: %v", req.Method, req.Path, err)
	}
	return resp, body
}

// wantError checks that the RoundTrip called what failed with an error
// wrapping want.
func wantError(t *testing.T, what string, resp *bridge.Response, err, want error) {
	t.Helper()
	if err == nil {
		resp.Body.Close()
		t.Fatalf("%s = status %d, want an error wrapping %q", what, resp.Status, want)
	}
	if !errors.Is(err, want) {
		t.Errorf("%s = %v, want an error wrapping %q", what, err, want)
	}
}

func get(path string) *bridge.Request { return &bridge.Request{Method: http.MethodGet, Path: path} }

func withBody(method, path string, body []byte) *bridge.Request {
	return &bridge.Request{Method: method, Path: path, Body: bytes.NewReader(body), ContentLength: int64(len(body)),
		Header: map[string]string{"Content-Type": "application/json"}}
}

// testServerAnswers checks answers of the real API: statuses, JSON bodies
// and the error body's code.
func testServerAnswers(t *testing.T, f *fixture, tr bridge.Transport) {
	ctx := t.Context()
	resp, body := roundTrip(t, ctx, tr, get("/healthz"))
	if resp.Status != http.StatusOK || string(body) != "{\"status\":\"ok\"}\n" || resp.Header["Content-Type"] != "application/json" {
		t.Errorf("GET /healthz = %d %q (Content-Type %q), want 200 {\"status\":\"ok\"} (application/json)",
			resp.Status, body, resp.Header["Content-Type"])
	}
	resp, body = roundTrip(t, ctx, tr, get("/v1/log/key"))
	var key api.LogKey
	if err := json.Unmarshal(body, &key); resp.Status != http.StatusOK || err != nil || key.Key != f.LogKey {
		t.Errorf("GET /v1/log/key = %d %q, %v; want 200 with key %q", resp.Status, body, err, f.LogKey)
	}
	for _, c := range []struct {
		req    *bridge.Request
		status int
		code   string
	}{
		{get("/v1/records"), http.StatusUnauthorized, "unauthenticated"},
		{withBody(http.MethodPost, "/v1/accounts", []byte("{")), http.StatusBadRequest, "bad_json"},
		{withBody(http.MethodPost, "/v1/accounts", bytes.Repeat([]byte(" "), 80<<10)), http.StatusRequestEntityTooLarge, "too_large"},
	} {
		resp, body := roundTrip(t, ctx, tr, c.req)
		var e api.Error
		if err := json.Unmarshal(body, &e); resp.Status != c.status || err != nil || e.Error.Code != c.code {
			t.Errorf("%s %s = %d %q, want %d with code %q", c.req.Method, c.req.Path, resp.Status, body, c.status, c.code)
		}
	}
	if resp, body := roundTrip(t, ctx, tr, get("/v1/nowhere")); resp.Status != http.StatusNotFound {
		t.Errorf("GET /v1/nowhere = %d %q, want 404", resp.Status, body)
	}
}

// testStatusCodes checks that every status is an answer, with its body.
func testStatusCodes(t *testing.T, _ *fixture, tr bridge.Transport) {
	for _, code := range []int{200, 201, 204, 206, 400, 401, 403, 404, 405, 409, 412, 413, 416, 429, 500, 502, 503} {
		resp, body := roundTrip(t, t.Context(), tr, get("/transporttest/status/"+strconv.Itoa(code)))
		want := "status " + strconv.Itoa(code)
		if code == http.StatusNoContent {
			want = ""
		}
		if resp.Status != code || string(body) != want {
			t.Errorf("GET status/%d = %d %q, want %d %q", code, resp.Status, body, code, want)
		}
	}
}

// testRequestLine checks methods, the query, Content-Length and bodies of
// every small size, known and unknown in length.
func testRequestLine(t *testing.T, _ *fixture, tr bridge.Transport) {
	ctx := t.Context()
	for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
		req := get("/transporttest/echo?from=5&limit=2&q=a%2Fb")
		req.Method = method
		resp, body := roundTrip(t, ctx, tr, req)
		if m, q := resp.Header["Transporttest-Method"], resp.Header["Transporttest-Query"]; m != method || q != "from=5&limit=2&q=a%2Fb" || len(body) != 0 {
			t.Errorf("%s echo?from=5&limit=2&q=a%%2Fb without a body: the server saw %s ?%s and %d bytes", method, m, q, len(body))
		}
	}
	for _, n := range []int{0, 1, 100, firstPart - 1, firstPart + 1} {
		in := pattern(n)
		resp, body := roundTrip(t, ctx, tr, withBody(http.MethodPut, "/transporttest/echo", in))
		if cl := resp.Header["Transporttest-Content-Length"]; n > 0 && cl != strconv.Itoa(n) {
			t.Errorf("PUT of %d bytes with ContentLength %d: the server saw Content-Length %s", n, n, cl)
		}
		if !bytes.Equal(body, in) {
			t.Errorf("PUT of %d bytes: the echo is %d bytes, not the same", n, len(body))
		}
		resp, body = roundTrip(t, ctx, tr, &bridge.Request{Method: http.MethodPost, Path: "/transporttest/echo",
			Body: io.MultiReader(bytes.NewReader(in)), ContentLength: -1})
		if resp.Status != http.StatusOK || !bytes.Equal(body, in) {
			t.Errorf("POST of %d bytes of unknown length = %d, echo of %d bytes, not the same", n, resp.Status, len(body))
		}
	}
}

// testHeaders checks request headers in any case, and response headers
// under canonical names with their first value.
func testHeaders(t *testing.T, _ *fixture, tr bridge.Transport) {
	sent := map[string]string{
		"authorization":   "Bearer 0123456789abcdef",
		"Content-Type":    "application/json",
		"blindvault-test": "a b, c",
		"RANGE":           "bytes=0-99",
	}
	resp, body := roundTrip(t, t.Context(), tr, &bridge.Request{Method: http.MethodPost, Path: "/transporttest/headers",
		Header: sent, Body: strings.NewReader("{}"), ContentLength: 2})
	var seen map[string][]string
	if err := json.Unmarshal(body, &seen); err != nil {
		t.Fatalf("POST headers = %d %q: %v", resp.Status, body, err)
	}
	for k, v := range sent {
		if got := seen[textproto.CanonicalMIMEHeaderKey(k)]; len(got) != 1 || got[0] != v {
			t.Errorf("request header %s: %q = the server saw %q, want [%q]", k, v, got, v)
		}
	}
	for k := range resp.Header {
		if k != textproto.CanonicalMIMEHeaderKey(k) {
			t.Errorf("response header %q is not under its canonical name", k)
		}
	}
	for k, want := range map[string]string{"Transporttest-Lower": "lower", "Transporttest-Multi": "first", "Content-Type": "application/json"} {
		if got := resp.Header[k]; got != want {
			t.Errorf("response header %s = %q, want %q", k, got, want)
		}
	}
}

// testLarge sends and receives 32 MiB, of known and of unknown length.
func testLarge(t *testing.T, _ *fixture, tr bridge.Transport) {
	in := pattern(32 << 20)
	for _, known := range []bool{true, false} {
		req := withBody(http.MethodPut, "/transporttest/echo", in)
		if !known {
			req.Body, req.ContentLength = io.MultiReader(bytes.NewReader(in)), -1
		}
		resp, body := roundTrip(t, t.Context(), tr, req)
		if resp.Status != http.StatusOK || !bytes.Equal(body, in) {
			t.Errorf("PUT of 32 MiB (length known: %v) = %d and an echo of %d bytes, not the same", known, resp.Status, len(body))
		}
	}
}

// testStreamsResponse reads the first part of an answer while the server
// still holds back the rest.
func testStreamsResponse(t *testing.T, f *fixture, tr bridge.Transport) {
	const size = 4 * firstPart
	late := time.AfterFunc(patience/2, f.letGo)
	resp, err := tr.RoundTrip(t.Context(), get("/transporttest/stream?size="+strconv.Itoa(size)))
	if err != nil {
		t.Fatalf("RoundTrip(stream) = %v", err)
	}
	defer resp.Body.Close()
	first := make([]byte, firstPart)
	if _, err := io.ReadFull(resp.Body, first); err != nil {
		t.Fatalf("reading the first %d bytes of the answer: %v", firstPart, err)
	}
	if !late.Stop() {
		t.Errorf("the first %d bytes of an answer arrived only after the server sent the rest: the transport does not stream answers", firstPart)
	}
	f.letGo()
	rest, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the rest of the answer: %v", err)
	}
	if got := append(first, rest...); !bytes.Equal(got, pattern(size)) {
		t.Errorf("streamed answer = %d bytes, not the %d sent", len(got), size)
	}
}

// testStreamsRequest writes the rest of a request body only after the
// server has read its first part.
func testStreamsRequest(t *testing.T, f *fixture, tr bridge.Transport) {
	in := pattern(3 * firstPart)
	pr, pw := io.Pipe()
	go func() {
		if _, err := pw.Write(in[:firstPart]); err != nil {
			return
		}
		select {
		case <-f.gotFirst:
		case <-time.After(patience):
			pw.CloseWithError(errors.New("the server never saw the first part: the transport does not stream request bodies"))
			return
		}
		pw.Write(in[firstPart:])
		pw.Close()
	}()
	defer pr.Close()
	resp, body := roundTrip(t, t.Context(), tr, &bridge.Request{Method: http.MethodPut, Path: "/transporttest/upload",
		Body: pr, ContentLength: int64(len(in))})
	if want := strconv.Itoa(len(in)) + " " + hashHex(in); resp.Status != http.StatusOK || string(body) != want {
		t.Errorf("streamed upload = %d %q, want 200 %q", resp.Status, body, want)
	}
}

// testCancelBeforeAnswer cancels a request the server holds: RoundTrip
// returns the context's error, and the server sees the request end.
func testCancelBeforeAnswer(t *testing.T, f *fixture, tr bridge.Transport) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		select {
		case <-f.hanging:
			cancel()
		case <-time.After(patience):
		}
	}()
	start := time.Now()
	resp, err := tr.RoundTrip(ctx, get("/transporttest/hang"))
	wantError(t, "RoundTrip(hang), cancelled", resp, err, context.Canceled)
	if d := time.Since(start); d > patience/2 {
		t.Errorf("RoundTrip(hang) returned %v after it started; cancellation should end it at once", d)
	}
	select {
	case <-f.cancelled:
	case <-time.After(patience):
		t.Errorf("the server never saw the cancelled request end")
	}
}

// testCancelDuringBody cancels while the answer is being read: the next
// read fails instead of waiting for the rest.
func testCancelDuringBody(t *testing.T, f *fixture, tr bridge.Transport) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	resp, err := tr.RoundTrip(ctx, get("/transporttest/stream?size="+strconv.Itoa(4*firstPart)))
	if err != nil {
		t.Fatalf("RoundTrip(stream) = %v", err)
	}
	defer resp.Body.Close()
	if _, err := io.ReadFull(resp.Body, make([]byte, firstPart)); err != nil {
		t.Fatalf("reading the first part: %v", err)
	}
	cancel()
	done := make(chan error, 1)
	go func() {
		_, err := io.ReadAll(resp.Body)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("reading an answer after its context was cancelled = %v, want an error wrapping context.Canceled", err)
		}
	case <-time.After(patience):
		f.letGo()
		t.Errorf("reading an answer after its context was cancelled waited for the server")
	}
}

// testDeadline lets a request's deadline pass.
func testDeadline(t *testing.T, _ *fixture, tr bridge.Transport) {
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	resp, err := tr.RoundTrip(ctx, get("/transporttest/hang"))
	wantError(t, "RoundTrip(hang) past its deadline", resp, err, context.DeadlineExceeded)
}

// testCloseEarly closes an answer before reading it all; the transport goes
// on working.
func testCloseEarly(t *testing.T, _ *fixture, tr bridge.Transport) {
	resp, err := tr.RoundTrip(t.Context(), get("/transporttest/stream?size="+strconv.Itoa(4*firstPart)))
	if err != nil {
		t.Fatalf("RoundTrip(stream) = %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- resp.Body.Close() }()
	select {
	case <-done:
	case <-time.After(patience):
		t.Fatalf("closing an answer before its end waited for the server")
	}
	if resp, body := roundTrip(t, t.Context(), tr, get("/healthz")); resp.Status != http.StatusOK {
		t.Errorf("GET /healthz after an early close = %d %q, want 200", resp.Status, body)
	}
}

// testDropped: a server that closes the connection without an answer.
func testDropped(t *testing.T, _ *fixture, tr bridge.Transport) {
	resp, err := tr.RoundTrip(t.Context(), get("/transporttest/drop"))
	wantError(t, "RoundTrip(drop)", resp, err, sdk.ErrUnreachable)
}

// testUnreachable sends to an address where nothing listens.
func testUnreachable(t *testing.T, open func(t *testing.T, baseURL string) bridge.Transport) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close()
	resp, err := open(t, url).RoundTrip(t.Context(), get("/healthz"))
	wantError(t, "RoundTrip to "+url+", where nothing listens", resp, err, sdk.ErrUnreachable)
}

// testConcurrent runs requests on one transport from many goroutines.
func testConcurrent(t *testing.T, _ *fixture, tr bridge.Transport) {
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i := range n {
		wg.Go(func() {
			in := bytes.Repeat([]byte{byte(i)}, 64<<10+i)
			resp, err := tr.RoundTrip(t.Context(), withBody(http.MethodPut, "/transporttest/echo", in))
			if err != nil {
				errs <- err.Error()
				return
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil || !bytes.Equal(body, in) {
				errs <- "echo " + strconv.Itoa(i) + ": a different answer"
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
