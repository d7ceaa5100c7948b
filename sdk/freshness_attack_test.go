//go:build !js

package sdk_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/blindvault/blindvault/internal/bridge"
	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/servertest"
)

// Attacks on freshness (issue 11): a server that shows a device an account
// chain shorter than the log holds, replays another party's answers, or
// forges a success must be caught, and must not leave the device wedged.

func chainPath(id [32]byte) string { return "/v1/chains/" + hex.EncodeToString(id[:]) }

// cutChain serves a chain with no entries past the ones the client has.
func cutChain() hook {
	return func(_ []byte, _ int, _ []byte) (int, []byte) { return 200, []byte(`{"entries":[]}`) }
}

// The owner revokes on one device; the server shows her other device the
// record as it was and her chain stopped short of the revocation. The other
// device must neither read the record as current nor encrypt a new version
// under the revoked epoch, and `log verify` must not say all is well.
func TestAttack_RevocationHiddenByCuttingTheChain(t *testing.T) {
	w := newAttackWorld(t)
	ctx := t.Context()
	rec := put(t, w.patient, []byte("psychiatric assessment"), "assessment")
	if _, err := w.patient.Share(ctx, rec.RecordID, "dr-jones", nil); err != nil {
		t.Fatal(err)
	}
	lp := newProxy(t, w.srv.URL)
	laptop, err := login(t, w.srv, lp, "alice", patientPass)
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	mustRead(t, laptop, rec.RecordID, []byte("psychiatric assessment"))
	shared := lp.answer(t, "GET", recordPath(rec.RecordID))
	if err := w.patient.Revoke(ctx, rec.RecordID, "dr-jones"); err != nil {
		t.Fatal(err)
	}

	lp.attack(t, "GET", recordPath(rec.RecordID), replay(shared))
	lp.attack(t, "GET", chainPath(w.patient.AccountID()), cutChain())
	mark := lp.mark()
	_, err = laptop.Put(ctx, bytes.NewReader([]byte("addendum")), &sdk.PutOptions{Update: rec.RecordID})
	refused(t, "Put on the other device", err, sdk.CheckRollback, nil)
	lp.noWrites(t, mark)
	got, _, err := get(t, laptop, rec.RecordID)
	refused(t, "Get on the other device", err, sdk.CheckRollback, got)
	if _, err := laptop.VerifyLog(ctx); !errors.Is(err, sdk.CheckRollback) {
		t.Fatalf("VerifyLog with the chain cut short: %v, want CheckRollback", err)
	}
}

// A reader is shown an old version as current, with the owner's chain cut
// short of the update.
func TestAttack_ReaderFrozenOnOldVersion(t *testing.T) {
	w := newAttackWorld(t)
	ctx := t.Context()
	rec := put(t, w.patient, []byte("version one"), "note")
	if _, err := w.patient.Share(ctx, rec.RecordID, "dr-jones", nil); err != nil {
		t.Fatal(err)
	}
	mustRead(t, w.clinician, rec.RecordID, []byte("version one"))
	old := w.jones.answer(t, "GET", recordPath(rec.RecordID))
	if _, err := w.patient.Put(ctx, bytes.NewReader([]byte("version two: new allergy")), &sdk.PutOptions{Update: rec.RecordID}); err != nil {
		t.Fatal(err)
	}

	w.jones.attack(t, "GET", recordPath(rec.RecordID), replay(old))
	w.jones.attack(t, "GET", chainPath(w.patient.AccountID()), cutChain())
	got, _, err := get(t, w.clinician, rec.RecordID)
	refused(t, "Get of a frozen version", err, sdk.CheckRollback, got)
}

// A new device is shown an empty chain and no records.
func TestAttack_NewDeviceShownNoRecords(t *testing.T) {
	srv, _, alice := newPatient(t)
	put(t, alice, []byte("lab result"), "lab")
	p := newProxy(t, srv.URL)
	p.attack(t, "GET", chainPath(alice.AccountID()), cutChain())
	p.attack(t, "GET", "/v1/records", func(_ []byte, _ int, _ []byte) (int, []byte) {
		return 200, []byte(`{"records":[]}`)
	})
	dev, err := login(t, srv, p, "alice", patientPass)
	if err == nil {
		var list []*sdk.RecordInfo
		list, err = dev.List(t.Context())
		if err == nil {
			t.Fatalf("List on a new device shown an empty chain: %d records, no error", len(list))
		}
	}
	if !errors.Is(err, sdk.CheckRollback) {
		t.Fatalf("new device shown an empty chain: %v, want CheckRollback", err)
	}
}

var letter = []byte("discharge letter")

// sharedLetter is a world where the patient shared a letter with dr-jones,
// who read it; it returns the letter's ACL path and the share's answer.
func sharedLetter(t *testing.T) (*attackWorld, *sdk.RecordInfo, string, []byte) {
	t.Helper()
	w := newAttackWorld(t)
	rec := put(t, w.patient, letter, "letter")
	if _, err := w.patient.Share(t.Context(), rec.RecordID, "dr-jones", nil); err != nil {
		t.Fatal(err)
	}
	mustRead(t, w.clinician, rec.RecordID, letter)
	aclPath := recordPath(rec.RecordID) + "/acl"
	return w, rec, aclPath, w.alice.answer(t, "PUT", aclPath)
}

// A revoke answered with a replay of an earlier answer (another operation's
// receipts) is refused, and the device is not wedged: once the server
// behaves, the same revoke goes through and the record reads and lists.
func TestAttack_ReplayedRevokeAnswerDoesNotWedge(t *testing.T) {
	w, rec, aclPath, shareAnswer := sharedLetter(t)
	ctx := t.Context()
	w.alice.attack(t, "PUT", aclPath, replay(shareAnswer))
	err := w.patient.Revoke(ctx, rec.RecordID, "dr-jones")
	if !errors.Is(err, sdk.CheckNotLogged) {
		t.Fatalf("Revoke answered with a replay: %v, want CheckNotLogged", err)
	}
	// The proxy forwarded the revoke, so the server did revoke: the device
	// learns it from its chain and the log, whatever the answer said.
	w.alice.attack(t, "PUT", aclPath, nil)
	mustRead(t, w.patient, rec.RecordID, letter)
	if _, err := w.patient.List(ctx); err != nil {
		t.Fatalf("List after a replayed revoke answer: %v", err)
	}
	if _, _, err := get(t, w.clinician, rec.RecordID); !errors.Is(err, sdk.ErrRevoked) {
		t.Fatalf("the clinician after the revoke: %v, want ErrRevoked", err)
	}
	// Sharing and revoking again work.
	if _, err := w.patient.Share(ctx, rec.RecordID, "dr-jones", nil); err != nil {
		t.Fatalf("Share after a replayed revoke answer: %v", err)
	}
	if err := w.patient.Revoke(ctx, rec.RecordID, "dr-jones"); err != nil {
		t.Fatalf("Revoke after a replayed revoke answer: %v", err)
	}
}

// A revoke whose answer is forged while the server never stores it (the
// proxy answers for it): the device keeps no trace and the retry revokes.
func TestAttack_ForgedRevokeSuccessDoesNotWedge(t *testing.T) {
	w, rec, aclPath, shareAnswer := sharedLetter(t)
	ctx := t.Context()
	w.alice.drop(t, "PUT", aclPath, shareAnswer)
	if err := w.patient.Revoke(ctx, rec.RecordID, "dr-jones"); !errors.Is(err, sdk.CheckNotLogged) {
		t.Fatalf("Revoke answered by a forger: %v, want CheckNotLogged", err)
	}
	mustRead(t, w.clinician, rec.RecordID, letter) // the revoke never happened
	w.alice.attack(t, "PUT", aclPath, nil)
	if err := w.patient.Revoke(ctx, rec.RecordID, "dr-jones"); err != nil {
		t.Fatalf("Revoke retried once the server behaves: %v", err)
	}
	if _, _, err := get(t, w.clinician, rec.RecordID); !errors.Is(err, sdk.ErrRevoked) {
		t.Fatalf("the clinician after the retried revoke: %v, want ErrRevoked", err)
	}
	mustRead(t, w.patient, rec.RecordID, letter)
}

// A put the server never stores, answered with another put's receipts, is
// refused; the device keeps no trace of it and goes on.
func TestAttack_ForgedPutSuccessDoesNotWedge(t *testing.T) {
	srv, p, alice := newPatient(t)
	_ = srv
	rec := put(t, alice, []byte("first"), "first")
	path := recordPath(rec.RecordID) + "/versions/2"
	first := p.answer(t, "PUT", recordPath(rec.RecordID)+"/versions/1")
	p.drop(t, "PUT", path, first)
	_, err := alice.Put(t.Context(), bytes.NewReader([]byte("second")), &sdk.PutOptions{Update: rec.RecordID})
	if !errors.Is(err, sdk.CheckNotLogged) {
		t.Fatalf("Put answered with another put's receipts: %v, want CheckNotLogged", err)
	}
	p.attack(t, "PUT", path, nil)
	if _, err := alice.Put(t.Context(), bytes.NewReader([]byte("third")), &sdk.PutOptions{Update: rec.RecordID}); err != nil {
		t.Fatalf("Put after a forged answer: %v", err)
	}
	mustRead(t, alice, rec.RecordID, []byte("third"))
	if _, err := alice.List(t.Context()); err != nil {
		t.Fatalf("List after a forged answer: %v", err)
	}
}

// A profile left wedged by an older client (it saved a chain entry the log
// never got) resynchronises from the log instead of failing for good.
func TestClient_WedgedProfileResyncsFromLog(t *testing.T) {
	srv, alice, keys, _, _ := chainWorld(t)
	ctx := t.Context()
	raw, err := sdk.ProfileJSON(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	var prof map[string]json.RawMessage
	if err := json.Unmarshal(raw, &prof); err != nil {
		t.Fatal(err)
	}
	var chains map[string]map[string]json.RawMessage
	if err := json.Unmarshal(prof["chains"], &chains); err != nil {
		t.Fatal(err)
	}
	id := alice.AccountID()
	own := chains[hex.EncodeToString(id[:])]
	own["seq"] = json.RawMessage("3") // two entries are logged
	own["head"] = json.RawMessage(`"` + hex.EncodeToString(bytes.Repeat([]byte{7}, 32)) + `"`)
	prof["chains"] = toJSON(chains)
	if err := keys.Save(ctx, "profile.json", toJSON(prof)); err != nil {
		t.Fatal(err)
	}
	dev, err := sdk.Connect(ctx, sdk.Config{Server: srv.URL, Storage: keys,
		Passphrase: func() ([]byte, error) { return []byte(patientPass), nil }})
	if err != nil {
		t.Fatalf("Connect with a wedged profile: %v", err)
	}
	list, err := dev.List(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("List from a wedged profile: %d records, %v; want 2", len(list), err)
	}
	if _, err := dev.Put(ctx, bytes.NewReader([]byte("three")), nil); err != nil {
		t.Fatalf("Put from a wedged profile: %v", err)
	}
}

// A device's next run reads only the log entries appended since its last
// operation: the profile keeps the index, not the server.
func TestClient_LogReadResumes(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	p := newProxy(t, srv.URL)
	alice, cfg := reopenablePatient(t, srv, sdk.NewHTTPTransport(p.URL, p.client))
	for i := range 3 {
		put(t, alice, []byte{byte(i)}, "note")
	}
	if _, err := alice.VerifyLog(t.Context()); err != nil {
		t.Fatal(err)
	}
	logReads := func(e exchange) bool { return strings.HasPrefix(e.Path, "/v1/log/entries?") }
	mark := p.mark()
	next, err := sdk.Connect(t.Context(), cfg) // the next run of the same profile
	if err != nil {
		t.Fatal(err)
	}
	rep, err := next.VerifyLog(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	reads := p.since(mark, logReads)
	if rep.Entries >= rep.Size || len(reads) > 1 {
		t.Fatalf("the next run read %d of %d entries (%v)", rep.Entries, rep.Size, reads)
	}
	for _, r := range reads {
		if strings.Contains(r, "from=0&") {
			t.Fatalf("the next run read the log from its start: %s", r)
		}
	}
}

// A reader's list checks each owner's chain against the log; the owners it
// did not follow yet cost one read of the log together, not one each.
func TestClient_ListFollowsNewOwnersInOneRead(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	p := newProxy(t, srv.URL)
	reader := connectVia(t, srv, p)
	register(t, reader, "reader", "", "", patientPass)
	for _, name := range []string{"ann", "ben", "cat"} {
		owner := newClient(t, srv, nil)
		register(t, owner, name, "", "", patientPass)
		rec := put(t, owner, []byte(name), "note")
		if _, err := owner.Share(t.Context(), rec.RecordID, "reader", nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := reader.VerifyLog(t.Context()); err != nil { // the reader's index exists
		t.Fatal(err)
	}
	mark := p.mark()
	list, err := reader.List(t.Context())
	if err != nil || len(list) != 3 {
		t.Fatalf("List: %d records, %v; want 3", len(list), err)
	}
	full := p.since(mark, func(e exchange) bool { return strings.HasPrefix(e.Path, "/v1/log/entries?from=0&") })
	if len(full) > 1 {
		t.Fatalf("the list read the log from its start %d times for 3 new owners", len(full))
	}
}

// reopenablePatient registers alice in storage the test keeps, through
// transport if it is not nil, and returns the config that opens her profile
// again, as her next run would.
func reopenablePatient(tb testing.TB, srv *servertest.Server, transport bridge.Transport) (*sdk.Client, sdk.Config) {
	tb.Helper()
	cfg := sdk.Config{Server: srv.URL, Storage: &sdk.MemoryStorage{}, Transport: transport,
		Passphrase: func() ([]byte, error) { return []byte(patientPass), nil }}
	alice, err := sdk.Connect(tb.Context(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	register(tb, alice, "alice", "", "", patientPass)
	return alice, cfg
}
