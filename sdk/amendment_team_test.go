//go:build !js

package sdk_test

import (
	"bytes"
	"slices"
	"testing"

	"github.com/blindvault/blindvault/sdk"
)

// A clinician who shares a note through its care team: the patient's
// amendment request goes to the clinician and, by one grant, to the team,
// whose other members see it; the answer still comes from the author.
func TestAmendment_VisibleToAuthorsTeam(t *testing.T) {
	w := newTeamWorld(t, nil)
	ctx := t.Context()
	if _, err := w.admin.AddTeamMember(ctx, "Cardiology", "nurse-kim", nil); err != nil {
		t.Fatalf("AddTeamMember: %v", err)
	}
	if _, err := w.clinician.Teams(ctx); err != nil { // pins the team the clinician belongs to
		t.Fatalf("Teams: %v", err)
	}
	note := []byte("Echo: ejection fraction 35%.")
	info, err := w.clinician.Put(ctx, bytes.NewReader(note), &sdk.PutOptions{Title: "echo report", Size: int64(len(note))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.clinician.Share(ctx, info.RecordID, "alice", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := w.clinician.ShareWithTeam(ctx, info.RecordID, "Cardiology", nil); err != nil {
		t.Fatalf("ShareWithTeam: %v", err)
	}
	req, err := w.patient.RequestAmendment(ctx, info.RecordID, "The echo was done at rest, not under stress.")
	if err != nil {
		t.Fatalf("RequestAmendment: %v", err)
	}
	readers, err := w.patient.Readers(ctx, req.ID)
	if err != nil {
		t.Fatalf("Readers(request): %v", err)
	}
	if !slices.ContainsFunc(readers, func(r sdk.Reader) bool { return r.Team != nil && r.Team.Name == "Cardiology" }) {
		t.Fatalf("Readers(request) = %+v, want the team Cardiology among them", readers)
	}
	// Another member of the author's team sees the request.
	steps, err := w.nurse.Amendments(ctx, info.RecordID)
	if err != nil || len(steps) != 1 || steps[0].Kind != sdk.AmendmentRequest || steps[0].By.Handle() != "alice" {
		t.Fatalf("team member's Amendments = %+v, %v; want alice's request", steps, err)
	}
}

// A record the author shares with nobody's team: the request goes to the
// author alone.
func TestAmendment_NoTeamNoTeamGrant(t *testing.T) {
	w := newTeamWorld(t, nil)
	ctx := t.Context()
	note := []byte("BP 120/80.")
	info, err := w.clinician.Put(ctx, bytes.NewReader(note), &sdk.PutOptions{Title: "vitals", Size: int64(len(note))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.clinician.Share(ctx, info.RecordID, "alice", nil); err != nil {
		t.Fatal(err)
	}
	req, err := w.patient.RequestAmendment(ctx, info.RecordID, "It was 130/85.")
	if err != nil {
		t.Fatalf("RequestAmendment: %v", err)
	}
	readers, err := w.patient.Readers(ctx, req.ID)
	if err != nil {
		t.Fatalf("Readers(request): %v", err)
	}
	if slices.ContainsFunc(readers, func(r sdk.Reader) bool { return r.Team != nil }) {
		t.Fatalf("Readers(request) = %+v, want no team", readers)
	}
}
