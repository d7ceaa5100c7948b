//go:build !js

package sdk_test

import (
	"bytes"
	"testing"

	"github.com/blindvault/blindvault/internal/auditlog"
	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server/store"
)

// TestLog_EveryOperationOnce runs a scripted workload and checks that each
// operation is in the log exactly once, and that the log verifies.
func TestLog_EveryOperationOnce(t *testing.T) {
	w := newWorld(t) // admin, invite, clinician, attestation, patient, trust-org
	ctx := t.Context()
	doc := put(t, w.patient, []byte("discharge letter"), "letter")
	obs := put(t, w.patient, []byte(`{"resourceType":"Observation"}`), "bp")
	if _, err := w.patient.Share(ctx, doc.RecordID, "dr-jones", nil); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		mustRead(t, w.clinician, doc.RecordID, []byte("discharge letter"))
	}
	if err := w.patient.Revoke(ctx, doc.RecordID, "dr-jones"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.patient.Put(ctx, bytes.NewReader([]byte("v2")), &sdk.PutOptions{Update: doc.RecordID}); err != nil {
		t.Fatal(err)
	}
	if err := w.patient.Delete(ctx, obs.RecordID); err != nil {
		t.Fatal(err)
	}
	laptop := newClient(t, w.srv, nil)
	if _, err := laptop.Login(ctx, &sdk.LoginOptions{Handle: "alice", Passphrase: []byte(patientPass)}); err != nil {
		t.Fatal(err)
	}
	if _, err := laptop.VerifyLog(ctx); err != nil {
		t.Fatalf("VerifyLog after the workload: %v", err)
	}

	raw, err := w.srv.Store.LogEntries(ctx, 0, store.MaxList)
	if err != nil {
		t.Fatal(err)
	}
	type key struct {
		t       auditlog.Type
		subject [32]byte
		number  uint64
	}
	count := map[key]int{}
	bySubject := map[auditlog.Type]map[[32]byte]int{}
	for _, r := range raw {
		e, err := auditlog.Parse(r)
		if err != nil {
			t.Fatal(err)
		}
		count[key{e.Type, e.Subject, e.Number}]++
		if bySubject[e.Type] == nil {
			bySubject[e.Type] = map[[32]byte]int{}
		}
		bySubject[e.Type][e.Subject]++
	}
	alice := w.patient.AccountID()
	checks := []struct {
		what string
		got  int
		want int
	}{
		{"doc version 1 written", count[key{auditlog.VersionWritten, doc.RecordID, 1}], 1},
		{"doc version 2 written", count[key{auditlog.VersionWritten, doc.RecordID, 2}], 1},
		{"obs version 1 written", count[key{auditlog.VersionWritten, obs.RecordID, 1}], 1},
		{"doc read (by version)", count[key{auditlog.BodyRead, doc.RecordID, 1}], 2},
		{"doc ACLs (create, share, revoke)", bySubject[auditlog.ACLChanged][doc.RecordID], 3},
		{"doc grants (owner ×2 epochs, dr-jones)", bySubject[auditlog.GrantCreated][doc.RecordID], 3},
		{"doc grant revoked", bySubject[auditlog.GrantRevoked][doc.RecordID], 1},
		{"obs deleted", bySubject[auditlog.RecordDeleted][obs.RecordID], 1},
		{"alice's key card", bySubject[auditlog.KeyCard][alice], 1},
		{"alice's devices (register, laptop)", bySubject[auditlog.DeviceCertified][alice], 2},
		{"alice's OPRF evaluations (laptop login)", bySubject[auditlog.OPRFEvaluated][alice], 1},
		{"alice's backup releases", count[key{auditlog.BackupRelease, alice, 1}], 1},
		{"admin's attestation", bySubject[auditlog.RoleAttestation][w.admin.AccountID()], 1},
		{"invites made", count[key{auditlog.AdminAction, [32]byte{}, auditlog.AdminInvite}], 1},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: %d log entries, want %d", c.what, c.got, c.want)
		}
	}
	// Every entry of alice's account chain is in the log once.
	chain, err := w.srv.Store.Chain(ctx, store.AccountID(alice), 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range chain {
		if n := count[key{auditlog.ChainEntry, alice, c.Seq}]; n != 1 {
			t.Errorf("alice's chain entry %d: %d log entries, want 1", c.Seq, n)
		}
	}
}
