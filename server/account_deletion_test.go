package server

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/internal/auditlog"
	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/internal/testenv"
	"github.com/blindvault/blindvault/server/store"
)

// deletionRequest is a re-authenticated deletion request of the account id
// from device dev: a fresh challenge signed as for a session.
func deletionRequest(t testing.TB, ts *testServer, id store.AccountID, dev ed25519.PrivateKey, code string) api.DeletionRequest {
	t.Helper()
	a := &testAccount{ID: id, ts: ts}
	nonce := a.challenge(t, store.DeviceID(dev.Public().(ed25519.PublicKey)))
	return api.DeletionRequest{Auth: a.authObject(t, dev, nonce).Marshal(), Code: code}
}

func (a *recTestAccount) deleteAccount(t testing.TB, code string) recResponse {
	t.Helper()
	return a.json(t, http.MethodPost, "/v1/account/deletion", deletionRequest(t, a.ts, a.ID, a.Device, code))
}

func (a *recTestAccount) cancelDeletion(t testing.TB, code string) recResponse {
	t.Helper()
	return a.json(t, http.MethodPost, "/v1/account/deletion/cancel", deletionRequest(t, a.ts, a.ID, a.Device, code))
}

func wantCode(t testing.TB, r recResponse, what string, status int, code string) {
	t.Helper()
	var e api.Error
	r.want(t, what, status).decode(t, &e)
	if e.Error.Code != code {
		t.Fatalf("%s: code %q, want %q", what, e.Error.Code, code)
	}
}

// deletionOps returns the numbers of the log's account-deletion entries
// for id, in order.
func deletionOps(t testing.TB, st store.Store, id store.AccountID) []uint64 {
	t.Helper()
	var ops []uint64
	for from := int64(0); ; {
		es, err := st.LogEntries(context.Background(), from, store.MaxList)
		if err != nil {
			t.Fatal(err)
		}
		for _, raw := range es {
			e, err := auditlog.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			if e.Type == auditlog.AccountDeletion && e.Subject == id {
				ops = append(ops, e.Number)
			}
		}
		if len(es) < store.MaxList {
			return ops
		}
		from += int64(len(es))
	}
}

// traces are byte strings of one account that must be gone after its purge.
type traces map[string][]byte

// collectTraces reads, from the store, pieces of the account's record
// ciphertext, its headers, the grants it gave and the key backup.
func collectTraces(t testing.TB, st store.Store, owner store.AccountID, recs ...store.RecordID) traces {
	t.Helper()
	ctx := context.Background()
	tr := traces{}
	backup, err := st.Backup(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	tr["key backup"] = backup
	for i, id := range recs {
		v, err := st.Version(ctx, id, 1)
		if err != nil {
			t.Fatal(err)
		}
		tr["header "+string(rune('a'+i))] = v.Header
		rc, err := st.OpenBody(ctx, id, 1, v.BodySize/2, 64)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(rc)
		rc.Close()
		tr["body ciphertext "+string(rune('a'+i))] = body
		gs, err := st.Grants(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range gs {
			if g.Account != owner {
				tr["grant "+string(rune('a'+i))] = g.Signed
			}
		}
	}
	for what, b := range tr {
		if len(b) < 16 {
			t.Fatalf("trace %s is %d bytes: too short to search for", what, len(b))
		}
	}
	return tr
}

// scan fails the test if data holds any trace.
func (tr traces) scan(t testing.TB, where string, data []byte) {
	t.Helper()
	if len(data) == 0 {
		t.Fatalf("%s: nothing to scan", where)
	}
	for what, b := range tr {
		if bytes.Contains(data, b) {
			t.Errorf("%s still holds the purged account's %s", where, what)
		}
	}
}

// testDeletionPurge deletes an account with shared records through the API,
// checks what others see while the deletion is pending and after its purge,
// and returns the traces the caller scans the storage for.
func testDeletionPurge(t *testing.T, ts *testServer, clock *testClock) traces {
	st := ts.cfg.Store
	alice, bob := newRecAccount(t, ts, "alice"), newRecAccount(t, ts, "bob")
	var recs []store.RecordID
	for i := range 3 {
		f := createRecord(t, alice, recPlain(20_000+i), recReader{a: bob, rights: format.RightRead})
		recs = append(recs, f.ID)
	}
	openAs(t, bob, recs[0], 1)
	bobs := createRecord(t, bob, recPlain(3000), recReader{a: alice, rights: format.RightRead})
	tr := collectTraces(t, st, alice.ID, recs...)
	var before bytes.Buffer
	if _, err := st.Snapshot(t.Context(), &before); err != nil {
		t.Fatal(err)
	}
	for what, b := range tr {
		if !bytes.Contains(before.Bytes(), b) {
			t.Fatalf("a snapshot before the deletion does not hold the %s: the scans below would prove nothing", what)
		}
	}

	other := loginAgain(t, alice)
	resp := alice.deleteAccount(t, "")
	var d api.Deletion
	resp.want(t, "POST deletion", http.StatusAccepted).decode(t, &d)
	if want := clock.Now().Add(time.Hour); !d.Due.Equal(want) {
		t.Fatalf("deletion due %v, want %v (the retention window)", d.Due, want)
	}
	wantCode(t, alice.deleteAccount(t, ""), "POST deletion again", http.StatusConflict, "deletion_scheduled")
	// Every other session ended; this one still works, to cancel.
	other.get(t, "/v1/records").want(t, "GET with the other session", http.StatusUnauthorized)
	alice.get(t, "/v1/account/deletion").want(t, "GET deletion", http.StatusOK)
	alice.get(t, versionPath(recs[0], 1)).want(t, "owner GET during the window", http.StatusOK)
	// Bob reads nothing of alice's any more and is told she is deleted.
	bob.get(t, versionPath(recs[0], 1)).want(t, "reader GET", http.StatusNotFound)
	wantCode(t, bob.get(t, "/v1/chains/"+alice.ID.String()), "reader GET alice's chain", http.StatusNotFound, "account_deleted")
	wantCode(t, bob.get(t, "/v1/accounts/"+alice.ID.String()+"/cards"), "reader GET alice's cards", http.StatusNotFound, "account_deleted")
	var dir api.Account
	bob.get(t, "/v1/directory/alice").want(t, "directory lookup of alice", http.StatusOK).decode(t, &dir)
	if dir.Status != StatusDeleting {
		t.Fatalf("directory status of alice while her deletion is pending = %q, want %q", dir.Status, StatusDeleting)
	}
	var shared api.RecordList
	bob.get(t, "/v1/shared").want(t, "GET shared", http.StatusOK).decode(t, &shared)
	if len(shared.Records) != 0 {
		t.Fatalf("bob's shared list holds %d records of a deleted account, want 0", len(shared.Records))
	}

	if n, err := ts.PurgeDeletedAccounts(t.Context()); err != nil || n != 0 {
		t.Fatalf("PurgeDeletedAccounts() inside the window = %d, %v; want 0, nil", n, err)
	}
	clock.Add(time.Hour)
	if n, err := ts.PurgeDeletedAccounts(t.Context()); err != nil || n != 1 {
		t.Fatalf("PurgeDeletedAccounts() after the window = %d, %v; want 1, nil", n, err)
	}
	bob = loginAgain(t, bob) // the window outlasted bob's session
	alice.get(t, "/v1/records").want(t, "GET with the purged account's session", http.StatusUnauthorized)
	wantCode(t, bob.get(t, "/v1/accounts/"+alice.ID.String()+"/cards"), "reader GET purged cards", http.StatusNotFound, "account_deleted")
	bob.get(t, "/v1/directory/alice").want(t, "directory lookup of a purged handle", http.StatusNotFound)
	bob.get(t, versionPath(recs[1], 1)).want(t, "reader GET after purge", http.StatusNotFound)
	if got := openAs(t, bob, bobs.ID, 1); !bytes.Equal(got, recPlain(3000)) {
		t.Fatal("bob's own record does not open after alice's purge")
	}
	if ops := deletionOps(t, st, alice.ID); len(ops) != 2 || ops[0] != auditlog.AccountDeletionScheduled || ops[1] != auditlog.AccountDeletionPurged {
		t.Fatalf("log's account-deletion entries for alice = %v, want [scheduled purged]", ops)
	}
	if err := st.Check(t.Context()); err != nil {
		t.Fatalf("Check() after purge = %v", err)
	}
	var snap bytes.Buffer
	if _, err := st.Snapshot(t.Context(), &snap); err != nil {
		t.Fatal(err)
	}
	tr.scan(t, "a snapshot taken after the purge", snap.Bytes())
	return tr
}

// loginAgain opens another session of a's device.
func loginAgain(t testing.TB, a *recTestAccount) *recTestAccount {
	t.Helper()
	ta := &testAccount{ID: a.ID, ts: a.ts}
	b := *a
	b.token = ta.login(t, a.Device)
	return &b
}

func deletionConfig(clock *testClock) Config {
	cfg := recConfig()
	cfg.DeletionRetention, cfg.Now = time.Hour, clock.Now
	return cfg
}

// TestAccountDeletion_PurgeLeavesNoTrace_Bolt is the right to deletion end to
// end on bbolt: after the purge and its compaction, the raw database file
// holds no byte of the account's record ciphertext, headers, grants or key
// backup.
func TestAccountDeletion_PurgeLeavesNoTrace_Bolt(t *testing.T) {
	clock := newTestClock()
	ts := newTestServer(t, deletionConfig(clock))
	tr := testDeletionPurge(t, ts, clock)
	raw, err := os.ReadFile(ts.Path)
	if err != nil {
		t.Fatal(err)
	}
	tr.scan(t, "the raw bbolt file", raw)
}

// TestAccountDeletion_PurgeLeavesNoTrace_Postgres is the same on PostgreSQL:
// the snapshot (a COPY of every table) and a scan of every table's rows as
// text find nothing after the purge and VACUUM FULL.
func TestAccountDeletion_PurgeLeavesNoTrace_Postgres(t *testing.T) {
	if testing.Short() {
		t.Skip("short: starts PostgreSQL")
	}
	pg := testenv.SharedPostgres(t)
	url := pg.NewDatabase(t)
	clock := newTestClock()
	ts := newPostgresTestServer(t, url, deletionConfig(clock))
	tr := testDeletionPurge(t, ts, clock)
	tr.scanPostgres(t, url)
}

func TestAccountDeletion_CancelRestores(t *testing.T) {
	clock := newTestClock()
	ts := newTestServer(t, deletionConfig(clock))
	alice, bob := newRecAccount(t, ts, "alice"), newRecAccount(t, ts, "bob")
	f := createRecord(t, alice, recPlain(5000), recReader{a: bob, rights: format.RightRead})
	wantCode(t, alice.cancelDeletion(t, ""), "cancel with nothing scheduled", http.StatusNotFound, "no_deletion")
	alice.deleteAccount(t, "").want(t, "POST deletion", http.StatusAccepted)
	bob.get(t, versionPath(f.ID, 1)).want(t, "reader GET while pending", http.StatusNotFound)
	clock.Add(20 * time.Minute) // inside the window, and the session's idle expiry
	alice.cancelDeletion(t, "").want(t, "cancel inside the window", http.StatusOK)
	if got := openAs(t, bob, f.ID, 1); !bytes.Equal(got, recPlain(5000)) {
		t.Fatal("bob cannot read alice's record again after she cancelled")
	}
	bob.get(t, "/v1/chains/"+alice.ID.String()).want(t, "reader GET alice's chain after cancel", http.StatusOK)
	alice.get(t, "/v1/account/deletion").want(t, "GET deletion after cancel", http.StatusNotFound)
	clock.Add(2 * time.Hour)
	if n, err := ts.PurgeDeletedAccounts(t.Context()); err != nil || n != 0 {
		t.Fatalf("PurgeDeletedAccounts() after a cancel = %d, %v; want 0, nil", n, err)
	}
	alice = loginAgain(t, alice)
	if got := openAs(t, alice, f.ID, 1); !bytes.Equal(got, recPlain(5000)) {
		t.Fatal("alice's record does not open after she cancelled")
	}
	if ops := deletionOps(t, ts.cfg.Store, alice.ID); len(ops) != 2 || ops[1] != auditlog.AccountDeletionCancelled {
		t.Fatalf("log's account-deletion entries for alice = %v, want [scheduled cancelled]", ops)
	}
}

func TestAccountDeletion_Reauthentication(t *testing.T) {
	clock := newTestClock()
	ts := newIdentServer(t, Config{DeletionRetention: time.Hour}, clock)
	m := newMFAAccount(t, ts, "carol")
	m.enrol(t, clock)
	clock.Add(totpPeriod * time.Second)
	dev := m.Device
	post := func(req api.DeletionRequest) *http.Response {
		return m.do(t, http.MethodPost, "/v1/account/deletion", req)
	}
	wantError(t, post(deletionRequest(t, ts, m.ID, dev, "")), http.StatusBadRequest, "second_factor_required")
	wantError(t, post(deletionRequest(t, ts, m.ID, dev, m.wrongCode(t, clock.Now()))), http.StatusForbidden, "second_factor_failed")
	wantError(t, post(api.DeletionRequest{Code: m.code(t, clock.Now())}), http.StatusBadRequest, "bad_auth")
	// An auth object of another account, even a valid one, is refused.
	other := registerAndLogin(t, ts, "dave", store.RolePatient, "")
	wantError(t, post(deletionRequest(t, ts, other.ID, other.Device, m.code(t, clock.Now()))), http.StatusForbidden, "reauth_mismatch")
	req := deletionRequest(t, ts, m.ID, dev, m.code(t, clock.Now()))
	wantStatus(t, post(req), http.StatusAccepted)
	wantError(t, post(req), http.StatusUnauthorized, "nonce_used")
	if _, err := ts.cfg.Store.AccountDeletion(t.Context(), m.ID); err != nil {
		t.Fatalf("AccountDeletion() = %v after a re-authenticated request", err)
	}
	// Cancelling needs the factor too; a used code does not pass twice.
	wantError(t, m.do(t, http.MethodPost, "/v1/account/deletion/cancel", deletionRequest(t, ts, m.ID, dev, "")), http.StatusBadRequest, "second_factor_required")
	clock.Add(totpPeriod * time.Second)
	wantStatus(t, m.do(t, http.MethodPost, "/v1/account/deletion/cancel", deletionRequest(t, ts, m.ID, dev, m.code(t, clock.Now()))), http.StatusOK)
}

func TestDeletionRetention_Bounds(t *testing.T) {
	for _, c := range []struct {
		in, want time.Duration
		ok       bool
	}{
		{0, DefaultDeletionRetention, true},
		{NoRetention, 0, true},
		{time.Hour, time.Hour, true},
		{MaxDeletionRetention, MaxDeletionRetention, true},
		{MaxDeletionRetention + time.Second, 0, false},
	} {
		got, err := deletionRetention(c.in)
		if got != c.want || (err == nil) != c.ok {
			t.Errorf("deletionRetention(%v) = %v, %v; want %v, ok %v", c.in, got, err, c.want, c.ok)
		}
	}
}
