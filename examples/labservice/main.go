// Command labservice shows a service account writing into a patient's records.
//
// A laboratory's system is a Blindvault "service" account: it has no
// passphrase (a machine cannot type one), so its keys sit in the clear in its
// profile. Records belong to whoever created them, so the lab cannot create
// records "in" a patient's vault. Instead the patient creates a "Lab results"
// record and shares it with the lab with write delegation; the lab then writes
// the result as a new version of that record, encrypted and signed on the lab's
// side. The patient reads it and sees that the lab, not she, is the author.
//
// By default it runs its own in-process server in a temporary directory:
//
//	go run ./examples/labservice
//
// or against a running `blindvault serve`, with a service invite from its admin
// (`blindvault admin invite --role service` or Client.Invite):
//
//	go run ./examples/labservice -server https://vault.example -invite CODE
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"log"
	"time"

	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server/local"
)

// result is the lab's FHIR Observation: a potassium measurement.
const result = `{"resourceType":"Observation","status":"final",
 "code":{"coding":[{"system":"http://loinc.org","code":"2823-3","display":"Potassium [Moles/volume] in Serum or Plasma"}]},
 "subject":{"display":"Alice Example"},"effectiveDateTime":"2026-11-21T08:05:00Z",
 "valueQuantity":{"value":4.2,"unit":"mmol/L","system":"http://unitsofmeasure.org","code":"mmol/L"}}`

func main() {
	serverURL := flag.String("server", "", "URL of a running blindvault server (default: start one in-process)")
	invite := flag.String("invite", "", "service invite, with -server")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := run(ctx, *serverURL, *invite); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, serverURL, serviceInvite string) error {
	// Handles must be unique on a shared server; locally they can be plain.
	suffix := ""
	if serverURL == "" {
		srv, err := local.StartTemp(ctx)
		if err != nil {
			return err
		}
		defer srv.Close()
		serverURL = srv.URL
		fmt.Println("Started an in-process server at", srv.URL)

		// Only admins may invite service accounts: create the first admin with
		// the server's bootstrap invite and have it invite the lab.
		admin, err := connect(ctx, serverURL)
		if err != nil {
			return err
		}
		if _, err := admin.Register(ctx, &sdk.RegisterOptions{Handle: "admin", Role: "admin",
			Invite: srv.AdminInvite, Passphrase: []byte("admin passphrase for the clinic 1")}); err != nil {
			return fmt.Errorf("register admin: %w", err)
		}
		if serviceInvite, err = admin.Invite(ctx, "service", time.Hour); err != nil {
			return fmt.Errorf("invite: %w", err)
		}
		fmt.Println("admin invited a service account")
	} else {
		if serviceInvite == "" {
			return fmt.Errorf("-server needs -invite with a service invite")
		}
		suffix = "-" + randomHex(3)
	}
	labHandle, aliceHandle := "city-lab"+suffix, "alice"+suffix

	// 1. The lab registers as a service account: no passphrase. Its profile
	// (here in memory) holds its keys unencrypted; a real deployment keeps it in
	// a DirStorage readable only by the service, and stores the recovery code
	// somewhere safe: it is the only way to restore the account elsewhere.
	lab, err := connect(ctx, serverURL)
	if err != nil {
		return err
	}
	labReg, err := lab.Register(ctx, &sdk.RegisterOptions{Handle: labHandle, Role: "service", Invite: serviceInvite})
	if err != nil {
		return fmt.Errorf("register service: %w", err)
	}
	fmt.Printf("%s registered as a %s account, fingerprint %s\n", lab.Handle(), lab.Role(), labReg.Fingerprint)

	// 2. The patient registers and creates the record the lab will write into.
	alice, err := connect(ctx, serverURL)
	if err != nil {
		return err
	}
	if _, err := alice.Register(ctx, &sdk.RegisterOptions{Handle: aliceHandle,
		Passphrase: []byte("correct horse battery staple 42")}); err != nil {
		return fmt.Errorf("register patient: %w", err)
	}
	placeholder := []byte(`{"resourceType":"Bundle","type":"collection","entry":[]}`)
	rec, err := alice.Put(ctx, bytes.NewReader(placeholder), &sdk.PutOptions{
		Title: "Lab results", Type: "Bundle", Size: int64(len(placeholder))})
	if err != nil {
		return fmt.Errorf("patient put: %w", err)
	}
	fmt.Printf("%s created record %s %q (version %d)\n", alice.Handle(), rec.RecordID.String(), rec.Title, rec.Version)

	// 3. She shares it with the lab with write delegation. Share looks the lab
	// up and verifies its key card first; in real life she would compare the
	// fingerprint with one the lab published (LookupOptions.Fingerprint).
	ct, err := alice.Share(ctx, rec.RecordID, labHandle, &sdk.ShareOptions{
		LookupOptions: sdk.LookupOptions{Fingerprint: labReg.Fingerprint.String()},
		Write:         true,
	})
	if err != nil {
		return fmt.Errorf("share with write: %w", err)
	}
	fmt.Printf("%s shared it with %s (read+write), fingerprint %s, %s\n", alice.Handle(), ct.Handle, ct.Fingerprint, ct.Status())

	// 4. The lab writes the result as a new version of her record. It is
	// encrypted on the lab's side to the record's readers; the server stores
	// ciphertext and checks only that the lab holds write in the signed ACL.
	written, err := lab.Put(ctx, bytes.NewReader([]byte(result)), &sdk.PutOptions{
		Update: rec.RecordID, Title: "Potassium 2026-11-21", Type: "Observation",
		Tags: []string{"lab", "LOINC:2823-3"}, Size: int64(len(result))})
	if err != nil {
		return fmt.Errorf("service writes version 2 (write delegation): %w", err)
	}
	fmt.Printf("%s wrote version %d of %s\n", lab.Handle(), written.Version, written.RecordID.String())

	// 5. The patient reads her record: the newest version is the lab's.
	var body bytes.Buffer
	info, err := alice.Get(ctx, rec.RecordID, &body)
	if err != nil {
		return fmt.Errorf("patient get: %w", err)
	}
	fmt.Printf("%s reads version %d %q (%s), owner %s, author %s (verified: %v)\n",
		alice.Handle(), info.Version, info.Title, info.Type, info.Owner.Handle(), info.Author.Handle(), info.AuthorVerified)
	fmt.Printf("  %s\n", bytes.Join(bytes.Fields(body.Bytes()), []byte(" ")))
	if info.Author.Handle() != labHandle || body.String() != result {
		return fmt.Errorf("unexpected author %q or content", info.Author.Handle())
	}
	fmt.Println("OK: the lab result is in the patient's record, written and signed by the lab service")
	return nil
}

// connect makes a client with an in-memory profile, gone when the program ends.
func connect(ctx context.Context, url string) (*sdk.Client, error) {
	return sdk.Connect(ctx, sdk.Config{Server: url, Storage: &sdk.MemoryStorage{}})
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
