//go:build !js

package sdk_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/servertest"
)

// newServerB starts a second server with an admin and an invite for a
// clinician.
func newServerB(t *testing.T) (*servertest.Server, string) {
	t.Helper()
	srv, invite := newServerInvites(t)
	return srv, invite("clinician")
}

// transfer moves c to url, its new profile kept in storage.
func transfer(t *testing.T, c *sdk.Client, url string, storage sdk.Storage, pass, invite string) (*sdk.Client, *sdk.TransferReport, error) {
	t.Helper()
	return c.Transfer(t.Context(), &sdk.TransferOptions{To: sdk.Config{Server: url, Storage: storage},
		Passphrase: []byte(pass), Invite: invite})
}

// share shares record id with handle, revoke revokes it, or the test fails.
func share(t *testing.T, c *sdk.Client, id sdk.RecordID, handle string, opts *sdk.ShareOptions) {
	t.Helper()
	if _, err := c.Share(t.Context(), id, handle, opts); err != nil {
		t.Fatalf("Share: %v", err)
	}
}

func revoke(t *testing.T, c *sdk.Client, id sdk.RecordID, handle string) {
	t.Helper()
	if err := c.Revoke(t.Context(), id, handle); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
}

func update(t *testing.T, c *sdk.Client, id sdk.RecordID, body string) {
	t.Helper()
	if _, err := c.Put(t.Context(), bytes.NewReader([]byte(body)), &sdk.PutOptions{Update: id, Title: body}); err != nil {
		t.Fatalf("Put update: %v", err)
	}
}

func TestClient_Transfer(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	srvB, invite := newServerB(t)

	// r1: shared with write, a second version, a third by the clinician; r2:
	// shared, revoked, a second version in the new epoch; r3: one version.
	r1 := put(t, w.patient, []byte("lab v1"), "lab")
	share(t, w.patient, r1.RecordID, "dr-jones", &sdk.ShareOptions{Write: true})
	update(t, w.patient, r1.RecordID, "lab v2")
	update(t, w.clinician, r1.RecordID, "lab v3")
	r2 := put(t, w.patient, []byte("letter v1"), "letter")
	share(t, w.patient, r2.RecordID, "dr-jones", nil)
	revoke(t, w.patient, r2.RecordID, "dr-jones")
	update(t, w.patient, r2.RecordID, "letter v2")
	r3 := put(t, w.patient, []byte("note"), "note")

	// A version by a write delegate not on the new server yet holds its
	// record back (the others move) and the pointer with it.
	aliceStore := &sdk.MemoryStorage{}
	if _, _, err := transfer(t, w.patient, srvB.URL, aliceStore, patientPass, ""); !errors.Is(err, sdk.ErrNotFound) {
		t.Fatalf("Transfer before the delegate moved = %v, want ErrNotFound", err)
	}
	if to, err := w.patient.MovedTo(ctx, w.patient.AccountID()); err != nil || to != "" {
		t.Fatalf("MovedTo with a record held back = %q, %v; want no pointer", to, err)
	}
	jonesB, _, err := transfer(t, w.clinician, srvB.URL, nil, clinicianPass, invite)
	if err != nil {
		t.Fatalf("clinician Transfer: %v", err)
	}
	aliceB, rep, err := transfer(t, w.patient, srvB.URL, aliceStore, patientPass, "")
	if err != nil {
		t.Fatalf("Transfer: %v", err)
	}
	if rep.Records != 3 || rep.Versions != 1 || rep.To != srvB.URL || len(rep.Pending) != 0 {
		t.Errorf("Transfer report = %+v, want 3 records, the delegate's version (the rest moved in the first run) to %s", rep, srvB.URL)
	}
	if aliceB.AccountID() != w.patient.AccountID() || aliceB.Server() != srvB.URL {
		t.Errorf("new client is %x on %s, want %x on %s", aliceB.AccountID(), aliceB.Server(), w.patient.AccountID(), srvB.URL)
	}

	// The clinician reads on the new server, the author's signature verified.
	got, info, err := get(t, jonesB, r1.RecordID)
	if err != nil || string(got) != "lab v3" || !info.AuthorVerified || info.Version != 3 || info.Author.Handle() != "dr-jones" {
		t.Fatalf("clinician Get on the new server = %q v%d verified %v, %v", got, info.Version, info.AuthorVerified, err)
	}
	if _, _, err := get(t, jonesB, r2.RecordID); err == nil {
		t.Errorf("revoked clinician reads r2 on the new server")
	}
	for id, want := range map[sdk.RecordID]string{r1.RecordID: "lab v3", r2.RecordID: "letter v2", r3.RecordID: "note"} {
		if got, _, err := get(t, aliceB, id); err != nil || string(got) != want {
			t.Errorf("patient Get on the new server = %q, %v; want %q", got, err, want)
		}
	}

	// The old server shows the owner-signed pointer to whoever reads the chain.
	for _, c := range []*sdk.Client{w.patient, w.clinician} {
		if to, err := c.MovedTo(ctx, w.patient.AccountID()); err != nil || to != srvB.URL {
			t.Errorf("MovedTo = %q, %v; want %q", to, err, srvB.URL)
		}
	}

	// Run again: nothing is copied twice.
	_, rep, err = transfer(t, w.patient, srvB.URL, aliceStore, patientPass, "")
	if err != nil || rep.Versions != 0 || rep.Grants != 0 || rep.Records != 3 {
		t.Fatalf("second Transfer = %+v, %v; want 3 records, nothing uploaded", rep, err)
	}
}

func TestClient_Transfer_Interrupted(t *testing.T) {
	srvA := servertest.Start(t, server.Config{})
	alice := newClient(t, srvA, nil)
	register(t, alice, "alice", "", "", patientPass)
	var ids []sdk.RecordID
	for i := range 3 {
		r := put(t, alice, []byte(fmt.Sprint("record ", i)), fmt.Sprint("r", i))
		update(t, alice, r.RecordID, fmt.Sprint("record ", i, " v2"))
		ids = append(ids, r.RecordID)
	}
	srvB := servertest.Start(t, server.Config{})
	p := newProxy(t, srvB.URL)
	cut := fmt.Sprintf("/v1/records/%x/versions/2", ids[1])
	p.drop(t, "PUT", cut, []byte(`{}`)) // the connection is cut: nothing stored, no receipt
	store := &sdk.MemoryStorage{}
	to := sdk.Config{Server: srvB.URL, Storage: store, Transport: sdk.NewHTTPTransport(p.URL, p.client)}
	_, _, err := alice.Transfer(t.Context(), &sdk.TransferOptions{To: to, Passphrase: []byte(patientPass)})
	if err == nil {
		t.Fatal("Transfer through a cut-off server succeeded")
	}
	if moved, err := alice.MovedTo(t.Context(), alice.AccountID()); err != nil || moved != "" {
		t.Fatalf("MovedTo after a failed transfer = %q, %v; want no pointer", moved, err)
	}
	p.set(t, "PUT", cut, rule{}) // the server is back
	aliceB, rep, err := alice.Transfer(t.Context(), &sdk.TransferOptions{To: to, Passphrase: []byte(patientPass)})
	if err != nil {
		t.Fatalf("Transfer, run again: %v", err)
	}
	if rep.Records != 3 || rep.Versions == 0 || rep.Versions >= 6 {
		t.Errorf("second run = %+v, want 3 records and only what the first run missed", rep)
	}
	for i, id := range ids {
		if got, _, err := get(t, aliceB, id); err != nil || string(got) != fmt.Sprint("record ", i, " v2") {
			t.Errorf("Get on the new server = %q, %v", got, err)
		}
	}
	if moved, err := alice.MovedTo(t.Context(), alice.AccountID()); err != nil || moved != srvB.URL {
		t.Errorf("MovedTo = %q, %v; want %q", moved, err, srvB.URL)
	}

	// A new server that says it holds another history of a record is caught.
	p.attack(t, "GET", fmt.Sprintf("/v1/records/%x", ids[0]), editJSON(t, func(m map[string]json.RawMessage) {
		m["header_hash"] = toJSON(fmt.Sprintf("%064x", 1))
	}))
	_, _, err = alice.Transfer(t.Context(), &sdk.TransferOptions{To: to, Passphrase: []byte(patientPass)})
	var ce *sdk.CheckError
	if !errors.As(err, &ce) || !sdk.ServerMisbehaved(err) {
		t.Fatalf("Transfer against a new server serving another history = %v, want a *CheckError blaming the server", err)
	}
}

func TestClient_Transfer_BadInput(t *testing.T) {
	srv, _, alice := newPatient(t)
	for _, u := range []string{"", "ftp://x", "vault.example", "https://vault.example?x=1", "https://", "https:///path", "https://:443",
		"https://user@vault.example", "https://vault.example#x", "https://vault .example", "https://vault.example\\x", "https://vault\x7f.example", srv.URL, srv.URL + "/"} {
		if _, _, err := alice.Transfer(t.Context(), &sdk.TransferOptions{To: sdk.Config{Server: u}, Passphrase: []byte(patientPass)}); !errors.Is(err, sdk.ErrInvalid) {
			t.Errorf("Transfer(to %q) = %v, want ErrInvalid", u, err)
		}
	}
}

// TestClient_Transfer_PointerAttacks: the old server can neither change the
// moved pointer the patient signed nor hide it from a reader of the chain.
func TestClient_Transfer_PointerAttacks(t *testing.T) {
	aw := newAttackWorld(t)
	put(t, aw.patient, []byte("note"), "note")
	srvB := servertest.Start(t, server.Config{})
	if _, _, err := transfer(t, aw.patient, srvB.URL, nil, patientPass, ""); err != nil {
		t.Fatalf("Transfer: %v", err)
	}
	chain := fmt.Sprintf("/v1/chains/%x", aw.patient.AccountID())
	lastEntry := func(edit func(entries []map[string]any) []map[string]any) hook {
		return editJSON(t, func(m map[string]json.RawMessage) {
			var entries []map[string]any
			if err := json.Unmarshal(m["entries"], &entries); err != nil {
				t.Fatal(err)
			}
			m["entries"] = toJSON(edit(entries))
		})
	}
	t.Run("forged", func(t *testing.T) {
		aw.jones.attack(t, "GET", chain, lastEntry(func(entries []map[string]any) []map[string]any {
			last := entries[len(entries)-1]
			var raw []byte
			json.Unmarshal(toJSON(last["entry"]), &raw)
			i := bytes.LastIndex(raw, []byte("127.0.0.1"))
			if i < 0 {
				t.Fatal("the last entry is not the pointer")
			}
			raw[i] = '6' // the pointer now names 627.0.0.1
			last["entry"] = raw
			return entries
		}))
		if to, err := aw.clinician.MovedTo(t.Context(), aw.patient.AccountID()); !sdk.ServerMisbehaved(err) {
			t.Fatalf("MovedTo with a forged pointer = %q, %v; want a check blaming the server", to, err)
		}
	})
	t.Run("hidden", func(t *testing.T) {
		aw.jones.attack(t, "GET", chain, lastEntry(func(entries []map[string]any) []map[string]any {
			return entries[:len(entries)-1]
		}))
		if to, err := aw.clinician.MovedTo(t.Context(), aw.patient.AccountID()); !errors.Is(err, sdk.CheckRollback) {
			t.Fatalf("MovedTo with the pointer hidden = %q, %v; want CheckRollback", to, err)
		}
	})
}
