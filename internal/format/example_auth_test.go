package format_test

import (
	"bytes"
	"crypto/ed25519"
	"fmt"

	"github.com/blindvault/blindvault/internal/format"
)

// A device answers a server's challenge with a signed auth object; the server
// parses it and verifies it under the device key it knows for the account.
func ExampleParseAuth() {
	device := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{4}, 32))
	a := &format.Auth{
		Origin:    "https://vault.example:8443",
		AccountID: [32]byte{0xa1},
		DevicePK:  [32]byte(device.Public().(ed25519.PublicKey)),
		Nonce:     [32]byte{0x0e}, // from POST /v1/auth/challenge
		Expiry:    1767225660,
	}
	if err := a.Sign(device); err != nil {
		fmt.Println(err)
		return
	}
	got, err := format.ParseAuth(a.Marshal())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(got.Origin, got.Verify(a.DevicePK))
	// Output: https://vault.example:8443 <nil>
}
