//go:build !js

package sdk_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server/local"
)

// The online client against a server of its own (a complete server on a
// loopback port, over a bbolt file in a temporary directory): a patient and a
// clinician register, the patient stores a record and shares it, and the
// clinician reads it. Every answer of the server is verified on the way.
func ExampleClient() {
	ctx := context.Background()
	srv, err := local.StartTemp(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	if err := shareAndRead(ctx, srv.URL, srv.AdminInvite); err != nil {
		fmt.Println(err)
	}
	// Output:
	// shared with dr-jones - unattested
	// HbA1c by alice: {"resourceType":"Observation","code":{"text":"HbA1c"}}
}

func shareAndRead(ctx context.Context, server, adminInvite string) error {
	connect := func() (*sdk.Client, error) {
		return sdk.Connect(ctx, sdk.Config{Server: server, Storage: &sdk.MemoryStorage{}})
	}
	admin, err := connect()
	if err != nil {
		return err
	}
	if _, err := admin.Register(ctx, &sdk.RegisterOptions{Handle: "admin", Role: "admin", Invite: adminInvite,
		Passphrase: []byte("the clinic admin's long passphrase")}); err != nil {
		return err
	}
	invite, err := admin.Invite(ctx, "clinician", 0)
	if err != nil {
		return err
	}
	clinician, err := connect()
	if err != nil {
		return err
	}
	if _, err := clinician.Register(ctx, &sdk.RegisterOptions{Handle: "dr-jones", Role: "clinician", Invite: invite,
		Passphrase: []byte("dr jones keeps this one secret")}); err != nil {
		return err
	}
	patient, err := connect()
	if err != nil {
		return err
	}
	if _, err := patient.Register(ctx, &sdk.RegisterOptions{Handle: "alice",
		Passphrase: []byte("correct horse battery staple 42")}); err != nil {
		return err
	}

	body := `{"resourceType":"Observation","code":{"text":"HbA1c"}}`
	info, err := patient.Put(ctx, strings.NewReader(body), &sdk.PutOptions{Title: "HbA1c", Type: "Observation",
		Size: int64(len(body))})
	if err != nil {
		return err
	}
	reader, err := patient.Share(ctx, info.RecordID, "dr-jones", nil)
	if err != nil {
		return err
	}
	fmt.Println("shared with", reader.Handle, "-", reader.Status())

	var got bytes.Buffer
	read, err := clinician.Get(ctx, info.RecordID, &got)
	if err != nil {
		return err
	}
	fmt.Println(read.Title, "by", read.Owner.Handle()+":", got.String())
	return nil
}

// A record's versions, newest first, and an earlier one read back as it was.
func ExampleClient_Versions() {
	ctx := context.Background()
	srv, err := local.StartTemp(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	patient, err := sdk.Connect(ctx, sdk.Config{Server: srv.URL, Storage: &sdk.MemoryStorage{}})
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := patient.Register(ctx, &sdk.RegisterOptions{Handle: "alice", Passphrase: []byte("correct horse battery staple 42")}); err != nil {
		fmt.Println(err)
		return
	}
	var id sdk.RecordID
	for _, text := range []string{"Allergic to penicillin.", "Allergic to amoxicillin."} {
		info, err := patient.Put(ctx, strings.NewReader(text), &sdk.PutOptions{Title: "allergies", Update: id, Size: int64(len(text))})
		if err != nil {
			fmt.Println(err)
			return
		}
		id = info.RecordID
	}
	versions, err := patient.Versions(ctx, id)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, v := range versions {
		fmt.Println("version", v.Version, "by", v.Author.Handle())
	}
	var first bytes.Buffer
	if _, err := patient.GetVersion(ctx, id, 1, &first); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(first.String())
	// Output:
	// version 2 by alice
	// version 1 by alice
	// Allergic to penicillin.
}
