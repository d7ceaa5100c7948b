//go:build !js

package sdk_test

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server/servertest"
)

// A requester's recovered key is kept in its profile (sealed to its own
// key): after a restart the records still open, and OpenEmergency needs no
// approval again, while the owner has not refused the request since.
func TestEmergency_KeyKeptAcrossRestart(t *testing.T) {
	ctx := t.Context()
	var cfg sdk.Config
	w := newEmergencyWorldVia(t, func(srv *servertest.Server, handle string) *sdk.Client {
		if handle != "dr-jones" {
			return nil
		}
		cfg = sdk.Config{Server: srv.URL, Storage: &sdk.MemoryStorage{},
			Passphrase: func() ([]byte, error) { return []byte(clinicianPass), nil }}
		c, err := sdk.Connect(ctx, cfg)
		if err != nil {
			t.Fatalf("Connect: %v", err)
		}
		return c
	})
	key, err := w.patient.SetUpEmergency(ctx, guardianNames, 1, 20*time.Second)
	if err != nil {
		t.Fatalf("SetUpEmergency: %v", err)
	}
	body := []byte("insulin: 10 units at night")
	rec := put(t, w.patient, body, "medication")
	if err := w.patient.ShareWithThreshold(ctx, rec.RecordID, key.ID); err != nil {
		t.Fatalf("ShareWithThreshold: %v", err)
	}
	req, err := w.clinician.RequestEmergency(ctx, "alice")
	if err != nil {
		t.Fatalf("RequestEmergency: %v", err)
	}
	w.clock.next()
	if _, err := w.guardian[0].ApproveEmergency(ctx, req.ID); err != nil {
		t.Fatalf("ApproveEmergency: %v", err)
	}
	if _, err := w.clinician.OpenEmergency(ctx, req.ID); err != nil {
		t.Fatalf("OpenEmergency: %v", err)
	}

	// The next run of the clinician's client: a new Client on the same
	// profile, with nothing in memory.
	restart := func() *sdk.Client {
		t.Helper()
		c, err := sdk.Connect(ctx, cfg)
		if err != nil {
			t.Fatalf("Connect again: %v", err)
		}
		sdk.SetClock(c, w.clock.Now)
		return c
	}
	again := restart()
	if got, _, err := get(t, again, rec.RecordID); err != nil || !bytes.Equal(got, body) {
		t.Fatalf("Get after a restart = %q, %v; want the record through the kept key", got, err)
	}
	if ids, err := restart().OpenEmergency(ctx, req.ID); err != nil || !slices.Contains(ids, rec.RecordID) {
		t.Fatalf("OpenEmergency after a restart = %v, %v; want the record", ids, err)
	}

	// The owner refuses the request after the fact: the kept key is no
	// longer used (and is forgotten).
	if err := w.patient.RefuseEmergency(ctx, req.ID); err != nil {
		t.Fatalf("RefuseEmergency: %v", err)
	}
	if _, _, err := get(t, restart(), rec.RecordID); err == nil {
		t.Fatalf("Get after a refusal = nil error, want the kept key no longer used")
	}
	if _, err := restart().OpenEmergency(ctx, req.ID); !errors.Is(err, sdk.ErrRevoked) {
		t.Fatalf("OpenEmergency after a refusal = %v, want ErrRevoked", err)
	}
}
