//go:build !js

package sdk_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/blindvault/blindvault/internal/fhir/fhirtest"
	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/servertest"
)

const importBundle = `{"resourceType":"Bundle","type":"collection","entry":[
 {"resource":{"resourceType":"Patient","id":"p1","name":[{"family":"Doe","given":["Jane"]}]}},
 {"resource":{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"HbA1c"},"valueQuantity":{"value":6.1,"unit":"%"}}},
 {"resource":{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/p1"},"code":{"text":"type 2 diabetes"}}},
 {"resource":{"resourceType":"Binary","id":"b1","contentType":"text/plain","data":"U2VlbiB0b2RheS4="}}]}`

// failAfter fails the nth version upload once armed, as a network or server
// failure midway through an import would.
type failAfter struct {
	armed atomic.Bool
	n     atomic.Int32
	at    int32
}

func (f *failAfter) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.armed.Load() && r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/versions/") && f.n.Add(1) == f.at {
			http.Error(w, `{"error":{"code":"unavailable","message":"try later"}}`, http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func TestClient_ImportFHIR_NothingHalfImported(t *testing.T) {
	fail := &failAfter{at: 3}
	srv := servertest.StartBehind(t, server.Config{}, fail.wrap)
	alice := newClient(t, srv, nil)
	register(t, alice, "alice", "", "", patientPass)
	fail.armed.Store(true)
	if _, err := alice.ImportFHIR(t.Context(), strings.NewReader(importBundle)); err == nil || !strings.Contains(err.Error(), "deleted again") {
		t.Fatalf("ImportFHIR with the third upload failing = %v, want an error saying what was undone", err)
	}
	fail.armed.Store(false)
	if list, err := alice.List(t.Context()); err != nil || len(list) != 0 {
		t.Fatalf("after a failed import, List = %d records, %v; want none", len(list), err)
	}
	res, err := alice.ImportFHIR(t.Context(), strings.NewReader(importBundle))
	if err != nil || len(res.Imported) != 4 || res.Skipped != 0 {
		t.Fatalf("ImportFHIR again = %+v, %v; want 4 imported", res, err)
	}
	res, err = alice.ImportFHIR(t.Context(), strings.NewReader(importBundle))
	if err != nil || len(res.Imported) != 0 || res.Skipped != 4 {
		t.Fatalf("ImportFHIR a third time = %+v, %v; want all 4 skipped", res, err)
	}
}

func TestClient_ImportFHIR_RefusesBeforeWriting(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	alice := newClient(t, srv, nil)
	register(t, alice, "alice", "", "", patientPass)
	deep := `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Basic","extension":` +
		strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}}]}`
	huge := `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Basic","id":"` + strings.Repeat("x", 2<<20) + `"}}]}`
	// A good entry first: it must not be written when a later one is bad.
	good := `{"resource":{"resourceType":"Patient","id":"p1"}},`
	for _, tc := range []struct {
		name, doc string
		want      error
	}{
		{"not a bundle", `{"resourceType":"Patient","id":"p1"}`, sdk.ErrInvalid},
		{"wrong resourceType", `{"resourceType":"Bundle","type":"collection","entry":[` + good + `{"resource":{"resourceType":"Spaceship"}}]}`, sdk.ErrInvalid},
		{"not JSON", `{"resourceType":"Bundle",`, sdk.ErrInvalid},
		{"deep nesting", deep, sdk.ErrTooLarge},
		{"huge string", huge, sdk.ErrTooLarge},
	} {
		res, err := alice.ImportFHIR(t.Context(), strings.NewReader(tc.doc))
		if !errors.Is(err, tc.want) || res != nil {
			t.Errorf("%s: ImportFHIR = %v, %v; want %v", tc.name, res, err, tc.want)
		}
	}
	if list, err := alice.List(t.Context()); err != nil || len(list) != 0 {
		t.Fatalf("after refused imports, List = %d records, %v; want none", len(list), err)
	}
}

// Export from one account, import into another, export again: the same
// resources, and the bundle stays valid R4.
func TestClient_ExportImport_RoundTrip(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	alice := newClient(t, srv, nil)
	register(t, alice, "alice", "", "", patientPass)
	bob := newClient(t, srv, nil)
	register(t, bob, "bob", "", "", patientPass)
	if _, err := alice.ImportFHIR(t.Context(), strings.NewReader(importBundle)); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Put(t.Context(), bytes.NewReader([]byte("%PDF-1.7 letter")), &sdk.PutOptions{Title: "letter", Type: "application/pdf", Tags: []string{"hospital"}}); err != nil {
		t.Fatal(err)
	}
	var first bytes.Buffer
	if n, err := alice.ExportFHIR(t.Context(), &first); err != nil || n != 5 {
		t.Fatalf("ExportFHIR = %d, %v; want 5 records", n, err)
	}
	if err := fhirtest.Validate(first.Bytes()); err != nil {
		t.Fatalf("export is not R4 by the official schema: %v", err)
	}
	res, err := bob.ImportFHIR(t.Context(), bytes.NewReader(first.Bytes()))
	if err != nil || len(res.Imported) != 5 {
		t.Fatalf("bob's ImportFHIR = %+v, %v; want 5 records", res, err)
	}
	var second bytes.Buffer
	if _, err := bob.ExportFHIR(t.Context(), &second); err != nil {
		t.Fatal(err)
	}
	if a, b := resourcesOf(t, first.Bytes()), resourcesOf(t, second.Bytes()); a != b {
		t.Fatalf("resources differ after export → import → export:\n%s\n---\n%s", a, b)
	}
}

// resourcesOf lists a bundle's resources by what they hold, sorted: each
// resource by its digest, each Binary's description by title, type and tags.
func resourcesOf(t *testing.T, bundle []byte) string {
	t.Helper()
	entries, err := sdkParse(bundle)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, fmt.Sprintf("%s %x %q %q %q", e.ResourceType, e.Digest[:8], e.Type, e.Title, e.Tags))
	}
	sortStrings(out)
	return strings.Join(out, "\n")
}

// flipBodies corrupts one byte of every record body the server sends once
// armed: a body read that fails its checks.
type flipBodies struct{ armed atomic.Bool }

func (f *flipBodies) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.armed.Load() && strings.HasSuffix(r.URL.Path, "/body") {
			w = &flipWriter{ResponseWriter: w}
		}
		h.ServeHTTP(w, r)
	})
}

type flipWriter struct {
	http.ResponseWriter
	done bool
}

func (w *flipWriter) Write(p []byte) (int, error) {
	if !w.done && len(p) > 100 {
		p = bytes.Clone(p)
		p[100] ^= 1
		w.done = true
	}
	return w.ResponseWriter.Write(p)
}

// An export states that every signature verified: a body that fails its
// checks stops the export with the check, not a bundle that says otherwise.
func TestClient_ExportFHIR_StopsOnFailedCheck(t *testing.T) {
	flip := &flipBodies{}
	srv := servertest.StartBehind(t, server.Config{}, flip.wrap)
	alice := newClient(t, srv, nil)
	register(t, alice, "alice", "", "", patientPass)
	if _, err := alice.Put(t.Context(), strings.NewReader(strings.Repeat("lab result ", 100)), &sdk.PutOptions{Type: "text/plain"}); err != nil {
		t.Fatal(err)
	}
	flip.armed.Store(true)
	var out bytes.Buffer
	n, err := alice.ExportFHIR(t.Context(), &out)
	var check sdk.Check
	if err == nil || !errors.As(err, &check) || n != 0 {
		t.Fatalf("ExportFHIR of a tampered body = %d records, %v; want a failed check", n, err)
	}
	if strings.Contains(out.String(), "lab result") {
		t.Fatalf("ExportFHIR wrote plaintext of a body that failed its checks")
	}
}
