package sdk_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/blindvault/blindvault/sdk"
)

func Example() {
	ctx := context.Background()
	alice, _ := sdk.NewIdentity("alice")
	bob, _ := sdk.NewIdentity("dr-bob")

	var file bytes.Buffer
	err := sdk.Encrypt(ctx, &file, strings.NewReader(`{"resourceType":"Observation"}`),
		alice, []*sdk.KeyCard{bob.Card()}, &sdk.EncryptOptions{Type: "Observation"})
	if err != nil {
		fmt.Println(err)
		return
	}

	var plain bytes.Buffer
	info, err := sdk.Decrypt(ctx, &plain, &file, bob, &sdk.DecryptOptions{Signer: alice.Card()})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(plain.String())
	fmt.Println(info.Type, info.AuthorVerified)
	// Output:
	// {"resourceType":"Observation"}
	// Observation true
}

func ExampleInspect() {
	alice, _ := sdk.NewIdentity("alice")
	var file bytes.Buffer
	_ = sdk.Encrypt(context.Background(), &file, strings.NewReader("hello"), alice, nil, nil)
	fi, _ := sdk.Inspect(&file)
	fmt.Println(fi.Author.Handle, fi.Body.CiphertextBytes, len(fi.Readers))
	// Output: alice 4168 1
}

func ExampleNewIdentity() {
	id, err := sdk.NewIdentity("alice")
	if err != nil {
		fmt.Println(err)
		return
	}
	// Share the card; keep the identity, protected by a passphrase.
	card, _ := id.Card().MarshalText()
	keyFile, _ := id.MarshalProtected([]byte("correct horse battery staple"))
	fmt.Println(id.Card().Handle(), strings.HasPrefix(string(card), "-----BEGIN BLINDVAULT KEY CARD-----"),
		sdk.IdentityIsProtected(keyFile))
	// Output: alice true true
}

func ExampleParseKeyCard() {
	id, _ := sdk.NewIdentity("dr-bob")
	text, _ := id.Card().MarshalText()
	card, err := sdk.ParseKeyCard(text) // verifies the self-signature
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(card.Handle(), card.Fingerprint() == id.Card().Fingerprint())
	// Output: dr-bob true
}

func ExampleParseIdentity() {
	id, _ := sdk.NewIdentity("alice")
	pass := []byte("correct horse battery staple")
	keyFile, _ := id.MarshalProtected(pass)
	back, err := sdk.ParseIdentity(keyFile, func() ([]byte, error) { return pass, nil })
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(back.Card().Fingerprint() == id.Card().Fingerprint())
	// Output: true
}
