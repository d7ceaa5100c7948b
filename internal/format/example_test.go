package format_test

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"slices"

	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/internal/grant"
)

// Fixed keys so that the output below is stable; real identities use random ones.
var (
	aliceSign  = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32))
	aliceXWing = bytes.Repeat([]byte{2}, 32)
	bobXWing   = bytes.Repeat([]byte{3}, 32)
)

func exampleCard() *format.KeyCard {
	xpk, err := grant.XWingPublic(aliceXWing)
	if err != nil {
		fmt.Println(err)
		return nil
	}
	card := &format.KeyCard{
		AccountID: [32]byte{0xa1},
		Handle:    "alice",
		Ed25519PK: [32]byte(aliceSign.Public().(ed25519.PublicKey)),
		XWingPK:   xpk,
		Seq:       1,
		Created:   1767225600,
	}
	if err := card.Sign(aliceSign); err != nil {
		fmt.Println(err)
		return nil
	}
	return card
}

func ExampleParseKeyCard() {
	b := exampleCard().Marshal()

	card, err := format.ParseKeyCard(b) // also checks the self signature
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(card.Handle, card.Seq, len(b))
	fmt.Println(format.FormatFingerprint(card.Fingerprint()))
	// Output:
	// alice 1 1407
	// 7AWL 7BBL DVDA GF44 YHXB BHLF R5U2 2LAT
}

func ExampleParseKeyCardText() {
	text := format.MarshalKeyCardText(exampleCard())
	fmt.Printf("%s\n", bytes.SplitN(text, []byte("\n"), 2)[0])

	card, err := format.ParseKeyCardText(text)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(card.Handle)
	// Output:
	// -----BEGIN BLINDVAULT KEY CARD-----
	// alice
}

func ExampleFormatFingerprint() {
	var fp [32]byte
	copy(fp[:], "abcdefghijklmnopqrstuvwxyz012345")
	fmt.Println(format.FormatFingerprint(fp))
	// Output:
	// MFRG GZDF MZTW Q2LK NNWG 23TP OBYX E43U
}

func ExampleKeyCard_VerifySuccessor() {
	prev := exampleCard()
	newSign := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{4}, 32))
	next := *prev
	next.Ed25519PK = [32]byte(newSign.Public().(ed25519.PublicKey))
	next.Seq, next.PrevCardHash = 2, prev.Hash()
	if err := next.Sign(newSign); err != nil { // self signature by the new key
		fmt.Println(err)
		return
	}
	if err := next.Endorse(aliceSign); err != nil { // endorsement by the old key
		fmt.Println(err)
		return
	}
	fmt.Println(next.VerifySuccessor(prev))
	// Output:
	// <nil>
}

func ExampleACL_Lookup() {
	alice, _ := grant.XWingPublic(aliceXWing)
	bob, _ := grant.XWingPublic(bobXWing)
	acl := &format.ACL{
		RecordID: [32]byte{0x7e},
		Owner:    [32]byte{0xa1},
		Seq:      1,
		Epoch:    1,
		Entries: []format.ACLEntry{
			{Reader: format.KeyID(alice), Rights: format.RightsAll},
			{Reader: format.KeyID(bob), Rights: format.RightRead},
		},
	}
	// Entries must be strictly ascending by reader.
	slices.SortFunc(acl.Entries, func(a, b format.ACLEntry) int { return bytes.Compare(a.Reader[:], b.Reader[:]) })
	if err := acl.Sign(aliceSign); err != nil {
		fmt.Println(err)
		return
	}

	parsed, err := format.ParseACL(acl.Marshal())
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := parsed.Verify([32]byte(aliceSign.Public().(ed25519.PublicKey))); err != nil {
		fmt.Println(err)
		return
	}
	rights, ok := parsed.Lookup(format.KeyID(bob))
	fmt.Println(rights, ok)
	// Output:
	// read true
}

func ExampleBodyContext() {
	ctx := format.BodyContext([32]byte{0x7e}, 1, [32]byte{0xa1})
	fmt.Printf("%d %q\n", len(ctx), ctx[:18])
	// Output:
	// 90 "blindvault.v1 body"
}

func ExampleMessage() {
	fmt.Printf("%q\n", format.Message(format.KindACL.Purpose(), []byte{1, 5, 0, 1}))
	// Output:
	// "blindvault.v1 acl\x00\x01\x05\x00\x01"
}
