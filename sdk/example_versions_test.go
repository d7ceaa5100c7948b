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
