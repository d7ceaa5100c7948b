//go:build !js

package sdk_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/blindvault/blindvault/sdk"
)

// teamWorld is the world with a second clinician and the admin's care team
// "Cardiology" of the organisation, with dr-jones as its member.
type teamWorld struct {
	*world
	nurse *sdk.Client
}

func newTeamWorld(t *testing.T, opts *sdk.TeamOptions) *teamWorld {
	t.Helper()
	ctx := t.Context()
	w := &teamWorld{world: newWorld(t)}
	invite, err := w.admin.Invite(ctx, "clinician", 0)
	if err != nil {
		t.Fatalf("Invite: %v", err)
	}
	w.nurse = newClient(t, w.srv, nil)
	register(t, w.nurse, "nurse-kim", "clinician", invite, clinicianPass)
	if _, err := w.admin.Attest(ctx, "nurse-kim", "clinician", org, 24*time.Hour); err != nil {
		t.Fatalf("Attest: %v", err)
	}
	if opts == nil {
		opts = &sdk.TeamOptions{Org: org}
	}
	if _, err := w.admin.CreateTeam(ctx, "Cardiology", opts); err != nil {
		t.Fatalf("CreateTeam: %v", err)
	}
	if _, err := w.admin.AddTeamMember(ctx, "Cardiology", "dr-jones", nil); err != nil {
		t.Fatalf("AddTeamMember: %v", err)
	}
	return w
}

func TestTeam_ShareReadAddRemove(t *testing.T) {
	w := newTeamWorld(t, nil)
	ctx := t.Context()

	team, err := w.patient.LookupTeam(ctx, org+"/Cardiology")
	if err != nil {
		t.Fatalf("LookupTeam: %v", err)
	}
	if got, want := team.Status(), "verified care team Cardiology of "+org+", 1 member"; got != want {
		t.Errorf("Status = %q, want %q", got, want)
	}
	if len(team.MemberHandles) != 1 || team.MemberHandles[0] != "dr-jones" {
		t.Errorf("members = %v, want [dr-jones]", team.MemberHandles)
	}

	body := []byte(`{"resourceType":"Observation","code":{"text":"Troponin"}}`)
	rec := put(t, w.patient, body, "troponin")
	if _, err := w.patient.ShareWithTeam(ctx, rec.RecordID, org+"/Cardiology", nil); err != nil {
		t.Fatalf("ShareWithTeam: %v", err)
	}

	// The patient's history names the team.
	evs, err := w.patient.Audit(ctx, rec.RecordID)
	if err != nil {
		t.Fatalf("Audit: %v", err)
	}
	named := false
	for _, e := range evs {
		named = named || e.Whom == "team Cardiology"
	}
	if !named {
		t.Errorf("Audit = %+v, want a grant to team Cardiology", evs)
	}

	// The member lists and reads it through the team; the team's key record is
	// not a record to show.
	list, err := w.clinician.List(ctx)
	if err != nil || len(list) != 1 || list[0].RecordID != rec.RecordID {
		t.Fatalf("member List = %v, %v; want the shared record", list, err)
	}
	if got, _, err := get(t, w.clinician, rec.RecordID); err != nil || !bytes.Equal(got, body) {
		t.Fatalf("member Get = %q, %v", got, err)
	}

	// A clinician outside the team sees nothing.
	if _, _, err := get(t, w.nurse, rec.RecordID); !errors.Is(err, sdk.ErrNotFound) {
		t.Fatalf("non-member Get = %v, want ErrNotFound", err)
	}

	// Adding a member is one grant; the new member reads the record shared before.
	if _, err := w.admin.AddTeamMember(ctx, "Cardiology", "nurse-kim", nil); err != nil {
		t.Fatalf("AddTeamMember: %v", err)
	}
	if got, _, err := get(t, w.nurse, rec.RecordID); err != nil || !bytes.Equal(got, body) {
		t.Fatalf("new member Get = %q, %v", got, err)
	}
	teams, err := w.nurse.Teams(ctx)
	if err != nil || len(teams) != 1 || len(teams[0].Members) != 2 {
		t.Fatalf("Teams = %v, %v; want Cardiology with 2 members", teams, err)
	}

	// Removing a member: a new team key; the record takes it at its next write.
	if _, err := w.admin.RemoveTeamMember(ctx, "Cardiology", "dr-jones"); err != nil {
		t.Fatalf("RemoveTeamMember: %v", err)
	}
	if _, _, err := get(t, w.clinician, rec.RecordID); !errors.Is(err, sdk.ErrRevoked) && !errors.Is(err, sdk.ErrNotFound) {
		t.Fatalf("removed member Get = %v, want ErrRevoked or ErrNotFound", err)
	}
	v2 := []byte(`{"resourceType":"Observation","code":{"text":"Troponin (repeat)"}}`)
	if _, err := w.patient.Put(ctx, bytes.NewReader(v2), &sdk.PutOptions{Update: rec.RecordID, Size: int64(len(v2))}); err != nil {
		t.Fatalf("Put after the team changed: %v", err)
	}
	got, info, err := get(t, w.nurse, rec.RecordID)
	if err != nil || !bytes.Equal(got, v2) {
		t.Fatalf("remaining member Get of v2 = %q, %v", got, err)
	}
	if info.Epoch != 2 {
		t.Errorf("v2 epoch = %d, want 2 (the record moved to the team's new key)", info.Epoch)
	}
	readers, err := w.patient.Readers(ctx, rec.RecordID)
	if err != nil {
		t.Fatalf("Readers: %v", err)
	}
	if len(readers) != 2 {
		t.Errorf("readers = %d, want the patient and the team", len(readers))
	}

	if err := w.patient.RevokeTeam(ctx, rec.RecordID, org+"/Cardiology"); err != nil {
		t.Fatalf("RevokeTeam: %v", err)
	}
	if _, _, err := get(t, w.nurse, rec.RecordID); !errors.Is(err, sdk.ErrRevoked) {
		t.Fatalf("member Get after RevokeTeam = %v, want ErrRevoked", err)
	}
}
