// Command sharing tells the patient → clinician story with the Go SDK.
//
// An organisation admin invites a clinician and attests that she is a
// clinician of the clinic. A patient trusts that admin (after comparing the
// admin's fingerprint out of band), uploads a FHIR Observation, and shares it
// with the clinician, whom her client shows as "verified clinician of ...".
// The clinician lists and reads it; the patient revokes the share, and the
// clinician's next read is refused with sdk.ErrRevoked.
//
// Everything is encrypted and signed on the client; the server only stores
// ciphertext and enforces who may fetch what.
//
// By default it runs its own in-process server in a temporary directory:
//
//	go run ./examples/sharing
//
// or against a running `blindvault serve`, with an admin invite (the
// bootstrap invite, or one from an existing admin):
//
//	go run ./examples/sharing -server https://vault.example -invite CODE
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log"
	"time"

	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server/local"
)

const org = "Example Clinic"

// observation is a FHIR R4 Observation: an HbA1c lab value.
const observation = `{"resourceType":"Observation","status":"final",
 "code":{"coding":[{"system":"http://loinc.org","code":"4548-4","display":"Hemoglobin A1c/Hemoglobin.total in Blood"}]},
 "subject":{"display":"Alice Example"},"effectiveDateTime":"2026-11-20T09:30:00Z",
 "valueQuantity":{"value":6.1,"unit":"%","system":"http://unitsofmeasure.org","code":"%"}}`

func main() {
	serverURL := flag.String("server", "", "URL of a running blindvault server (default: start one in-process)")
	invite := flag.String("invite", "", "admin invite, with -server")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := run(ctx, *serverURL, *invite); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, serverURL, adminInvite string) error {
	suffix := "" // handles must be unique on a shared server
	if serverURL == "" {
		srv, err := local.StartTemp(ctx)
		if err != nil {
			return err
		}
		defer srv.Close()
		serverURL, adminInvite = srv.URL, srv.AdminInvite
		fmt.Println("Started an in-process server at", srv.URL)
	} else {
		if adminInvite == "" {
			return fmt.Errorf("-server needs -invite with an admin invite")
		}
		suffix = "-" + randomHex(3)
	}
	adminHandle, drHandle, aliceHandle := "clinic-admin"+suffix, "dr-jones"+suffix, "alice"+suffix

	// 1. The organisation's admin. Accounts other than patients need an invite
	// for their role; the first admin uses the server's bootstrap invite.
	admin, err := connect(ctx, serverURL)
	if err != nil {
		return err
	}
	adminReg, err := admin.Register(ctx, &sdk.RegisterOptions{Handle: adminHandle, Role: "admin",
		Invite: adminInvite, Passphrase: []byte("admin passphrase for the clinic 1")})
	if err != nil {
		return fmt.Errorf("register admin: %w", err)
	}
	fmt.Printf("1. %s registered as admin, fingerprint %s\n", adminHandle, adminReg.Fingerprint)

	// 2. The admin invites a clinician, who registers with the invite; then the
	// admin attests her role for the organisation. The attestation is signed
	// by the admin and published in the admin's account chain.
	drInvite, err := admin.Invite(ctx, "clinician", time.Hour)
	if err != nil {
		return fmt.Errorf("invite: %w", err)
	}
	dr, err := connect(ctx, serverURL)
	if err != nil {
		return err
	}
	drReg, err := dr.Register(ctx, &sdk.RegisterOptions{Handle: drHandle, Role: "clinician",
		Invite: drInvite, Passphrase: []byte("tricky clinician passphrase 7")})
	if err != nil {
		return fmt.Errorf("register clinician: %w", err)
	}
	if _, err := admin.Attest(ctx, drHandle, "clinician", org, 365*24*time.Hour); err != nil {
		return fmt.Errorf("attest: %w", err)
	}
	fmt.Printf("2. %s registered as clinician (fingerprint %s); %s attested her for %q\n",
		drHandle, drReg.Fingerprint, adminHandle, org)

	// 3. The patient registers and trusts the clinic's admin for the clinic.
	// The fingerprint is what she would compare out of band (printed on a
	// poster at the clinic, read out on the phone...); here we take it from
	// the admin's registration.
	alice, err := connect(ctx, serverURL)
	if err != nil {
		return err
	}
	if _, err := alice.Register(ctx, &sdk.RegisterOptions{Handle: aliceHandle,
		Passphrase: []byte("correct horse battery staple 42")}); err != nil {
		return fmt.Errorf("register patient: %w", err)
	}
	if err := alice.TrustOrg(ctx, org, adminHandle, adminReg.Fingerprint.String()); err != nil {
		return fmt.Errorf("trust org: %w", err)
	}
	fmt.Printf("3. %s registered and trusts %s for %q\n", aliceHandle, adminHandle, org)

	// 4. She uploads the Observation: encrypted and signed on her device.
	rec, err := alice.Put(ctx, bytes.NewReader([]byte(observation)), &sdk.PutOptions{
		Title: "HbA1c 2026-11-20", Type: "Observation", Size: int64(len(observation))})
	if err != nil {
		return fmt.Errorf("put: %w", err)
	}
	fmt.Printf("4. %s stored record %s (%d bytes, %d on the server after padding)\n",
		aliceHandle, rec.RecordID.String(), rec.Length, rec.StoredBytes)

	// 5. She shares it with the clinician. Share looks her up and verifies her
	// key card first; LookupOptions.Role makes it refuse anyone without a
	// clinician attestation from an admin she trusts.
	ct, err := alice.Share(ctx, rec.RecordID, drHandle, &sdk.ShareOptions{
		LookupOptions: sdk.LookupOptions{Role: "clinician"}})
	if err != nil {
		return fmt.Errorf("share: %w", err)
	}
	fmt.Printf("5. shared with %s: %s, fingerprint %s (first use: %v)\n", ct.Handle, ct.Status(), ct.Fingerprint, ct.FirstUse)

	// 6. The clinician lists what she can read and opens the record.
	list, err := dr.List(ctx)
	if err != nil {
		return fmt.Errorf("clinician list: %w", err)
	}
	fmt.Printf("6. %s sees %d record(s):\n", drHandle, len(list))
	for _, r := range list {
		fmt.Printf("   %s %q (%s) owned by %s\n", r.RecordID.String()[:16], r.Title, r.Type, r.Owner.Handle())
	}
	var body bytes.Buffer
	info, err := dr.Get(ctx, rec.RecordID, &body)
	if err != nil {
		return fmt.Errorf("clinician get: %w", err)
	}
	fmt.Printf("   she reads %q, %d bytes, author %s (verified: %v), identical: %v\n",
		info.Title, body.Len(), info.Author.Handle(), info.AuthorVerified, body.String() == observation)

	// 7. The patient revokes. The record moves to a new epoch whose key only
	// the remaining readers get, and the server stops serving it to the
	// clinician.
	if err := alice.Revoke(ctx, rec.RecordID, drHandle); err != nil {
		return fmt.Errorf("revoke: %w", err)
	}
	fmt.Printf("7. %s revoked %s's access\n", aliceHandle, drHandle)

	// 8. The clinician's next read is refused with a typed error.
	_, err = dr.Get(ctx, rec.RecordID, &bytes.Buffer{})
	if !errors.Is(err, sdk.ErrRevoked) {
		return fmt.Errorf("clinician get after revoke: %v, want sdk.ErrRevoked", err)
	}
	fmt.Printf("8. %s is refused: %v (errors.Is(err, sdk.ErrRevoked) = true)\n", drHandle, err)
	if list, err = dr.List(ctx); err != nil {
		return fmt.Errorf("clinician list: %w", err)
	}
	fmt.Printf("   and now lists %d record(s)\n", len(list))
	fmt.Println("OK: shared, read, revoked")
	return nil
}

// connect makes a client with an in-memory profile, gone when the program
// ends; a real app would use sdk.DirStorage to keep it between runs.
func connect(ctx context.Context, url string) (*sdk.Client, error) {
	return sdk.Connect(ctx, sdk.Config{Server: url, Storage: &sdk.MemoryStorage{}})
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
