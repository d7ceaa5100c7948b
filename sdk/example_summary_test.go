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

// A printable summary of a patient's records, as export --pdf writes it.
func ExampleClient_ExportSummary() {
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
	text := "Allergic to penicillin."
	if _, err := patient.Put(ctx, strings.NewReader(text), &sdk.PutOptions{Title: "allergies", Size: int64(len(text))}); err != nil {
		fmt.Println(err)
		return
	}
	var pdf bytes.Buffer
	n, err := patient.ExportSummary(ctx, &pdf)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(n, "record;", string(pdf.Bytes()[:5]))
	// Output: 1 record; %PDF-
}
