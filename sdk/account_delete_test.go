//go:build !js

package sdk_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/servertest"
	"github.com/blindvault/blindvault/server/store"
)

// wantDeleted fails the test unless err is ErrDeleted and no failed check.
func wantDeleted(t *testing.T, what string, err error) {
	t.Helper()
	var ce *sdk.CheckError
	if !errors.Is(err, sdk.ErrDeleted) || errors.As(err, &ce) {
		t.Fatalf("%s = %v (%s), want ErrDeleted and no failed check", what, err, sdk.ErrorCode(err))
	}
}

// deletionTraces reads, from the store, bytes of the owner's records that no
// purge may leave behind: body ciphertext, the grants it gave, its backup.
func deletionTraces(t *testing.T, st *servertest.Server, owner store.AccountID, recs ...[32]byte) map[string][]byte {
	t.Helper()
	ctx := t.Context()
	tr := map[string][]byte{}
	b, err := st.Store.Backup(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	tr["key backup"] = b[len(b)/2 : len(b)/2+64]
	for i, id := range recs {
		v, err := st.Store.Version(ctx, id, 1)
		if err != nil {
			t.Fatal(err)
		}
		rc, err := st.Store.OpenBody(ctx, id, 1, v.BodySize/2, 64)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(rc)
		rc.Close()
		tr["body ciphertext "+string(rune('a'+i))] = body
		gs, err := st.Store.Grants(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range gs {
			tr["grant "+string(rune('a'+i))+" to "+g.Account.String()[:8]] = g.Signed
		}
	}
	return tr
}

func scanFor(t *testing.T, where string, data []byte, tr map[string][]byte, want bool) {
	t.Helper()
	for what, b := range tr {
		if bytes.Contains(data, b) != want {
			t.Errorf("%s holds the %s: %v, want %v", where, what, !want, want)
		}
	}
}

// TestClient_DeleteAccount_Purged is issue 14's right to deletion through
// the SDK: the patient deletes her account; at once the clinician she
// shared with reads ErrDeleted (never a failed check); after the purge the
// raw bbolt file and a snapshot hold none of her ciphertext, grants or
// backup.
func TestClient_DeleteAccount_Purged(t *testing.T) {
	srv := servertest.Start(t, server.Config{DeletionRetention: server.NoRetention})
	storage := &sdk.MemoryStorage{}
	w := setUpWorld(t, srv, func(handle string) *sdk.Client {
		if handle == "alice" {
			return newClient(t, srv, storage)
		}
		return newClient(t, srv, nil)
	})
	ctx := t.Context()
	doc := make([]byte, 300_000)
	rand.Read(doc)
	a := put(t, w.patient, doc, "scan")
	b := put(t, w.patient, []byte("a short note"), "note")
	for _, r := range []*sdk.RecordInfo{a, b} {
		if _, err := w.patient.Share(ctx, r.RecordID, "dr-jones", nil); err != nil {
			t.Fatalf("Share: %v", err)
		}
	}
	if got, _, err := get(t, w.clinician, a.RecordID); err != nil || !bytes.Equal(got, doc) {
		t.Fatalf("clinician Get before the deletion = %v", err)
	}
	if _, _, err := get(t, w.clinician, b.RecordID); err != nil {
		t.Fatalf("clinician Get before the deletion = %v", err)
	}
	alice := store.AccountID(w.patient.AccountID())
	tr := deletionTraces(t, srv, alice, a.RecordID, b.RecordID)
	raw, _ := os.ReadFile(srv.Path)
	scanFor(t, "the bbolt file before the deletion", raw, tr, true)

	d, err := w.patient.DeleteAccount(ctx, nil)
	if err != nil {
		t.Fatalf("DeleteAccount() = %v", err)
	}
	if d.Due.Before(d.Requested) || d.Due.Sub(d.Requested) > time.Second {
		t.Fatalf("DeleteAccount() = %+v, want due at once (no retention)", d)
	}
	for _, name := range []string{"profile.json", "profile.journal", "keys", "records.sealed", "records.journal"} {
		if _, err := storage.Load(ctx, name); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("profile file %s after DeleteAccount: %v, want removed", name, err)
		}
	}
	if _, err := w.patient.List(ctx); !errors.Is(err, sdk.ErrNoProfile) {
		t.Fatalf("List() on the deleted profile = %v, want ErrNoProfile", err)
	}
	_, _, err = get(t, w.clinician, a.RecordID)
	wantDeleted(t, "clinician Get while the deletion is pending", err)
	if _, err := w.clinician.Lookup(ctx, "alice", nil); !errors.Is(err, sdk.ErrNotFound) {
		t.Fatalf("Lookup(alice) while her deletion is pending = %v, want ErrNotFound", err)
	}

	if n, err := srv.API.PurgeDeletedAccounts(ctx); err != nil || n != 1 {
		t.Fatalf("PurgeDeletedAccounts() = %d, %v; want 1", n, err)
	}
	_, _, err = get(t, w.clinician, b.RecordID)
	wantDeleted(t, "clinician Get after the purge", err)
	list, err := w.clinician.List(ctx)
	if err != nil || len(list) != 0 {
		t.Fatalf("clinician List() after the purge = %d records, %v; want none and no error", len(list), err)
	}
	if _, err := w.clinician.Lookup(ctx, "alice", nil); !errors.Is(err, sdk.ErrNotFound) {
		t.Fatalf("Lookup(alice) after the purge = %v, want ErrNotFound", err)
	}
	raw, err = os.ReadFile(srv.Path)
	if err != nil {
		t.Fatal(err)
	}
	scanFor(t, "the raw bbolt file after the purge", raw, tr, false)
	var snap bytes.Buffer
	if _, err := srv.Store.Snapshot(ctx, &snap); err != nil {
		t.Fatal(err)
	}
	scanFor(t, "a snapshot after the purge", snap.Bytes(), tr, false)
}

// TestClient_CancelAccountDeletion_RestoresEverything: inside the window the
// patient signs in again on a new device and cancels; the clinician reads
// again, and nothing was lost.
func TestClient_CancelAccountDeletion_RestoresEverything(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	r := put(t, w.patient, []byte("lab result"), "lab")
	if _, err := w.patient.Share(ctx, r.RecordID, "dr-jones", nil); err != nil {
		t.Fatalf("Share: %v", err)
	}
	if _, err := w.patient.CancelAccountDeletion(ctx, nil); !errors.Is(err, sdk.ErrNotFound) {
		t.Fatalf("CancelAccountDeletion() with none pending = %v, want ErrNotFound", err)
	}
	if _, _, err := get(t, w.clinician, r.RecordID); err != nil {
		t.Fatalf("clinician Get before the deletion = %v", err)
	}
	d, err := w.patient.DeleteAccount(ctx, nil)
	if err != nil {
		t.Fatalf("DeleteAccount() = %v", err)
	}
	if got := d.Due.Sub(d.Requested); got != server.DefaultDeletionRetention {
		t.Fatalf("retention window = %v, want the default %v", got, server.DefaultDeletionRetention)
	}
	_, _, err = get(t, w.clinician, r.RecordID)
	wantDeleted(t, "clinician Get while pending", err)

	again := newClient(t, w.srv, nil)
	if _, err := again.Login(ctx, &sdk.LoginOptions{Handle: "alice", Passphrase: []byte(patientPass)}); err != nil {
		t.Fatalf("Login inside the window = %v", err)
	}
	if _, err := again.CancelAccountDeletion(ctx, nil); err != nil {
		t.Fatalf("CancelAccountDeletion() = %v", err)
	}
	if n, err := w.srv.API.PurgeDeletedAccounts(ctx); err != nil || n != 0 {
		t.Fatalf("PurgeDeletedAccounts() after a cancel = %d, %v; want 0", n, err)
	}
	for who, c := range map[string]*sdk.Client{"clinician": w.clinician, "alice on her new device": again} {
		if got, _, err := get(t, c, r.RecordID); err != nil || string(got) != "lab result" {
			t.Fatalf("%s Get after the cancel = %q, %v", who, got, err)
		}
	}
	if _, err := w.clinician.Lookup(ctx, "alice", nil); err != nil {
		t.Fatalf("Lookup(alice) after the cancel = %v", err)
	}
	// Her devices see both steps, from the verified log.
	as, err := again.Alerts(ctx, &sdk.AlertOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range as {
		if a.Kind == sdk.AlertDeletion {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("Alerts() = %+v: %d account-deletion alerts, want 2 (scheduled, cancelled)", as, n)
	}
}

// TestClient_DeleteAccount_NeedsSecondFactor: with a TOTP factor, neither a
// session nor the device key alone deletes the account.
func TestClient_DeleteAccount_NeedsSecondFactor(t *testing.T) {
	clk := &stepClock{t: time.Now().Add(-time.Minute).Truncate(time.Second)}
	srv := servertest.Start(t, server.Config{Now: clk.Now})
	ctx := t.Context()
	alice := newClient(t, srv, nil)
	register(t, alice, "alice", "", "", patientPass)
	enrol, err := alice.EnrollTOTP(ctx)
	if err != nil {
		t.Fatal(err)
	}
	code := func() string {
		c, err := totp.GenerateCode(enrol.Secret, clk.next())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if err := alice.ConfirmTOTP(ctx, code()); err != nil {
		t.Fatal(err)
	}
	for _, otp := range []string{"", "000000"} {
		_, err := alice.DeleteAccount(ctx, &sdk.DeleteAccountOptions{OTP: otp})
		if !errors.Is(err, sdk.ErrSecondFactor) {
			t.Fatalf("DeleteAccount(OTP %q) = %v, want ErrSecondFactor", otp, err)
		}
	}
	if _, err := alice.List(ctx); err != nil {
		t.Fatalf("List() after refused deletions = %v: the profile must stay", err)
	}
	if _, err := alice.DeleteAccount(ctx, &sdk.DeleteAccountOptions{OTP: code()}); err != nil {
		t.Fatalf("DeleteAccount(current code) = %v", err)
	}
}
