// Command jointcredential shows a credential that opens only when a customer
// and a platform cooperate: a 2-of-2 threshold key (docs/spec/threshold-v1.md).
//
// An integration platform calls a customer's EHR API with a credential the
// customer issued. Neither the platform alone, nor the customer's staff
// alone, nor the server should be able to open it. A one-off vault identity,
// created by the customer's onboarding tool, sets up a threshold key whose
// secret is split between the customer and the platform's service account,
// stores the credential and shares it with that key, then is forgotten: no
// one keeps its keys. To use the credential, the platform asks; the platform
// and the customer each approve by re-sealing their share to the platform;
// the platform's client recovers the key, checks it against the set-up, and
// opens the credential.
//
//	go run ./examples/jointcredential
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server/local"
)

const credential = "client_id=acme-ehr&client_secret=9f2c6c1e4b7a" // the secret to guard

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := run(ctx); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context) error {
	srv, err := local.StartTemp(ctx)
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Println("Started an in-process server at", srv.URL)

	// The platform's admin invites its service account.
	admin, err := connect(ctx, srv.URL)
	if err != nil {
		return err
	}
	if _, err := admin.Register(ctx, &sdk.RegisterOptions{Handle: "admin", Role: "admin",
		Invite: srv.AdminInvite, Passphrase: []byte("admin passphrase for the platform 1")}); err != nil {
		return fmt.Errorf("register admin: %w", err)
	}
	invite, err := admin.Invite(ctx, "service", time.Hour)
	if err != nil {
		return fmt.Errorf("invite: %w", err)
	}
	platform, err := connect(ctx, srv.URL)
	if err != nil {
		return err
	}
	if _, err := platform.Register(ctx, &sdk.RegisterOptions{Handle: "platform", Role: "service", Invite: invite}); err != nil {
		return fmt.Errorf("register platform: %w", err)
	}
	customer, err := connect(ctx, srv.URL)
	if err != nil {
		return err
	}
	if _, err := customer.Register(ctx, &sdk.RegisterOptions{Handle: "acme-it",
		Passphrase: []byte("acme it department passphrase 55")}); err != nil {
		return fmt.Errorf("register customer: %w", err)
	}
	fmt.Println("platform (service account) and acme-it (the customer) registered")

	// The customer's onboarding tool: a vault identity with a random
	// passphrase nobody keeps, which sets up the 2-of-2 key, stores the
	// credential, shares it with the key, and is then forgotten.
	id, err := storeJointly(ctx, srv.URL)
	if err != nil {
		return err
	}
	fmt.Printf("credential %s stored under a 2-of-2 key of acme-it and platform; its writer is gone\n", id.String()[:16])

	// The platform asks and approves: one share is not enough.
	req, err := platform.RequestThreshold(ctx, "acme-vault")
	if err != nil {
		return fmt.Errorf("request: %w", err)
	}
	if _, err := platform.ApproveEmergency(ctx, req.ID); err != nil {
		return fmt.Errorf("platform approves: %w", err)
	}
	if _, err := platform.OpenEmergency(ctx, req.ID); !errors.Is(err, sdk.ErrForbidden) {
		return fmt.Errorf("the platform opened alone: %v", err)
	}
	var sink bytes.Buffer
	_, err = platform.Get(ctx, id, &sink)
	fmt.Printf("platform alone: errors.Is(err, sdk.ErrNotFound) = %v\n", errors.Is(err, sdk.ErrNotFound))

	// The customer approves the platform's request (it sees it in its
	// EmergencyStatus and Alerts); now the platform opens.
	if _, err := customer.ApproveEmergency(ctx, req.ID); err != nil {
		return fmt.Errorf("customer approves: %w", err)
	}
	if _, err := platform.OpenEmergency(ctx, req.ID); err != nil {
		return fmt.Errorf("open: %w", err)
	}
	var got bytes.Buffer
	if _, err := platform.Get(ctx, id, &got); err != nil {
		return fmt.Errorf("platform get: %w", err)
	}
	if got.String() != credential {
		return fmt.Errorf("the credential read back differs")
	}
	fmt.Println("platform with acme-it's approval reads the credential:", len(got.String()), "bytes")
	fmt.Println("OK: the credential opens only with both shares; the server holds ciphertext and sealed shares")
	return nil
}

// storeJointly is the customer's onboarding tool: a one-off identity (random
// passphrase, recovery code dropped) that owns the credential record.
func storeJointly(ctx context.Context, url string) (sdk.RecordID, error) {
	vault, err := connect(ctx, url)
	if err != nil {
		return sdk.RecordID{}, err
	}
	pass := make([]byte, 24)
	rand.Read(pass)
	if _, err := vault.Register(ctx, &sdk.RegisterOptions{Handle: "acme-vault",
		Passphrase: []byte(hex.EncodeToString(pass))}); err != nil {
		return sdk.RecordID{}, fmt.Errorf("register vault: %w", err)
	}
	defer vault.Logout(context.WithoutCancel(ctx))
	key, err := vault.SetUpThreshold(ctx, []string{"acme-it", "platform"}, 2)
	if err != nil {
		return sdk.RecordID{}, fmt.Errorf("set up: %w", err)
	}
	rec, err := vault.Put(ctx, bytes.NewReader([]byte(credential)), &sdk.PutOptions{
		Title: "EHR API credential", Type: "text/plain", Size: int64(len(credential))})
	if err != nil {
		return sdk.RecordID{}, fmt.Errorf("put: %w", err)
	}
	if err := vault.ShareWithThreshold(ctx, rec.RecordID, key.ID); err != nil {
		return sdk.RecordID{}, fmt.Errorf("share: %w", err)
	}
	return rec.RecordID, nil
}

// connect makes a client with an in-memory profile, gone when the program ends.
func connect(ctx context.Context, url string) (*sdk.Client, error) {
	return sdk.Connect(ctx, sdk.Config{Server: url, Storage: &sdk.MemoryStorage{}})
}
