//go:build !js

package sdk_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/blindvault/blindvault/sdk"
)

func alertKinds(as []sdk.Alert) map[string]sdk.Alert {
	m := map[string]sdk.Alert{}
	for _, a := range as {
		m[a.Kind] = a
	}
	return m
}

// The patient's alerts come from the verified log: a clinician reading many
// records, failed passphrase attempts, a new device that reads everything.
func TestClient_Alerts(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	opts := &sdk.AlertOptions{ReadBurst: 5, Guesses: 1, ExportBurst: 4}
	var ids [][32]byte
	for i := range 6 {
		rec := put(t, w.patient, []byte(fmt.Sprintf("note %d", i)), fmt.Sprintf("note %d", i))
		if _, err := w.patient.Share(ctx, rec.RecordID, "dr-jones", nil); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rec.RecordID)
	}
	if as, err := w.patient.Alerts(ctx, opts); err != nil || len(as) != 0 {
		t.Fatalf("Alerts() before any read = %+v, %v; want none", as, err)
	}
	for _, id := range ids {
		if _, _, err := get(t, w.clinician, id); err != nil {
			t.Fatal(err)
		}
	}
	as, err := w.patient.Alerts(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	bulk, ok := alertKinds(as)[sdk.AlertBulkRead]
	if !ok || bulk.Who != "dr-jones" || bulk.Count != 6 || !strings.Contains(bulk.Message, "dr-jones read 6 of your records") {
		t.Fatalf("Alerts() after dr-jones read 6 records = %+v, want a bulk-read alert naming dr-jones", as)
	}
	// Since the last look: the same reads do not alert twice.
	if as, err := w.patient.Alerts(ctx, opts); err != nil || len(as) != 0 {
		t.Fatalf("Alerts() again = %+v, %v; want none new", as, err)
	}
	// With defaults (50 records in 5 minutes) six reads are no alert.
	if as, err := w.patient.Alerts(ctx, &sdk.AlertOptions{All: true}); err != nil || alertKinds(as)[sdk.AlertBulkRead].Kind != "" {
		t.Fatalf("Alerts(defaults, all) = %+v, %v; want no bulk read", as, err)
	}

	// Someone guesses the passphrase (once: two failures of this address,
	// an evaluation and a release; the owner's login from the same address
	// below must stay under the address's lockout of five).
	if _, err := newClient(t, w.srv, nil).Login(ctx, &sdk.LoginOptions{Handle: "alice", Passphrase: []byte("not the passphrase at all 9")}); err == nil {
		t.Fatal("Login with a wrong passphrase succeeded")
	}
	// A new device logs in and reads every record.
	laptop := newClient(t, w.srv, nil)
	if _, err := laptop.Login(ctx, &sdk.LoginOptions{Handle: "alice", Passphrase: []byte(patientPass)}); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if _, _, err := get(t, laptop, id); err != nil {
			t.Fatal(err)
		}
	}
	as, err = w.patient.Alerts(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	got := alertKinds(as)
	if g := got[sdk.AlertBackupGuesses]; g.Count != 1 {
		t.Errorf("backup-guesses alert = %+v, want 1 failed attempt", g)
	}
	if _, ok := got[sdk.AlertNewDevice]; !ok {
		t.Errorf("no new-device alert in %+v", as)
	}
	if e := got[sdk.AlertNewDeviceReads]; e.Count != 6 {
		t.Errorf("new-device-export alert = %+v, want 6 records", e)
	}
	if _, ok := got[sdk.AlertBulkRead]; ok {
		t.Errorf("the owner's own reads raised a bulk-read alert: %+v", as)
	}
}
