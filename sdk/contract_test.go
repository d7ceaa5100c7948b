//go:build !js

package sdk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/servertest"
)

// contract checks every request and answer that passes through the server's
// handler against docs/api/openapi.yaml with kin-openapi: a request the
// spec does not describe, a status an operation does not list, or a body
// that does not match its schema is a failure.
type contract struct {
	doc    *openapi3.T
	router routers.Router

	mu        sync.Mutex
	malformed bool            // requests are wrong on purpose: check only the answer
	seen      map[string]bool // operationIds served
	failures  []string
	token     string // the last bearer token seen
}

func newContract(t *testing.T) *contract {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile("../docs/api/openapi.yaml")
	if err != nil {
		t.Fatalf("loading the spec: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("the spec does not validate: %v", err)
	}
	doc.Servers = nil // match any host: the test server's origin is a loopback port
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &contract{doc: doc, router: router, seen: map[string]bool{}}
}

func (c *contract) failf(format string, a ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failures = append(c.failures, fmt.Sprintf(format, a...))
}

// check reports the failures so far and clears them.
func (c *contract) check(t *testing.T, stage string) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range c.failures {
		t.Errorf("%s: %s", stage, f)
	}
	c.failures = nil
}

// bodyLimit bounds what the checker buffers of a request or an answer.
const bodyLimit = 64 << 20

// wrap is the middleware servertest puts in front of the server's handler.
func (c *contract) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, bodyLimit))
		if err != nil {
			c.failf("%s %s: reading the request: %v", r.Method, r.URL.Path, err)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		c.mu.Lock()
		malformed := c.malformed
		if h := r.Header.Get("Authorization"); h != "" {
			c.token = strings.TrimPrefix(h, "Bearer ")
		}
		c.mu.Unlock()

		route, params, findErr := c.router.FindRoute(r)
		ctx := context.Background()
		opts := &openapi3filter.Options{
			IncludeResponseStatus: true,
			MultiError:            true,
			AuthenticationFunc: func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
				if in.SecuritySchemeName == "bearer" && !strings.HasPrefix(in.RequestValidationInput.Request.Header.Get("Authorization"), "Bearer ") {
					return fmt.Errorf("no bearer token")
				}
				return nil
			},
		}
		in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: opts}
		switch {
		case findErr != nil && !malformed:
			c.failf("%s %s: no operation in the spec: %v", r.Method, r.URL.Path, findErr)
		case findErr == nil && !malformed:
			if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
				c.failf("%s %s (%s): request: %v", r.Method, r.URL.Path, route.Operation.OperationID, err)
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}

		rec := &teeWriter{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		if findErr != nil {
			return // the malformed table checks answers to unknown routes itself
		}
		c.mu.Lock()
		c.seen[route.Operation.OperationID] = true
		c.mu.Unlock()
		err = openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{
			RequestValidationInput: in,
			Status:                 rec.status,
			Header:                 rec.Header(),
			Body:                   io.NopCloser(bytes.NewReader(rec.body.Bytes())),
			Options:                opts,
		})
		if err != nil {
			c.failf("%s %s (%s): answer %d: %v", r.Method, r.URL.Path, route.Operation.OperationID, rec.status, err)
		}
		if rec.status >= 500 && rec.status != http.StatusServiceUnavailable {
			c.failf("%s %s (%s): answer %d %s", r.Method, r.URL.Path, route.Operation.OperationID, rec.status, rec.body.Bytes())
		}
	})
}

// lastToken is the bearer token of the last request that carried one.
func (c *contract) lastToken() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.token
}

// send makes a request with an optional bearer token and wants status.
func send(t *testing.T, srv *servertest.Server, method, path, token string, want int) {
	t.Helper()
	if resp, body := do(t, srv, method, path, token, "", nil); resp.StatusCode != want {
		t.Errorf("%s %s = %d %s, want %d", method, path, resp.StatusCode, body, want)
	}
}

// do makes a request with an optional bearer token, Content-Type and body,
// and returns the answer with its body (at most 1 MiB) read.
func do(t *testing.T, srv *servertest.Server, method, path, token, ctype string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := srv.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp, answer
}

// sweepPathParams sends every operation with path parameters twice, with
// every parameter malformed ("XYZ") and then well formed but naming nothing,
// with the patient's session and a small body of the operation's media type.
// Nothing exists under those ids, so nothing changes; every answer must be
// one the operation lists (the contract checks it), never a 5xx.
func sweepPathParams(t *testing.T, c *contract, srv *servertest.Server, token string) {
	t.Helper()
	paths := c.doc.Paths.InMatchingOrder()
	for _, path := range paths {
		item := c.doc.Paths.Value(path)
		for method, op := range item.Operations() {
			params := append(openapi3.Parameters{}, item.Parameters...)
			params = append(params, op.Parameters...)
			for _, malformed := range []bool{true, false} {
				p := path
				for _, ref := range params {
					prm := ref.Value
					if prm.In != openapi3.ParameterInPath {
						continue
					}
					v := "XYZ"
					if !malformed {
						switch sch := prm.Schema.Value; {
						case sch.Pattern == "^[0-9a-f]{64}$":
							v = strings.Repeat("cd", 32)
						case sch.Type.Is("integer"):
							v = "254"
						default:
							v = "999"
						}
					}
					p = strings.ReplaceAll(p, "{"+prm.Name+"}", v)
				}
				if p == path {
					break // no path parameters
				}
				ctype, body := "", []byte(nil)
				if op.RequestBody != nil {
					ctype, body = "application/octet-stream", []byte("not a frame!!")
					if op.RequestBody.Value.Content.Get("application/json") != nil {
						ctype, body = "application/json", []byte(`{}`)
					}
				}
				if resp, answer := do(t, srv, method, p, token, ctype, body); resp.StatusCode >= 500 {
					t.Errorf("%s %s = %d %s", method, p, resp.StatusCode, answer)
				}
			}
		}
	}
}

// logBundleSizes logs the size of the story's first entry bundle, as sent
// and gzipped: a figure for docs/spec/log-v1.md §9.
func logBundleSizes(t *testing.T, srv *servertest.Server) {
	t.Helper()
	_, cp := do(t, srv, "GET", "/log/checkpoint", "", "", nil)
	lines := strings.SplitN(string(cp), "\n", 3)
	if len(lines) < 3 {
		t.Fatalf("checkpoint %q", cp)
	}
	size, err := strconv.Atoi(lines[1])
	if err != nil {
		t.Fatalf("checkpoint size %q: %v", lines[1], err)
	}
	path := "/log/tile/entries/000"
	if size < 256 {
		path += fmt.Sprintf(".p/%d", size)
	}
	sizes := map[string]int{}
	for _, enc := range []string{"identity", "gzip"} {
		req, err := http.NewRequest("GET", srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Accept-Encoding", enc)
		resp, err := srv.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		sizes[enc] = len(b)
	}
	t.Logf("entry bundle of %d real entries: %d bytes, %d gzipped", min(size, 256), sizes["identity"], sizes["gzip"])
}

// teeWriter passes an answer through and keeps a copy of its status and
// (bounded) body.
type teeWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *teeWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *teeWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if w.body.Len() < bodyLimit {
		w.body.Write(b[:min(len(b), bodyLimit-w.body.Len())])
	}
	return w.ResponseWriter.Write(b)
}

func (w *teeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// The SDK's whole story against a real server, every request and answer
// checked against docs/api/openapi.yaml: register, invite and attest, put,
// share, list, get, revoke, audit and the log, log in on a new device from
// the backup, devices, delete, log out; then the tiled log, and a table of
// malformed requests that must each get a 4xx the spec lists.
func TestContract_ClientStoryMatchesOpenAPI(t *testing.T) {
	c := newContract(t)
	// No rate limits: the malformed table sends many requests from one address.
	srv := servertest.StartBehind(t, server.Config{RateAddress: server.RateLimit{Rate: -1}, RateAccount: server.RateLimit{Rate: -1}}, c.wrap)
	ctx := t.Context()

	w := setUpWorld(t, srv, func(string) *sdk.Client { return newClient(t, srv, nil) })
	c.check(t, "register, invite, attest")

	rec := put(t, w.patient, []byte(`{"resourceType":"Observation","code":{"text":"HbA1c"}}`), "HbA1c")
	other := put(t, w.patient, bytes.Repeat([]byte("letter "), 5000), "discharge letter")
	if _, err := w.patient.Share(ctx, rec.RecordID, "dr-jones", nil); err != nil {
		t.Fatalf("Share: %v", err)
	}
	if _, err := w.patient.Share(ctx, other.RecordID, "dr-jones", &sdk.ShareOptions{}); err != nil {
		t.Fatalf("Share: %v", err)
	}
	if list, err := w.clinician.List(ctx); err != nil || len(list) != 2 {
		t.Fatalf("clinician List = %d, %v", len(list), err)
	}
	if got, _, err := get(t, w.clinician, rec.RecordID); err != nil || !bytes.Contains(got, []byte("HbA1c")) {
		t.Fatalf("clinician Get = %q, %v", got, err)
	}
	if _, err := w.patient.Readers(ctx, rec.RecordID); err != nil {
		t.Fatalf("Readers: %v", err)
	}
	if err := w.patient.Revoke(ctx, other.RecordID, "dr-jones"); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	c.check(t, "put, share, list, get, revoke")

	if _, err := w.patient.Audit(ctx, rec.RecordID); err != nil {
		t.Fatalf("Audit: %v", err)
	}
	if _, err := w.clinician.VerifyLog(ctx); err != nil {
		t.Fatalf("VerifyLog: %v", err)
	}
	c.check(t, "audit, log")

	laptop := newClient(t, srv, nil)
	if _, err := laptop.Login(ctx, &sdk.LoginOptions{Handle: "alice", Passphrase: []byte(patientPass)}); err != nil {
		t.Fatalf("Login from the backup: %v", err)
	}
	if got, _, err := get(t, laptop, other.RecordID); err != nil || len(got) != 35000 {
		t.Fatalf("Get on the new device = %d bytes, %v", len(got), err)
	}
	if _, err := laptop.Devices(ctx); err != nil {
		t.Fatalf("Devices: %v", err)
	}
	if list, err := laptop.List(ctx); err != nil || len(list) != 2 {
		t.Fatalf("List on the new device = %d, %v", len(list), err)
	}
	devs, err := w.patient.Devices(ctx)
	if err != nil {
		t.Fatalf("Devices: %v", err)
	}
	for _, d := range devs {
		if !d.Current && d.Revoked.IsZero() {
			if err := w.patient.RevokeDevice(ctx, d.Name); err != nil {
				t.Fatalf("RevokeDevice: %v", err)
			}
		}
	}
	c.check(t, "backup, login, devices")

	// Second factors: enrol, list, and a wrong code refused as the spec says.
	if _, err := w.clinician.EnrollTOTP(ctx); err != nil {
		t.Fatalf("EnrollTOTP: %v", err)
	}
	if _, err := w.clinician.SecondFactors(ctx); err != nil {
		t.Fatalf("SecondFactors: %v", err)
	}
	if err := w.clinician.ConfirmTOTP(ctx, "000000"); err == nil {
		t.Errorf("ConfirmTOTP with a wrong code succeeded")
	}
	if err := w.clinician.RemoveTOTP(ctx, "000000"); err == nil {
		t.Errorf("RemoveTOTP of an unconfirmed factor succeeded")
	}
	c.check(t, "second factors")

	if err := w.patient.Delete(ctx, other.RecordID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	c.check(t, "delete")

	// A tlog client's reads of the tiled log, and an operator's probes.
	for _, path := range []string{"/log/checkpoint", "/log/tile/entries/000.p/1", "/log/tile/0/000.p/1", "/healthz", "/readyz", "/metrics"} {
		send(t, srv, "GET", path, "", http.StatusOK)
	}
	c.check(t, "tiles, probes")
	logBundleSizes(t, srv)

	// The owner reads the ACL; an admin suspends and resumes an account,
	// snapshots and compacts the store.
	if _, err := w.patient.List(ctx); err != nil {
		t.Fatal(err)
	}
	patient := c.lastToken()
	send(t, srv, "GET", fmt.Sprintf("/v1/records/%x/acl", rec.RecordID[:]), patient, http.StatusOK)
	// Lists past their end are empty arrays, which the spec's schemas check.
	last, me := strings.Repeat("ff", 32), fmt.Sprintf("%x", w.patient.AccountID())
	for _, path := range []string{"/v1/records?after=" + last, "/v1/shared?after=" + last, "/v1/accounts/" + me + "/cards?from=99",
		"/v1/chains/" + me + "?from=999", "/v1/log/entries?from=999999"} {
		send(t, srv, "GET", path, patient, http.StatusOK)
	}
	if resp, body := do(t, srv, "POST", "/v1/records/views", patient, "application/json", []byte(`{"ids":[]}`)); resp.StatusCode != http.StatusOK {
		t.Errorf("POST /v1/records/views with no ids = %d %s", resp.StatusCode, body)
	}
	if _, err := w.admin.Invite(ctx, "patient", 0); err != nil {
		t.Fatalf("Invite: %v", err)
	}
	admin := c.lastToken()
	clinician := fmt.Sprintf("%x", w.clinician.AccountID())
	send(t, srv, "POST", "/v1/admin/accounts/"+clinician+"/suspend", admin, http.StatusOK)
	send(t, srv, "POST", "/v1/admin/accounts/"+clinician+"/resume", admin, http.StatusOK)
	send(t, srv, "GET", "/v1/admin/snapshot", admin, http.StatusOK)
	send(t, srv, "POST", "/v1/admin/compact", admin, http.StatusNoContent)
	c.check(t, "ACL, admin")

	// The patient's token, from its last request.
	if _, err := w.patient.List(ctx); err != nil {
		t.Fatal(err)
	}
	token := c.lastToken()
	c.mu.Lock()
	c.malformed = true
	c.mu.Unlock()
	checkMalformed(t, c, srv, token, rec.RecordID, w.patient.AccountID())

	c.mu.Lock()
	c.malformed = false
	c.mu.Unlock()
	if err := w.patient.Logout(ctx); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	c.check(t, "logout")

	c.mu.Lock()
	var seen []string
	for id := range c.seen {
		seen = append(seen, id)
	}
	c.mu.Unlock()
	slices.Sort(seen)
	t.Logf("%d operations exercised: %s", len(seen), strings.Join(seen, " "))
}

// checkMalformed sends requests that are wrong on purpose. Each must get
// the status given, a 4xx, never a 5xx; the contract checks that the spec
// lists it for the operation and that the body is the error body; unknown
// routes and methods are checked here.
func checkMalformed(t *testing.T, c *contract, srv *servertest.Server, token string, id sdk.RecordID, me sdk.AccountID) {
	t.Helper()
	rid, account := fmt.Sprintf("%x", id[:]), fmt.Sprintf("%x", me[:])
	unknown := strings.Repeat("ab", 32)
	junk := []byte("not a frame!!") // 13 bytes
	big := []byte(`{"account_id":"` + strings.Repeat("a", 70<<10) + `"}`)
	cases := []struct {
		method, path string
		auth         bool
		ctype        string
		body         []byte
		want         int
	}{
		{"GET", "/v1/log/entries?limit=10001", false, "", nil, 400},
		{"GET", "/v1/log/entries?limit=0", false, "", nil, 400},
		{"GET", "/v1/log/entries?from=x", false, "", nil, 400},
		{"GET", "/v1/log/proof?index=-1", false, "", nil, 400},
		{"GET", "/v1/log/proof?index=99999", false, "", nil, 400},
		{"GET", "/v1/log/consistency", false, "", nil, 400},
		{"GET", "/v1/records?limit=1001", true, "", nil, 400},
		{"GET", "/v1/shared?limit=5000", true, "", nil, 400},
		{"GET", "/v1/records?after=zz", true, "", nil, 400},
		{"GET", "/v1/chains/" + unknown + "?limit=1001", true, "", nil, 400},
		{"GET", "/v1/records", false, "", nil, 401},
		{"GET", "/v1/records/" + rid, false, "", nil, 401},
		{"GET", "/v1/records/" + unknown, true, "", nil, 404},
		{"GET", "/v1/records/" + unknown + "/versions/1/body", true, "", nil, 404},
		{"GET", "/v1/records/" + rid + "/versions/9", true, "", nil, 404},
		{"GET", "/v1/records/" + rid + "/versions/0", true, "", nil, 400},
		{"GET", "/v1/records/XYZ", true, "", nil, 400},
		{"GET", "/v1/accounts/XYZ", true, "", nil, 404}, // ids on /v1/accounts/{id}/… are route patterns
		{"GET", "/v1/accounts/" + unknown, true, "", nil, 404},
		{"GET", "/v1/directory/nobody-here", false, "", nil, 404},
		{"POST", "/v1/auth/challenge", false, "text/plain", []byte(`{}`), 415},
		{"POST", "/v1/auth/challenge", false, "application/json", []byte(`{"account_id":`), 400},
		{"POST", "/v1/auth/challenge", false, "application/json", []byte(`{"nope":1}`), 400},
		{"POST", "/v1/auth/challenge", false, "application/json", big, 413},
		{"POST", "/v1/records/views", true, "application/xml", []byte(`<ids/>`), 415},
		{"POST", "/v1/records/views", true, "application/json", []byte(`{"ids":["zz"]}`), 400},
		{"PUT", "/v1/records/" + unknown + "/versions/1", true, "application/octet-stream", junk, 400},
		{"PUT", "/v1/records/" + unknown + "/versions/1", true, "application/json", []byte(`{}`), 415},
		{"PUT", "/v1/accounts/" + account + "/card", true, "application/json", []byte(`{"key_card":"AAAA"}`), 400},
		{"PUT", "/v1/accounts/" + unknown + "/card", true, "application/json", []byte(`{"key_card":"AAAA"}`), 403},
		{"PUT", "/v1/accounts/XYZ/card", true, "application/json", []byte(`{"key_card":"AAAA"}`), 404},
		{"POST", "/v1/chains/XYZ", true, "application/json", []byte(`{"seq":1,"entry":"AAAA"}`), 400},
		{"POST", "/v1/chains/" + unknown, true, "application/json", []byte(`{"seq":1,"entry":"AAAA"}`), 403},
		{"GET", "/v1/backup/XYZ/oprf-key", false, "", nil, 400},
		{"POST", "/v1/backup/XYZ/evaluate", false, "application/json", []byte(`{"blinded":"AA=="}`), 400},
		{"POST", "/v1/backup/" + unknown + "/evaluate", false, "application/json", []byte(`{"blinded":"AA=="}`), 400},
		{"GET", "/log/tile/0/999", false, "", nil, 404},
		{"GET", "/log/tile/0/000.p/0", false, "", nil, 400},
		{"GET", "/log/tile/entries/005", false, "", nil, 404},
		// No operation: the API's 404 and 405, with the error body.
		{"GET", "/v1/nope", false, "", nil, 404},
		{"GET", "/log/tile/0/01", false, "", nil, 404},
		{"DELETE", "/v1/log/entries", false, "", nil, 405},
		{"POST", "/v1/records/" + rid + "/acl", true, "application/json", []byte(`{}`), 405},
	}
	for _, tc := range cases {
		bearer := ""
		if tc.auth {
			bearer = token
		}
		resp, body := do(t, srv, tc.method, tc.path, bearer, tc.ctype, tc.body)
		name := tc.method + " " + tc.path[:min(len(tc.path), 80)]
		var e struct {
			Error struct{ Code, Message string }
		}
		if resp.StatusCode != tc.want {
			t.Errorf("%s = %d %s, want %d", name, resp.StatusCode, body, tc.want)
		} else if json.Unmarshal(body, &e) != nil || e.Error.Code == "" || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: body %q (%s), want the JSON error body", name, body, resp.Header.Get("Content-Type"))
		}
	}
	c.check(t, "malformed requests")
	sweepPathParams(t, c, srv, token)
	c.check(t, "malformed and unknown path parameters")
	// Past the end, the entries are an empty list, not null.
	if resp, body := do(t, srv, "GET", "/v1/log/entries?from=999999", "", "", nil); resp.StatusCode != 200 || !bytes.Contains(body, []byte(`"entries":[]`)) {
		t.Errorf("GET /v1/log/entries past the end = %d %s, want {\"entries\":[]…}", resp.StatusCode, body)
	}
}

// Every operation has a unique operationId, and every one that takes a body
// or a session lists the shared answers that apply.
func TestContract_OperationsNamedWithSharedAnswers(t *testing.T) {
	c := newContract(t)
	ids := map[string]string{}
	for path, item := range c.doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			if op.OperationID == "" {
				t.Errorf("%s has no operationId", where)
			} else if other, ok := ids[op.OperationID]; ok {
				t.Errorf("%s and %s are both %s", where, other, op.OperationID)
			}
			ids[op.OperationID] = where
			want := []string{"429"}
			if op.RequestBody != nil {
				want = append(want, "400", "413")
			}
			authed := op.Security == nil || slices.ContainsFunc(*op.Security, func(r openapi3.SecurityRequirement) bool { return len(r) > 0 })
			if authed {
				want = append(want, "401")
			}
			for _, code := range want {
				if op.Responses.Value(code) == nil {
					t.Errorf("%s (%s) does not list %s", where, op.OperationID, code)
				}
			}
		}
	}
}

// The checker bites: requests and answers the spec does not describe are
// failures.
func TestContract_CatchesWhatTheSpecDoesNotSay(t *testing.T) {
	c := newContract(t)
	h := c.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/v1/log/entries":
			w.Write([]byte(`{"from":0,"entries":[]}`))
		case "/v1/log/proof":
			w.Write([]byte(`{"hashes":null}`)) // null where an array is specified
		case "/v1/log/key":
			w.WriteHeader(http.StatusTeapot) // a status the operation does not list
		}
	}))
	for _, path := range []string{"/v1/log/entries?limit=50000", "/v1/log/proof?index=1", "/v1/log/key", "/v1/no-such-route"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
		c.mu.Lock()
		if len(c.failures) != 1 {
			t.Errorf("GET %s: failures %q, want one", path, c.failures)
		}
		c.failures = nil
		c.mu.Unlock()
	}
}
