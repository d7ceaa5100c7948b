//go:build !js

package sdk_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/servertest"
)

const (
	patientPass   = "correct horse battery staple 42"
	clinicianPass = "tricky clinician passphrase 7"
	org           = "Example Clinic"
)

// world is a real server with an admin, a patient and a clinician attested by
// the admin, whom the patient trusts for the organisation.
type world struct {
	srv                       *servertest.Server
	admin, patient, clinician *sdk.Client
}

func newClient(t testing.TB, srv *servertest.Server, storage sdk.Storage) *sdk.Client {
	t.Helper()
	if storage == nil {
		storage = &sdk.MemoryStorage{}
	}
	c, err := sdk.Connect(t.Context(), sdk.Config{Server: srv.URL, Storage: storage})
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	return c
}

func register(t testing.TB, c *sdk.Client, handle, role, invite, pass string) *sdk.Registration {
	t.Helper()
	opts := &sdk.RegisterOptions{Handle: handle, Role: role, Invite: invite}
	if pass != "" {
		opts.Passphrase = []byte(pass)
	}
	reg, err := c.Register(t.Context(), opts)
	if err != nil {
		t.Fatalf("Register %s: %v", handle, err)
	}
	return reg
}

func newWorld(t testing.TB) *world {
	t.Helper()
	srv := servertest.Start(t, server.Config{})
	return setUpWorld(t, srv, func(string) *sdk.Client { return newClient(t, srv, nil) })
}

// setUpWorld registers the world's admin, clinician and patient on srv, each
// on the client that connect returns for its handle.
func setUpWorld(t testing.TB, srv *servertest.Server, connect func(handle string) *sdk.Client) *world {
	t.Helper()
	ctx := t.Context()
	w := &world{srv: srv}
	w.admin = connect("admin")
	register(t, w.admin, "admin", "admin", w.srv.AdminInvite, "admin passphrase for the clinic 1")
	invite, err := w.admin.Invite(ctx, "clinician", 0)
	if err != nil {
		t.Fatalf("Invite: %v", err)
	}
	w.clinician = connect("dr-jones")
	register(t, w.clinician, "dr-jones", "clinician", invite, clinicianPass)
	if _, err := w.admin.Attest(ctx, "dr-jones", "clinician", org, 24*time.Hour); err != nil {
		t.Fatalf("Attest: %v", err)
	}
	w.patient = connect("alice")
	register(t, w.patient, "alice", "", "", patientPass)
	if err := w.patient.TrustOrg(ctx, org, "admin", w.admin.Card().Fingerprint().String()); err != nil {
		t.Fatalf("TrustOrg: %v", err)
	}
	return w
}

func put(t testing.TB, c *sdk.Client, body []byte, title string) *sdk.RecordInfo {
	t.Helper()
	info, err := c.Put(t.Context(), bytes.NewReader(body), &sdk.PutOptions{Title: title, Type: "Observation", Size: int64(len(body))})
	if err != nil {
		t.Fatalf("Put %s: %v", title, err)
	}
	return info
}

func get(t testing.TB, c *sdk.Client, id [32]byte) ([]byte, *sdk.RecordInfo, error) {
	t.Helper()
	var buf bytes.Buffer
	info, err := c.Get(t.Context(), id, &buf)
	return buf.Bytes(), info, err
}

func TestClient_ShareReadRevoke(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	obs := []byte(`{"resourceType":"Observation","code":{"text":"HbA1c"},"valueQuantity":{"value":6.1,"unit":"%"}}`)
	doc := make([]byte, 3<<20+123)
	rand.Read(doc)
	o := put(t, w.patient, obs, "HbA1c 2026-11")
	d := put(t, w.patient, doc, "discharge letter")

	ct, err := w.patient.Share(ctx, o.RecordID, "dr-jones", nil)
	if err != nil {
		t.Fatalf("Share: %v", err)
	}
	if got, want := ct.Status(), "verified clinician of "+org; got != want {
		t.Errorf("Status = %q, want %q", got, want)
	}
	if _, err := w.patient.Share(ctx, d.RecordID, "dr-jones", nil); err != nil {
		t.Fatalf("Share: %v", err)
	}

	list, err := w.clinician.List(ctx)
	if err != nil {
		t.Fatalf("clinician List: %v", err)
	}
	if len(list) != 2 {
		t.Fatalf("clinician sees %d records, want 2", len(list))
	}
	got, info, err := get(t, w.clinician, d.RecordID)
	if err != nil {
		t.Fatalf("clinician Get: %v", err)
	}
	if !bytes.Equal(got, doc) || info.Title != "discharge letter" || info.Owner.Handle() != "alice" {
		t.Fatalf("clinician read %d bytes titled %q of %q", len(got), info.Title, info.Owner.Handle())
	}

	if err := w.patient.Revoke(ctx, d.RecordID, "dr-jones"); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	if _, _, err := get(t, w.clinician, d.RecordID); !errors.Is(err, sdk.ErrRevoked) {
		t.Fatalf("clinician Get after revoke: %v, want ErrRevoked", err)
	}
	if list, err = w.clinician.List(ctx); err != nil || len(list) != 1 {
		t.Fatalf("clinician List after revoke: %d records, %v", len(list), err)
	}

	// The patient's own view: both records, and a new version after the revoke.
	if _, err := w.patient.Put(ctx, bytes.NewReader([]byte("v2")), &sdk.PutOptions{Update: d.RecordID, Title: "letter v2"}); err != nil {
		t.Fatalf("Put update: %v", err)
	}
	got, info, err = get(t, w.patient, d.RecordID)
	if err != nil || string(got) != "v2" || info.Version != 2 || info.Epoch != 2 {
		t.Fatalf("patient Get = %q v%d epoch %d, %v", got, info.Version, info.Epoch, err)
	}
	if err := w.patient.Delete(ctx, o.RecordID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, _, err := get(t, w.clinician, o.RecordID); !errors.Is(err, sdk.ErrDeleted) {
		t.Fatalf("clinician Get of a deleted record: %v, want ErrDeleted", err)
	}
	mine, err := w.patient.List(ctx)
	if err != nil || len(mine) != 1 {
		t.Fatalf("patient List = %d records, %v", len(mine), err)
	}
}

func TestClient_LoginOnNewDevice(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	rec := put(t, w.patient, []byte("blood pressure 120/80"), "bp")
	if _, err := w.patient.Share(ctx, rec.RecordID, "dr-jones", nil); err != nil {
		t.Fatal(err)
	}

	wrong := newClient(t, w.srv, nil)
	if _, err := wrong.Login(ctx, &sdk.LoginOptions{Handle: "alice", Passphrase: []byte("not the passphrase at all 9")}); !errors.Is(err, sdk.ErrWrongPassphrase) {
		t.Fatalf("Login with a wrong passphrase: %v, want ErrWrongPassphrase", err)
	}

	dir := sdk.DirStorage(t.TempDir())
	laptop := newClient(t, w.srv, dir)
	if _, err := laptop.Login(ctx, &sdk.LoginOptions{Handle: "alice", Passphrase: []byte(patientPass)}); err != nil {
		t.Fatalf("Login: %v", err)
	}
	got, _, err := get(t, laptop, rec.RecordID)
	if err != nil || string(got) != "blood pressure 120/80" {
		t.Fatalf("Get on the new device = %q, %v", got, err)
	}
	// The pins came with the synced profile: revoking needs dr-jones's card.
	if err := laptop.Revoke(ctx, rec.RecordID, "dr-jones"); err != nil {
		t.Fatalf("Revoke on the new device: %v", err)
	}

	// The profile directory reopens with the passphrase.
	again, err := sdk.Connect(ctx, sdk.Config{Storage: dir, Passphrase: func() ([]byte, error) { return []byte(patientPass), nil }})
	if err != nil {
		t.Fatalf("Connect to a stored profile: %v", err)
	}
	if list, err := again.List(ctx); err != nil || len(list) != 1 {
		t.Fatalf("List = %d, %v", len(list), err)
	}
}

func TestClient_RecoveryCodeAndServiceAccount(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	c := newClient(t, w.srv, nil)
	reg := register(t, c, "bob", "", "", "bob's long passphrase, 2026")
	phone := newClient(t, w.srv, nil)
	if _, err := phone.Login(ctx, &sdk.LoginOptions{Handle: "bob", RecoveryCode: reg.RecoveryCode, Passphrase: []byte("a new local passphrase 77")}); err != nil {
		t.Fatalf("Login with the recovery code: %v", err)
	}

	invite, err := w.admin.Invite(ctx, "service", 0)
	if err != nil {
		t.Fatal(err)
	}
	lab := newClient(t, w.srv, nil)
	register(t, lab, "lab-service", "service", invite, "")
	rec := put(t, lab, []byte(`{"resourceType":"Observation"}`), "lab result")
	if _, err := lab.Share(ctx, rec.RecordID, "alice", nil); err != nil {
		t.Fatalf("service Share: %v", err)
	}
	if got, _, err := get(t, w.patient, rec.RecordID); err != nil || string(got) != `{"resourceType":"Observation"}` {
		t.Fatalf("patient reads the lab result: %q, %v", got, err)
	}
}

func TestClient_WeakPassphraseRefused(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	c := newClient(t, srv, nil)
	_, err := c.Register(context.Background(), &sdk.RegisterOptions{Handle: "weak", Passphrase: []byte("password")})
	if !errors.Is(err, sdk.ErrWeakPassphrase) {
		t.Fatalf("Register with a weak passphrase: %v, want ErrWeakPassphrase", err)
	}
}

// Readers says who can read a record now, by the names this device verified,
// and follows a share and a revocation.
func TestClient_Readers(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	rec := put(t, w.patient, []byte("ECG: sinus rhythm"), "ECG")
	names := func(c *sdk.Client) string {
		t.Helper()
		rs, err := c.Readers(ctx, rec.RecordID)
		if err != nil {
			t.Fatalf("Readers: %v", err)
		}
		var out []string
		for _, r := range rs {
			name := "?" + r.KeyID[:8]
			if r.Contact != nil {
				name = r.Contact.Handle
			}
			if r.Owner {
				name += " (owner)"
			}
			out = append(out, name)
		}
		slices.Sort(out)
		return strings.Join(out, ", ")
	}
	if got := names(w.patient); got != "alice (owner)" {
		t.Errorf("readers before sharing = %q", got)
	}
	if _, err := w.patient.Share(ctx, rec.RecordID, "dr-jones", nil); err != nil {
		t.Fatal(err)
	}
	if got := names(w.patient); got != "alice (owner), dr-jones" {
		t.Errorf("readers after sharing = %q", got)
	}
	if got := names(w.clinician); !strings.Contains(got, "dr-jones") {
		t.Errorf("the clinician sees the readers as %q, want itself named", got)
	}
	if err := w.patient.Revoke(ctx, rec.RecordID, "dr-jones"); err != nil {
		t.Fatal(err)
	}
	if got := names(w.patient); got != "alice (owner)" {
		t.Errorf("readers after revoking = %q", got)
	}
}
