//go:build !js

package sdk_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/blindvault/blindvault/sdk"

	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/servertest"
)

// A client waits out short rate-limit refusals instead of failing: a burst of
// verified reads needs many requests.
func TestClient_WaitsOutRateLimits(t *testing.T) {
	srv := servertest.Start(t, server.Config{RateAccount: server.RateLimit{Rate: 20, Burst: 5}})
	c := newClient(t, srv, nil)
	register(t, c, "alice", "", "", patientPass)
	for i := range 3 {
		put(t, c, []byte{byte(i)}, "r")
	}
	list, err := c.List(t.Context())
	if err != nil || len(list) != 3 {
		t.Fatalf("List under a tight rate limit = %d records, %v", len(list), err)
	}
}

// One operation on all of an account's records (sharing each with a
// clinician, an export, a clinician's first list) meets no 429 under limits
// far below its requests, because the server's allowance grows with the
// records an account holds; repeating operations in a loop (a flood) still
// meets 429. The records are written with the limits off (a write of records
// one after another is what the limits are for).
func TestClient_OperationsWithinRateLimits(t *testing.T) {
	const n = 20
	off := server.RateLimit{Rate: -1}
	srv := servertest.Start(t, server.Config{RateAddress: off, RateAccount: off})
	counter := &countingTransport{}
	w := setUpWorld(t, srv, func(string) *sdk.Client {
		c, err := sdk.Connect(t.Context(), sdk.Config{Server: srv.URL, Storage: &sdk.MemoryStorage{},
			Transport: sdk.NewHTTPTransport(srv.URL, &http.Client{Transport: counter})})
		if err != nil {
			t.Fatal(err)
		}
		return c
	})
	ids := make([]sdk.RecordID, n)
	for i := range ids {
		ids[i] = put(t, w.patient, fmt.Appendf(nil, "glucose %d", i), fmt.Sprintf("glucose %d", i)).RecordID
	}
	// Both buckets far below what the operations below ask for.
	srv.API.SetRateLimits(server.RateLimit{Rate: 1, Burst: 10}, server.RateLimit{Rate: 1, Burst: 10})
	r0 := counter.requests.Load()
	for _, id := range ids {
		if _, err := w.patient.Share(t.Context(), id, "dr-jones", nil); err != nil {
			t.Fatalf("Share: %v", err)
		}
	}
	if _, err := w.patient.ExportFHIR(t.Context(), io.Discard); err != nil {
		t.Fatalf("ExportFHIR: %v", err)
	}
	if list, err := w.clinician.List(t.Context()); err != nil || len(list) != n {
		t.Fatalf("clinician's List = %d records, %v; want %d", len(list), err, n)
	}
	if got := counter.limited.Load(); got != 0 {
		t.Fatalf("share of everything, export and list (%d requests) met %d answers 429, want none", counter.requests.Load()-r0, got)
	}
	for i := 0; i < 100 && counter.limited.Load() == 0; i++ {
		if _, err := w.patient.ExportFHIR(t.Context(), io.Discard); err != nil && !errors.Is(err, sdk.ErrRateLimited) {
			t.Fatalf("ExportFHIR in a loop: %v", err)
		}
	}
	if counter.limited.Load() == 0 {
		t.Fatalf("100 exports in a loop met no 429, want the flood refused")
	}
}

// Records a clinician reads through a care team and a collection count for
// its allowance once it lists through them: an export of a collection shared
// with its team meets no 429 under limits far below its requests, though the
// clinician holds no grant on any of those records itself.
func TestClient_GroupReachWithinRateLimits(t *testing.T) {
	const n = 20
	w := newTeamWorld(t, nil) // dr-jones is in the admin's team Cardiology
	ctx := t.Context()
	col, err := w.patient.CreateCollection(ctx, "Labs", &sdk.CollectionOptions{Type: "Observation"})
	if err != nil {
		t.Fatalf("CreateCollection: %v", err)
	}
	for i := range n {
		putTyped(t, w.patient, fmt.Appendf(nil, "glucose %d", i), "Observation")
	}
	if _, err := w.patient.ShareWithTeam(ctx, col.ID, org+"/Cardiology", &sdk.ShareOptions{History: true}); err != nil {
		t.Fatalf("ShareWithTeam(collection): %v", err)
	}
	counter := &countingTransport{}
	dev, err := sdk.Connect(ctx, sdk.Config{Server: w.srv.URL, Storage: &sdk.MemoryStorage{},
		Transport: sdk.NewHTTPTransport(w.srv.URL, &http.Client{Transport: counter})})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dev.Login(ctx, &sdk.LoginOptions{Handle: "dr-jones", Passphrase: []byte(clinicianPass)}); err != nil {
		t.Fatal(err)
	}
	w.srv.API.SetRateLimits(server.RateLimit{Rate: 1, Burst: 10}, server.RateLimit{Rate: 1, Burst: 10})
	r0, l0 := counter.requests.Load(), counter.limited.Load()
	if _, err := dev.ExportFHIR(ctx, io.Discard); err != nil {
		t.Fatalf("ExportFHIR: %v", err)
	}
	if got := counter.limited.Load() - l0; got != 0 {
		t.Fatalf("the team member's export of %d records (%d requests) met %d answers 429, want none", n, counter.requests.Load()-r0, got)
	}
}
