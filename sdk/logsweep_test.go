//go:build !js

package sdk_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/servertest"
)

// logReads counts the pages of GET /v1/log/entries a client asks for.
type logReads struct{ n atomic.Int64 }

func (l *logReads) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/log/entries") {
		l.n.Add(1)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// A clinician's new device reads the log from its first entry once: its
// first list follows the patient's account from what that read saw, not
// from a second read of the whole log (issue 18). The log here is a few
// hundred entries, one page, so a second read would show as a second page.
func TestClient_NewDeviceReadsTheLogOnce(t *testing.T) {
	ctx := t.Context()
	srv := servertest.Start(t, server.Config{})
	w := setUpWorld(t, srv, func(string) *sdk.Client { return newClient(t, srv, nil) })
	for i := range 5 {
		id := put(t, w.patient, fmt.Appendf(nil, "glucose %d", i), fmt.Sprintf("glucose %d", i)).RecordID
		if _, err := w.patient.Share(ctx, id, "dr-jones", nil); err != nil {
			t.Fatalf("Share: %v", err)
		}
	}
	reads := &logReads{}
	dev, err := sdk.Connect(ctx, sdk.Config{Server: srv.URL, Storage: &sdk.MemoryStorage{},
		Transport: sdk.NewHTTPTransport(srv.URL, &http.Client{Transport: reads})})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dev.Login(ctx, &sdk.LoginOptions{Handle: "dr-jones", Passphrase: []byte(clinicianPass)}); err != nil {
		t.Fatal(err)
	}
	list, err := dev.List(ctx)
	if err != nil || len(list) != 5 {
		t.Fatalf("the new device's List = %d records, %v; want 5", len(list), err)
	}
	if got := reads.n.Load(); got != 1 {
		t.Fatalf("login and first list read %d pages of log entries, want 1 (one read of the whole log)", got)
	}
	// The record owner's chain was followed from that read: a record of
	// hers opens, checked against the log as before.
	if _, err := dev.Get(ctx, list[0].RecordID, &strings.Builder{}); err != nil {
		t.Fatalf("Get on the new device: %v", err)
	}
}
