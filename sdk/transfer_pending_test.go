//go:build !js

package sdk_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/servertest"
)

// newServerInvites starts a second server with an admin, and returns it with
// a func that has the admin invite a role.
func newServerInvites(t *testing.T) (*servertest.Server, func(role string) string) {
	t.Helper()
	srv := servertest.Start(t, server.Config{})
	admin := newClient(t, srv, nil)
	register(t, admin, "admin-b", "admin", srv.AdminInvite, "admin passphrase for the new server 2")
	return srv, func(role string) string {
		t.Helper()
		code, err := admin.Invite(t.Context(), role, 0)
		if err != nil {
			t.Fatalf("Invite: %v", err)
		}
		return code
	}
}

// TestClient_Transfer_PendingReader: a patient moves before her clinician;
// the clinician stays in the moved ACLs without a key, is reported pending
// by handle and fingerprint, and reads every version he was given once he is
// on the new server and the patient grants what is pending.
func TestClient_Transfer_PendingReader(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	srvB, invite := newServerInvites(t)

	// r1: shared, a second version; r2: shared, revoked, shared again (two
	// epochs given), a third version; r3: never shared.
	r1 := put(t, w.patient, []byte("lab v1"), "lab")
	share(t, w.patient, r1.RecordID, "dr-jones", nil)
	update(t, w.patient, r1.RecordID, "lab v2")
	r2 := put(t, w.patient, []byte("letter v1"), "letter")
	share(t, w.patient, r2.RecordID, "dr-jones", nil)
	revoke(t, w.patient, r2.RecordID, "dr-jones")
	update(t, w.patient, r2.RecordID, "letter v2")
	share(t, w.patient, r2.RecordID, "dr-jones", nil)
	update(t, w.patient, r2.RecordID, "letter v3")
	r3 := put(t, w.patient, []byte("note"), "note")
	r4 := put(t, w.patient, []byte("old letter"), "old letter") // shared, and revoked on the new server while he is pending
	share(t, w.patient, r4.RecordID, "dr-jones", nil)

	aliceStore := &sdk.MemoryStorage{}
	aliceB, rep, err := transfer(t, w.patient, srvB.URL, aliceStore, patientPass, "")
	if err != nil {
		t.Fatalf("Transfer before the reader moved: %v", err)
	}
	jonesFP := w.clinician.Card().Fingerprint().String()
	if rep.Records != 4 || len(rep.Pending) != 1 || rep.Pending[0].Name != "dr-jones" || rep.Pending[0].Fingerprint != jonesFP ||
		rep.Pending[0].Records != 3 || rep.Pending[0].Account != fmt.Sprintf("%x", w.clinician.AccountID()) {
		t.Fatalf("Transfer report = %+v, pending %+v; want 4 records and dr-jones (%s) pending for 3", rep, rep.Pending, jonesFP)
	}
	revoke(t, aliceB, r4.RecordID, "dr-jones")
	if to, err := w.patient.MovedTo(ctx, w.patient.AccountID()); err != nil || to != srvB.URL {
		t.Fatalf("MovedTo = %q, %v: a pending reader must not hold the move back", to, err)
	}
	// The patient works on the new server meanwhile: a new version of a
	// record the pending reader is listed on.
	update(t, aliceB, r1.RecordID, "lab v3")
	// A revocation there makes a new epoch of r1: the pending reader is owed
	// its key too.
	register(t, newClient(t, srvB, nil), "dr-who", "clinician", invite("clinician"), clinicianPass)
	share(t, aliceB, r1.RecordID, "dr-who", nil)
	revoke(t, aliceB, r1.RecordID, "dr-who")
	if n, pending, err := aliceB.GrantPending(ctx); err != nil || n != 0 || len(pending) != 1 || pending[0].Records != 2 {
		t.Fatalf("GrantPending before the reader moved = %d, %+v, %v; want nothing granted, dr-jones pending for 2", n, pending, err)
	}

	jonesB, _, err := transfer(t, w.clinician, srvB.URL, nil, clinicianPass, invite("clinician"))
	if err != nil {
		t.Fatalf("clinician Transfer: %v", err)
	}
	if _, _, err := get(t, jonesB, r1.RecordID); err == nil {
		t.Fatal("the clinician reads on the new server before the patient granted him")
	}
	n, pending, err := aliceB.GrantPending(ctx)
	if err != nil || len(pending) != 0 || n != 4 {
		t.Fatalf("GrantPending = %d, %+v, %v; want 4 grants (r1 epochs 1 and 2, r2 epochs 1 and 2), none pending", n, pending, err)
	}
	for id, want := range map[sdk.RecordID]string{r1.RecordID: "lab v3", r2.RecordID: "letter v3"} {
		got, info, err := get(t, jonesB, id)
		if err != nil || string(got) != want || !info.AuthorVerified {
			t.Errorf("clinician Get on the new server = %q (verified %v), %v; want %q", got, info != nil && info.AuthorVerified, err, want)
		}
	}
	if _, _, err := get(t, jonesB, r4.RecordID); err == nil {
		t.Error("the clinician reads a record revoked while he was pending")
	}
	// Every version he was given reads too: r2's first, from the first epoch.
	var buf bytes.Buffer
	if _, err := jonesB.GetVersion(ctx, r2.RecordID, 1, &buf); err != nil || buf.String() != "letter v1" {
		t.Errorf("clinician reads r2 v1 = %q, %v", buf.String(), err)
	}
	if n, pending, err := aliceB.GrantPending(ctx); err != nil || n != 0 || len(pending) != 0 {
		t.Fatalf("GrantPending again = %d, %+v, %v; want nothing", n, pending, err)
	}
	// The transfer run again after the owner wrote on the new server (a new
	// version, the grant's ACL, a deletion) finds everything moved.
	if err := aliceB.Delete(ctx, r3.RecordID); err != nil {
		t.Fatalf("Delete on the new server: %v", err)
	}
	if _, rep, err := transfer(t, w.patient, srvB.URL, aliceStore, patientPass, ""); err != nil || rep.Versions != 0 || rep.Grants != 0 {
		t.Fatalf("Transfer again = %+v, %v; want nothing uploaded", rep, err)
	}
}

// TestClient_Transfer_PendingReaderAttack: a new server that serves another
// card for a pending reader (the same account id, other keys) gets no grant:
// GrantPending fails with CheckKeyUnverified and writes nothing.
func TestClient_Transfer_PendingReaderAttack(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	srvB, invite := newServerB(t)
	r := put(t, w.patient, []byte("lab"), "lab")
	share(t, w.patient, r.RecordID, "dr-jones", nil)
	p := newProxy(t, srvB.URL)
	to := sdk.Config{Server: srvB.URL, Storage: &sdk.MemoryStorage{}, Transport: sdk.NewHTTPTransport(p.URL, p.client)}
	aliceB, rep, err := w.patient.Transfer(ctx, &sdk.TransferOptions{To: to, Passphrase: []byte(patientPass)})
	if err != nil || len(rep.Pending) != 1 {
		t.Fatalf("Transfer = %+v, %v; want dr-jones pending", rep, err)
	}
	if _, _, err := transfer(t, w.clinician, srvB.URL, nil, clinicianPass, invite); err != nil {
		t.Fatalf("clinician Transfer: %v", err)
	}
	jones := cardOf(t, w.clinician.Card())
	cards := fmt.Sprintf("/v1/accounts/%x/cards", jones.AccountID)
	for name, served := range map[string][][]byte{
		"another card of the same account": {forgeCard(t, jones.AccountID, "dr-jones", nil)},
		"a successor not endorsed":         {w.clinician.Card().Bytes(), forgeCard(t, jones.AccountID, "dr-jones", jones)},
	} {
		t.Run(name, func(t *testing.T) {
			p.attack(t, "GET", cards, serveCards(t, served...))
			mark := p.mark()
			_, _, err := aliceB.GrantPending(ctx)
			refused(t, "GrantPending", err, sdk.CheckKeyUnverified, nil)
			p.noWrites(t, mark)
		})
	}
	if n, pending, err := aliceB.GrantPending(ctx); err != nil || n != 1 || len(pending) != 0 {
		t.Fatalf("honest GrantPending = %d, %+v, %v", n, pending, err)
	}
}

// TestClient_Transfer_Collection: a collection moves with the records, its
// key record first; a reader of the collection reads its records through it
// on the new server (at once if he moved first, after GrantPending if not),
// and a record written there joins it by its rule.
func TestClient_Transfer_Collection(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	srvB, invite := newServerB(t)
	col, err := w.patient.CreateCollection(ctx, "labs", &sdk.CollectionOptions{Type: "Observation"})
	if err != nil {
		t.Fatalf("CreateCollection: %v", err)
	}
	r1 := put(t, w.patient, []byte("HbA1c 6.1"), "HbA1c") // joins by its type
	share(t, w.patient, col.ID, "dr-jones", &sdk.ShareOptions{History: true})
	mustRead(t, w.clinician, r1.RecordID, []byte("HbA1c 6.1"))

	aliceB, rep, err := transfer(t, w.patient, srvB.URL, nil, patientPass, "")
	if err != nil {
		t.Fatalf("Transfer of a record in a shared collection: %v", err)
	}
	if rep.Records != 2 || len(rep.Pending) != 1 || rep.Pending[0].Name != "dr-jones" {
		t.Fatalf("Transfer report = %+v; want the collection and its record moved, dr-jones pending", rep)
	}
	r2 := put(t, aliceB, []byte("HbA1c 5.9"), "HbA1c again")
	// Another device of hers there finds the collection and the pending
	// reader in the synced profile, and grants him.
	laptop := newClient(t, srvB, nil)
	if _, err := laptop.Login(ctx, &sdk.LoginOptions{Handle: "alice", Passphrase: []byte(patientPass)}); err != nil {
		t.Fatalf("Login on the new server: %v", err)
	}
	cols, err := laptop.Collections(ctx)
	if err != nil || len(cols) != 1 || cols[0].Name != "labs" || cols[0].ID != col.ID {
		t.Fatalf("Collections on the new server = %+v, %v", cols, err)
	}

	jonesB, _, err := transfer(t, w.clinician, srvB.URL, nil, clinicianPass, invite)
	if err != nil {
		t.Fatalf("clinician Transfer: %v", err)
	}
	if n, pending, err := laptop.GrantPending(ctx); err != nil || n != 1 || len(pending) != 0 {
		t.Fatalf("GrantPending on another device = %d, %+v, %v; want the collection's key to dr-jones", n, pending, err)
	}
	mustRead(t, jonesB, r1.RecordID, []byte("HbA1c 6.1"))
	mustRead(t, jonesB, r2.RecordID, []byte("HbA1c 5.9"))
}

// TestClient_Transfer_Team: a patient's record shared with a care team moves
// before the team does and waits for it; the admin moves the team (its key
// record and its description, the member pending until he moves); then the
// patient's grant to the team reaches the member through the team on the new
// server. A new server that serves another admin card or another team key is
// refused with a check error, and nothing is written.
func TestClient_Transfer_Team(t *testing.T) {
	w := newTeamWorld(t, nil)
	ctx := t.Context()
	srvB, invite := newServerInvites(t)
	body := []byte(`{"resourceType":"Observation","code":{"text":"Troponin"}}`)
	rec := put(t, w.patient, body, "troponin")
	if _, err := w.patient.ShareWithTeam(ctx, rec.RecordID, org+"/Cardiology", nil); err != nil {
		t.Fatalf("ShareWithTeam: %v", err)
	}
	mustRead(t, w.clinician, rec.RecordID, body)

	p := newProxy(t, srvB.URL)
	to := sdk.Config{Server: srvB.URL, Storage: &sdk.MemoryStorage{}, Transport: sdk.NewHTTPTransport(p.URL, p.client)}
	aliceB, rep, err := w.patient.Transfer(ctx, &sdk.TransferOptions{To: to, Passphrase: []byte(patientPass)})
	if err != nil || len(rep.Pending) != 1 || rep.Pending[0].Name != "team Cardiology" || rep.Pending[0].Records != 1 {
		t.Fatalf("patient Transfer = %+v, %v; want team Cardiology pending", rep, err)
	}
	adminMoved, rep, err := transfer(t, w.admin, srvB.URL, nil, "admin passphrase for the clinic 1", invite("admin"))
	if err != nil || rep.Records != 1 || len(rep.Pending) != 1 || rep.Pending[0].Name != "dr-jones" {
		t.Fatalf("admin Transfer = %+v, %v; want the team's key record moved, dr-jones pending", rep, err)
	}
	jonesB, _, err := transfer(t, w.clinician, srvB.URL, nil, clinicianPass, invite("clinician"))
	if err != nil {
		t.Fatalf("clinician Transfer: %v", err)
	}
	if n, pending, err := adminMoved.GrantPending(ctx); err != nil || n != 1 || len(pending) != 0 {
		t.Fatalf("admin GrantPending = %d, %+v, %v; want the team's key to dr-jones", n, pending, err)
	}

	admin := cardOf(t, w.admin.Card())
	t.Run("another admin card", func(t *testing.T) {
		p.attack(t, "GET", fmt.Sprintf("/v1/accounts/%x/cards", admin.AccountID), serveCards(t, forgeCard(t, admin.AccountID, "admin", nil)))
		mark := p.mark()
		_, _, err := aliceB.GrantPending(ctx)
		refused(t, "GrantPending", err, sdk.CheckKeyUnverified, nil)
		p.noWrites(t, mark)
	})
	t.Run("another team key", func(t *testing.T) {
		p.attack(t, "GET", fmt.Sprintf("/v1/chains/%x", admin.AccountID), editJSON(t, func(m map[string]json.RawMessage) {
			var entries []map[string]any
			if err := json.Unmarshal(m["entries"], &entries); err != nil {
				t.Fatal(err)
			}
			var raw []byte
			json.Unmarshal(toJSON(entries[len(entries)-1]["entry"]), &raw)
			raw[len(raw)-100] ^= 1 // inside the team's key, under the admin's signature
			entries[len(entries)-1]["entry"] = raw
			m["entries"] = toJSON(entries)
		}))
		mark := p.mark()
		_, _, err := aliceB.GrantPending(ctx)
		if !sdk.ServerMisbehaved(err) {
			t.Fatalf("GrantPending with the team's description altered = %v, want a check error", err)
		}
		p.noWrites(t, mark)
	})

	// The admin changes the team's key on the new server before the patient
	// grants it (a member added and removed): the record's ACL lists the
	// team's older key, and moves to its current one.
	if _, _, err := transfer(t, w.nurse, srvB.URL, nil, clinicianPass, invite("clinician")); err != nil {
		t.Fatalf("nurse Transfer: %v", err)
	}
	if _, err := adminMoved.AddTeamMember(ctx, "Cardiology", "nurse-kim", nil); err != nil {
		t.Fatalf("AddTeamMember: %v", err)
	}
	if _, err := adminMoved.RemoveTeamMember(ctx, "Cardiology", "nurse-kim"); err != nil {
		t.Fatalf("RemoveTeamMember: %v", err)
	}
	if n, pending, err := aliceB.GrantPending(ctx); err != nil || n != 1 || len(pending) != 0 {
		t.Fatalf("patient GrantPending = %d, %+v, %v; want the record's first key to the team's current key", n, pending, err)
	}
	mustRead(t, jonesB, rec.RecordID, body)
	team, err := aliceB.LookupTeam(ctx, org+"/Cardiology")
	if err != nil || team.Status() != "verified care team Cardiology of "+org+", 1 member" {
		t.Fatalf("LookupTeam on the new server = %v, %v", team, err)
	}
}
