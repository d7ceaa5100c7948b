//go:build !js

package sdk_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server/local"
)

// A patient moves to another server: the record keeps its signed versions,
// and the old server shows where it went.
func ExampleClient_Transfer() {
	ctx := context.Background()
	var urls []string
	for range 2 {
		srv, err := local.StartTemp(ctx)
		if err != nil {
			fmt.Println(err)
			return
		}
		defer srv.Close()
		urls = append(urls, srv.URL)
	}
	pass := []byte("correct horse battery staple 42")
	alice, err := sdk.Connect(ctx, sdk.Config{Server: urls[0]})
	if err == nil {
		_, err = alice.Register(ctx, &sdk.RegisterOptions{Handle: "alice", Passphrase: pass})
	}
	if err == nil {
		_, err = alice.Put(ctx, strings.NewReader("blood pressure 120/80"), &sdk.PutOptions{Title: "bp"})
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	moved, report, err := alice.Transfer(ctx, &sdk.TransferOptions{To: sdk.Config{Server: urls[1]}, Passphrase: pass})
	if err != nil {
		fmt.Println(err)
		return
	}
	list, err := moved.List(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	to, err := alice.MovedTo(ctx, alice.AccountID())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(report.Records, "record,", report.Versions, "version moved; on the new server:", list[0].Title)
	fmt.Println("the old server points to the new one:", to == urls[1])
	// Output:
	// 1 record, 1 version moved; on the new server: bp
	// the old server points to the new one: true
}
