//go:build !js

package sdk_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/internal/grant"
	"github.com/blindvault/blindvault/internal/keyfile"
	"github.com/blindvault/blindvault/internal/record"
	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/servertest"
	"github.com/blindvault/blindvault/server/store"
)

// identityKeys returns the identity signing key and X-Wing seed of the account
// whose profile keys are in storage. The keys file (sdk/profile.go) holds u8
// version ‖ [32] device seed ‖ u16<identity>, the identity (sdk/identity.go)
// u8 version ‖ u16 suite ‖ [32] Ed25519 seed ‖ [32] X-Wing seed ‖ ….
func identityKeys(t testing.TB, storage sdk.Storage, pass string) (ed25519.PrivateKey, []byte) {
	t.Helper()
	text, err := storage.Load(t.Context(), "keys")
	if err != nil {
		t.Fatal(err)
	}
	secret, err := keyfile.Decode(text, func() ([]byte, error) { return []byte(pass), nil })
	if err != nil {
		t.Fatal(err)
	}
	s := cryptobyte.String(secret)
	var id cryptobyte.String
	var edSeed, xSeed []byte
	if !s.Skip(1+32) || !s.ReadUint16LengthPrefixed(&id) || !id.Skip(1+2) ||
		!id.ReadBytes(&edSeed, ed25519.SeedSize) || !id.ReadBytes(&xSeed, 32) {
		t.Fatal("the profile keys do not parse")
	}
	return ed25519.NewKeyFromSeed(edSeed), xSeed
}

// A write delegate writes; once revoked, a version it signs against the ACL
// that still gave it write is refused, even if the server stores it.
func TestDelegate_WriteThenStaleACLRefused(t *testing.T) {
	ctx := t.Context()
	srv := servertest.Start(t, server.Config{})
	jonesStore := &sdk.MemoryStorage{}
	w := setUpWorld(t, srv, func(handle string) *sdk.Client {
		if handle == "dr-jones" {
			return newClient(t, srv, jonesStore)
		}
		return newClient(t, srv, nil)
	})
	rec := put(t, w.patient, []byte("lab results: pending"), "labs")
	if _, err := w.patient.Share(ctx, rec.RecordID, "dr-jones", &sdk.ShareOptions{Write: true}); err != nil {
		t.Fatal(err)
	}
	// The delegate's first write after the share is readable by the owner.
	if _, err := w.clinician.Put(ctx, bytes.NewReader([]byte("potassium 4.2")), &sdk.PutOptions{Update: rec.RecordID, Title: "labs"}); err != nil {
		t.Fatalf("delegate Put: %v", err)
	}
	got, info, err := get(t, w.patient, rec.RecordID)
	if err != nil || string(got) != "potassium 4.2" || info.Author.Handle() != "dr-jones" {
		t.Fatalf("owner reads the delegate's write: %q by %v, %v", got, info, err)
	}

	// What the delegate holds before the revocation: the ACL giving it write
	// and the epoch key.
	id := store.RecordID(rec.RecordID)
	stale, err := srv.Store.ACL(ctx, id, 2)
	if err != nil {
		t.Fatal(err)
	}
	staleACL, err := format.ParseACL(stale.Signed)
	if err != nil {
		t.Fatal(err)
	}
	sign, xSeed := identityKeys(t, jonesStore, clinicianPass)
	gs, err := srv.Store.GrantsFor(ctx, id, store.AccountID(w.clinician.AccountID()))
	if err != nil || len(gs) == 0 {
		t.Fatalf("dr-jones's grants: %d, %v", len(gs), err)
	}
	g, err := format.ParseGrant(gs[0].Signed)
	if err != nil {
		t.Fatal(err)
	}
	epochKey, err := grant.Open(xSeed, g.RecordID, g.Epoch, g.Enc, g.CT)
	if err != nil {
		t.Fatal(err)
	}

	if err := w.patient.Revoke(ctx, rec.RecordID, "dr-jones"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.patient.Put(ctx, bytes.NewReader([]byte("reviewed")), &sdk.PutOptions{Update: rec.RecordID}); err != nil {
		t.Fatal(err)
	}
	head, err := srv.Store.Head(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	// The revoked delegate signs version 4 against ACL 2, and a malicious
	// server stores it without the checks the real one makes.
	var body, leaves bytes.Buffer
	h, err := record.Seal(ctx, &record.SealParams{RecordID: rec.RecordID, Owner: w.patient.AccountID(), Version: head.Version + 1,
		PrevHeaderHash: head.HeaderHash, ACL: staleACL, EpochKey: epochKey, Author: w.clinician.AccountID(), Signer: sign,
		Meta: record.Meta{Title: "labs", Created: time.Now(), Modified: time.Now()}}, bytes.NewReader([]byte("forged")), &body, &leaves)
	if err != nil {
		t.Fatal(err)
	}
	err = srv.Store.PutVersion(ctx, store.VersionWrite{Record: id, Owner: store.AccountID(h.Owner), Author: store.AccountID(h.Author),
		Version: h.Version, PrevHash: store.Hash(h.PrevHeaderHash), HeaderHash: store.Hash(h.Hash()), Header: h.Marshal(),
		Leaves: leaves.Bytes(), BodySize: int64(body.Len()), Created: time.Now()}, &body)
	if err != nil {
		t.Fatal(err)
	}
	plain, _, err := get(t, w.patient, rec.RecordID)
	if !errors.Is(err, sdk.CheckWriteAuthority) || len(plain) != 0 {
		t.Fatalf("owner reads a revoked delegate's stale-ACL write: %d bytes, %v; want CheckWriteAuthority", len(plain), err)
	}
}
