//go:build !js

package sdk_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/internal/grant"
	"github.com/blindvault/blindvault/sdk"
)

// Care teams under a malicious server. A team is what its admin's chain says;
// a grant to a team opens only with a key derived from the team's key record.

// newTeamAttackWorld is the attack world with the admin's team "Cardiology"
// of the organisation and dr-jones as its member.
func newTeamAttackWorld(t *testing.T) *attackWorld {
	t.Helper()
	aw := newAttackWorld(t)
	ctx := t.Context()
	if _, err := aw.admin.CreateTeam(ctx, "Cardiology", &sdk.TeamOptions{Org: org}); err != nil {
		t.Fatalf("CreateTeam: %v", err)
	}
	if _, err := aw.admin.AddTeamMember(ctx, "Cardiology", "dr-jones", nil); err != nil {
		t.Fatalf("AddTeamMember: %v", err)
	}
	return aw
}

// editTeamEntry rewrites the team entries of a chain page with edit, keeping
// the admin's signature: what a server can do without the admin's key.
func editTeamEntry(t *testing.T, edit func(tm *format.Team)) hook {
	return editChainEntries(t, func(e *format.AccountEntry) *format.AccountEntry {
		if e.Event == format.EventTeam {
			edit(e.Team)
		}
		return e
	})
}

// The server swaps the team's key for one it holds, or adds a member of its
// own, in the description the patient reads: the admin's signature no longer
// verifies, and nothing is shared.
func TestAttack_TeamDescriptionForged(t *testing.T) {
	for name, edit := range map[string]func(tm *format.Team){
		"key swapped": func(tm *format.Team) {
			_, pk, err := grant.GenerateXWing()
			if err != nil {
				t.Fatal(err)
			}
			tm.XWingPK = pk
		},
		"member added": func(tm *format.Team) {
			tm.Members = append([][32]byte{{}}, tm.Members...) // the zero id sorts first
		},
	} {
		t.Run(name, func(t *testing.T) {
			aw := newTeamAttackWorld(t)
			rec := put(t, aw.patient, []byte("troponin"), "troponin")
			admin := aw.admin.AccountID()
			aw.alice.attack(t, "GET", "/v1/chains/"+hex.EncodeToString(admin[:]), editTeamEntry(t, edit))
			mark := aw.alice.mark()
			_, err := aw.patient.ShareWithTeam(t.Context(), rec.RecordID, org+"/Cardiology", nil)
			if !errors.Is(err, sdk.CheckChain) {
				t.Fatalf("ShareWithTeam over a forged team description = %v, want CheckChain", err)
			}
			aw.alice.noWrites(t, mark)
		})
	}
}

// The server shows the patient the team as it was before a member was
// removed (an older description, with the key the removed member holds):
// the admin's chain, checked against the log, is longer than that.
func TestAttack_TeamDescriptionRolledBack(t *testing.T) {
	aw := newTeamAttackWorld(t)
	ctx := t.Context()
	rec := put(t, aw.patient, []byte("troponin"), "troponin")
	admin := aw.admin.AccountID()
	path := "/v1/chains/" + hex.EncodeToString(admin[:])
	if _, err := aw.patient.LookupTeam(ctx, org+"/Cardiology"); err != nil {
		t.Fatalf("LookupTeam: %v", err)
	}
	old := aw.alice.exchange(t, "GET", path)
	if _, err := aw.admin.RemoveTeamMember(ctx, "Cardiology", "dr-jones"); err != nil {
		t.Fatalf("RemoveTeamMember: %v", err)
	}
	var seen struct {
		Entries []struct {
			Seq uint64 `json:"seq"`
		} `json:"entries"`
	}
	if err := json.Unmarshal(old.Body, &seen); err != nil || len(seen.Entries) == 0 {
		t.Fatalf("the chain page the patient saw: %v", err)
	}
	last := seen.Entries[len(seen.Entries)-1].Seq
	// The chain as it was: entries after the last one the patient saw are cut.
	aw.alice.attack(t, "GET", path, editChainEntries(t, func(e *format.AccountEntry) *format.AccountEntry {
		if e.Seq > last {
			return nil
		}
		return e
	}))
	// A new device of the patient (its profile, with the organisation
	// trusted, comes from the account) has seen nothing of the admin's chain.
	dev, err := login(t, aw.srv, aw.alice, "alice", patientPass)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	mark := aw.alice.mark()
	_, err = dev.ShareWithTeam(ctx, rec.RecordID, org+"/Cardiology", nil)
	var ce *sdk.CheckError
	if !errors.As(err, &ce) || !ce.ServerMisbehaved {
		t.Fatalf("ShareWithTeam over a rolled-back team = %v, want a check the server failed", err)
	}
	aw.alice.noWrites(t, mark)
	t.Logf("refused: %v", err)
}

// A removed member whose server keeps serving it the team's records gets
// nothing of a version written after the removal: its grant is to the team's
// new key, which only the remaining members can derive.
func TestAttack_RemovedMemberServedNewVersion(t *testing.T) {
	aw := newTeamAttackWorld(t)
	ctx := t.Context()
	rec := put(t, aw.patient, []byte("troponin v1"), "troponin")
	if _, err := aw.patient.ShareWithTeam(ctx, rec.RecordID, org+"/Cardiology", nil); err != nil {
		t.Fatalf("ShareWithTeam: %v", err)
	}
	mustRead(t, aw.clinician, rec.RecordID, []byte("troponin v1"))
	team, err := aw.admin.LookupTeam(ctx, "Cardiology")
	if err != nil {
		t.Fatal(err)
	}
	teamView := aw.jones.exchange(t, "GET", recordPath(team.ID)) // the member's own grants, epoch 1

	// The admin reads the team's records too: its view of v2 is what the
	// server replays to the removed member, with the member's old view of
	// the team's key record.
	if _, err := aw.admin.RemoveTeamMember(ctx, "Cardiology", "dr-jones"); err != nil {
		t.Fatalf("RemoveTeamMember: %v", err)
	}
	v2 := []byte("troponin v2, after the removal")
	if _, err := aw.patient.Put(ctx, bytes.NewReader(v2), &sdk.PutOptions{Update: rec.RecordID, Size: int64(len(v2))}); err != nil {
		t.Fatalf("Put v2: %v", err)
	}
	var buf bytes.Buffer
	if _, err := aw.admin.Get(ctx, rec.RecordID, &buf); err != nil || buf.String() != string(v2) {
		t.Fatalf("admin Get v2 = %q, %v", buf.String(), err)
	}
	adminView := recordViewAs(t, aw, rec.RecordID)

	aw.jones.replayAnswer(t, "GET", recordPath(rec.RecordID), adminView)
	aw.jones.replayAnswer(t, "GET", recordPath(team.ID), teamView)
	got, _, err := get(t, aw.clinician, rec.RecordID)
	var ce *sdk.CheckError
	if !errors.As(err, &ce) || len(got) != 0 {
		t.Fatalf("removed member served v2 = %q, %v; want a failed check and nothing", got, err)
	}
	t.Logf("refused: %v", err)
}

// recordViewAs returns the real server's answer to the admin for record id, as
// the removed member's proxy would replay it.
func recordViewAs(t *testing.T, aw *attackWorld, id [32]byte) exchange {
	t.Helper()
	p := newProxy(t, aw.srv.URL)
	c := connectVia(t, aw.srv, p)
	if _, err := c.Login(t.Context(), &sdk.LoginOptions{Handle: "admin", Passphrase: []byte("admin passphrase for the clinic 1")}); err != nil {
		t.Fatalf("admin login: %v", err)
	}
	var buf bytes.Buffer
	if _, err := c.Get(t.Context(), id, &buf); err != nil {
		t.Fatalf("admin Get: %v", err)
	}
	e := p.exchange(t, "GET", recordPath(id))
	return e
}

// A new version of a record shared with people only, written from a device
// that has read nothing yet, reads no other account's key card: the check of
// the groups a record is shared with costs nothing to a patient with none.
func TestPut_NoGroupsNoCardReads(t *testing.T) {
	aw := newAttackWorld(t)
	ctx := t.Context()
	rec := put(t, aw.patient, []byte("v1"), "note")
	if _, err := aw.patient.Share(ctx, rec.RecordID, "dr-jones", nil); err != nil {
		t.Fatal(err)
	}
	dev, err := login(t, aw.srv, aw.alice, "alice", patientPass)
	if err != nil {
		t.Fatal(err)
	}
	mark := aw.alice.mark()
	if _, err := dev.Put(ctx, bytes.NewReader([]byte("v2")), &sdk.PutOptions{Update: rec.RecordID, Size: 2}); err != nil {
		t.Fatalf("Put update: %v", err)
	}
	if cards := aw.alice.since(mark, func(e exchange) bool { return strings.HasSuffix(e.Path, "/cards") }); len(cards) > 0 {
		t.Errorf("a Put of a record shared with people only read key cards: %v", cards)
	}
}
