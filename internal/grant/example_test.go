package grant_test

import (
	"bytes"
	"fmt"

	"github.com/blindvault/blindvault/internal/grant"
)

func ExampleSeal() {
	seed, pk, err := grant.GenerateXWing() // the recipient keeps seed
	if err != nil {
		fmt.Println(err)
		return
	}
	recordID := [32]byte{0x7e}
	epochKey := bytes.Repeat([]byte{0xee}, 32)

	enc, ct, err := grant.Seal(pk, recordID, 1, epochKey)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(enc), len(ct))

	key, err := grant.Open(seed, recordID, 1, enc, ct)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(bytes.Equal(key, epochKey))

	_, err = grant.Open(seed, recordID, 2, enc, ct) // another epoch
	fmt.Println(err != nil)
	// Output:
	// 1120 48
	// true
	// true
}

func ExampleXWingPublic() {
	pk, err := grant.XWingPublic(bytes.Repeat([]byte{3}, 32))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(pk))
	// Output:
	// 1216
}
