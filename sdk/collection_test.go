//go:build !js

package sdk_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/blindvault/blindvault/sdk"
)

func putTyped(t *testing.T, c *sdk.Client, body []byte, typ string) *sdk.RecordInfo {
	t.Helper()
	info, err := c.Put(t.Context(), bytes.NewReader(body), &sdk.PutOptions{Title: string(body), Type: typ, Size: int64(len(body))})
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	return info
}

func TestCollection_ShareOnceReadLater(t *testing.T) {
	w := newTeamWorld(t, nil) // dr-jones is in the admin's team Cardiology; nurse-kim is not
	ctx := t.Context()
	col, err := w.patient.CreateCollection(ctx, "Labs", &sdk.CollectionOptions{Type: "Observation"})
	if err != nil {
		t.Fatalf("CreateCollection: %v", err)
	}
	first := putTyped(t, w.patient, []byte("glucose 5.4"), "Observation")
	other := putTyped(t, w.patient, []byte("diary"), "text/plain")

	// Shared with a person: one grant of the collection.
	if _, err := w.patient.Share(ctx, col.ID, "nurse-kim", &sdk.ShareOptions{History: true}); err != nil {
		t.Fatalf("Share collection: %v", err)
	}
	mustRead(t, w.nurse, first.RecordID, []byte("glucose 5.4"))
	if _, _, err := get(t, w.nurse, other.RecordID); !errors.Is(err, sdk.ErrNotFound) {
		t.Fatalf("nurse Get of a record outside the collection = %v, want ErrNotFound", err)
	}
	// Records written later join by the rule, and are readable at once.
	later := putTyped(t, w.patient, []byte("glucose 6.1"), "Observation")
	mustRead(t, w.nurse, later.RecordID, []byte("glucose 6.1"))
	list, err := w.nurse.List(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("nurse List = %d records, %v; want the collection's 2 (its key record hidden)", len(list), err)
	}

	// By hand, and with a team: the team's member reads through the team and the collection.
	if err := w.patient.AddToCollection(ctx, "Labs", other.RecordID); err != nil {
		t.Fatalf("AddToCollection: %v", err)
	}
	if _, err := w.patient.ShareWithTeam(ctx, col.ID, org+"/Cardiology", &sdk.ShareOptions{History: true}); err != nil {
		t.Fatalf("ShareWithTeam(collection): %v", err)
	}
	mustRead(t, w.clinician, other.RecordID, []byte("diary"))
	if list, err := w.clinician.List(ctx); err != nil || len(list) != 3 {
		t.Fatalf("team member List = %d records, %v; want 3", len(list), err)
	}

	// Revoked from the nurse: the collection's new key; the next record and
	// the next version of an old one are closed to her.
	if err := w.patient.Revoke(ctx, col.ID, "nurse-kim"); err != nil {
		t.Fatalf("Revoke collection: %v", err)
	}
	next := putTyped(t, w.patient, []byte("glucose 7.0"), "Observation")
	if _, _, err := get(t, w.nurse, next.RecordID); !errors.Is(err, sdk.ErrNotFound) && !errors.Is(err, sdk.ErrRevoked) {
		t.Fatalf("revoked nurse Get of a record added after the revocation = %v, want ErrNotFound or ErrRevoked", err)
	}
	mustRead(t, w.clinician, next.RecordID, []byte("glucose 7.0"))
	v2 := []byte("glucose 5.4 (corrected)")
	info, err := w.patient.Put(ctx, bytes.NewReader(v2), &sdk.PutOptions{Update: first.RecordID, Size: int64(len(v2))})
	if err != nil || info.Epoch != 2 {
		t.Fatalf("Put v2 of a collection record = %+v, %v; want epoch 2 (the collection's new key)", info, err)
	}
	mustRead(t, w.clinician, first.RecordID, v2)

	cols, err := w.patient.Collections(ctx)
	if err != nil || len(cols) != 1 || cols[0].Name != "Labs" || cols[0].Epoch != 2 {
		t.Fatalf("Collections = %+v, %v", cols, err)
	}
	// The team removes its member: the collection moves to the team's new key
	// as soon as a record joins it, so what joins is closed to the removed one.
	if _, err := w.admin.RemoveTeamMember(ctx, "Cardiology", "dr-jones"); err != nil {
		t.Fatalf("RemoveTeamMember: %v", err)
	}
	putTyped(t, w.patient, []byte("glucose 7.3"), "Observation")
	if cols, err := w.patient.Collections(ctx); err != nil || cols[0].Epoch != 3 {
		t.Fatalf("Collections after the team changed = %+v, %v; want epoch 3", cols, err)
	}
	// Added again, to a team that gives no history: what joins from now on.
	if _, err := w.admin.AddTeamMember(ctx, "Cardiology", "dr-jones", nil); err != nil {
		t.Fatalf("AddTeamMember: %v", err)
	}
	again := putTyped(t, w.patient, []byte("glucose 6.6"), "Observation")
	mustRead(t, w.clinician, again.RecordID, []byte("glucose 6.6"))

	if err := w.patient.RemoveFromCollection(ctx, "Labs", other.RecordID); err != nil {
		t.Fatalf("RemoveFromCollection: %v", err)
	}
	if _, _, err := get(t, w.clinician, other.RecordID); !errors.Is(err, sdk.ErrRevoked) && !errors.Is(err, sdk.ErrNotFound) {
		t.Fatalf("member Get after RemoveFromCollection = %v, want ErrRevoked", err)
	}
}

func TestRestrict_NoGroupShare(t *testing.T) {
	w := newTeamWorld(t, nil)
	ctx := t.Context()
	if _, err := w.patient.CreateCollection(ctx, "Labs", &sdk.CollectionOptions{Type: "Observation"}); err != nil {
		t.Fatalf("CreateCollection: %v", err)
	}
	rec := putTyped(t, w.patient, []byte("HIV test"), "Observation")
	if _, err := w.patient.ShareWithTeam(ctx, rec.RecordID, org+"/Cardiology", nil); err != nil {
		t.Fatalf("ShareWithTeam: %v", err)
	}
	mustRead(t, w.clinician, rec.RecordID, []byte("HIV test"))

	// Restricting takes it out of the collection and the team share at once.
	if err := w.patient.Restrict(ctx, rec.RecordID); err != nil {
		t.Fatalf("Restrict: %v", err)
	}
	readers, err := w.patient.Readers(ctx, rec.RecordID)
	if err != nil || len(readers) != 1 {
		t.Fatalf("Readers after Restrict = %d, %v; want the patient alone", len(readers), err)
	}
	if _, _, err := get(t, w.clinician, rec.RecordID); !errors.Is(err, sdk.ErrRevoked) && !errors.Is(err, sdk.ErrNotFound) {
		t.Fatalf("team member Get after Restrict = %v, want ErrRevoked", err)
	}
	// No group share takes it back, by hand or by team; a person only with
	// the user's explicit confirmation.
	if err := w.patient.AddToCollection(ctx, "Labs", rec.RecordID); !errors.Is(err, sdk.ErrRestricted) {
		t.Fatalf("AddToCollection(restricted) = %v, want ErrRestricted", err)
	}
	if _, err := w.patient.ShareWithTeam(ctx, rec.RecordID, org+"/Cardiology", nil); !errors.Is(err, sdk.ErrRestricted) {
		t.Fatalf("ShareWithTeam(restricted) = %v, want ErrRestricted", err)
	}
	if _, err := w.patient.Share(ctx, rec.RecordID, "nurse-kim", nil); !errors.Is(err, sdk.ErrRestricted) {
		t.Fatalf("Share(restricted) without confirmation = %v, want ErrRestricted", err)
	}
	if _, err := w.patient.Share(ctx, rec.RecordID, "nurse-kim", &sdk.ShareOptions{ConfirmRestricted: true}); err != nil {
		t.Fatalf("Share(restricted, confirmed): %v", err)
	}
	mustRead(t, w.nurse, rec.RecordID, []byte("HIV test"))
	if !w.patient.Restricted(rec.RecordID) {
		t.Errorf("Restricted = false after Restrict")
	}
	if err := w.patient.Unrestrict(ctx, rec.RecordID); err != nil || w.patient.Restricted(rec.RecordID) {
		t.Fatalf("Unrestrict: %v", err)
	}
	if err := w.patient.AddToCollection(ctx, "Labs", rec.RecordID); err != nil {
		t.Fatalf("AddToCollection after Unrestrict: %v", err)
	}
}

func TestAmendment_RequestAnswerDisagree(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	// The clinician writes a note and shares it with the patient.
	note := []byte("Allergic to penicillin.")
	info, err := w.clinician.Put(ctx, bytes.NewReader(note), &sdk.PutOptions{Title: "visit note", Size: int64(len(note))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.clinician.Share(ctx, info.RecordID, "alice", nil); err != nil {
		t.Fatal(err)
	}
	req, err := w.patient.RequestAmendment(ctx, info.RecordID, "It was amoxicillin, not penicillin.")
	if err != nil {
		t.Fatalf("RequestAmendment: %v", err)
	}
	// The author sees the request; answering "amended" needs the new version first.
	steps, err := w.clinician.Amendments(ctx, info.RecordID)
	if err != nil || len(steps) != 1 || steps[0].Kind != sdk.AmendmentRequest || steps[0].By.Handle() != "alice" {
		t.Fatalf("author's Amendments = %+v, %v", steps, err)
	}
	if _, err := w.clinician.AnswerAmendment(ctx, req.ID, sdk.AmendmentAmended, ""); !errors.Is(err, sdk.ErrInvalid) {
		t.Fatalf("AnswerAmendment(amended) before a new version = %v, want ErrInvalid", err)
	}
	fixed := []byte("Allergic to amoxicillin.")
	if _, err := w.clinician.Put(ctx, bytes.NewReader(fixed), &sdk.PutOptions{Update: info.RecordID, Size: int64(len(fixed))}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.clinician.AnswerAmendment(ctx, req.ID, sdk.AmendmentAmended, "Corrected."); err != nil {
		t.Fatalf("AnswerAmendment: %v", err)
	}
	if _, err := w.patient.DisagreeWithAnswer(ctx, req.ID, "The reaction was severe; please say so."); err != nil {
		t.Fatalf("DisagreeWithAnswer: %v", err)
	}
	for _, c := range []*sdk.Client{w.patient, w.clinician} {
		steps, err := c.Amendments(ctx, info.RecordID)
		if err != nil || len(steps) != 3 {
			t.Fatalf("Amendments = %d steps, %v; want request, answer, disagreement", len(steps), err)
		}
		if steps[0].Kind != sdk.AmendmentRequest || steps[1].Kind != sdk.AmendmentAnswer || steps[1].Decision != sdk.AmendmentAmended ||
			steps[1].Version != 2 || steps[1].By.Handle() != "dr-jones" || steps[2].Kind != sdk.AmendmentDisagreement {
			for _, s := range steps {
				t.Logf("%s %s v%d by %s at %v", s.Kind, s.Decision, s.Version, s.By.Handle(), s.At)
			}
			t.Errorf("Amendments in the wrong order or with wrong fields")
		}
	}
	// The steps are history, not records to list; the admin, a stranger, sees none.
	list, err := w.patient.List(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("patient List = %d records, %v; want the note alone", len(list), err)
	}
	if steps, err := w.admin.Amendments(ctx, info.RecordID); err != nil || len(steps) != 0 {
		t.Fatalf("a stranger's Amendments = %+v, %v", steps, err)
	}
}
