package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/blindvault/blindvault/sdk"
)

// observation is the demo's FHIR resource: a blood-pressure reading.
const observation = `{"resourceType":"Observation","status":"final",
 "code":{"coding":[{"system":"http://loinc.org","code":"85354-9","display":"Blood pressure panel"}]},
 "subject":{"display":"Alice Example"},"effectiveDateTime":"2026-11-20T09:30:00Z",
 "component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":128,"unit":"mmHg"}},
              {"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},"valueQuantity":{"value":82,"unit":"mmHg"}}]}`

// runDemo tells the offline story: two people, encrypt, decrypt, a stranger and a
// tampered file refused. Every step runs the real SDK.
func runDemo(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	say := func(format string, a ...any) { fmt.Fprintf(s.out, format+"\n", a...) }
	say("Blindvault demo: records are encrypted and signed on the author's device;")
	say("only the people they are shared with can read them.\n")

	alice, err := sdk.NewIdentity("alice")
	if err != nil {
		return err
	}
	bob, err := sdk.NewIdentity("dr-bob")
	if err != nil {
		return err
	}
	mallory, err := sdk.NewIdentity("mallory")
	if err != nil {
		return err
	}
	say("1. Alice (a patient) and Dr Bob (her clinician) each create an identity:")
	say("   alice   %s", alice.Card().Fingerprint())
	say("   dr-bob  %s", bob.Card().Fingerprint())
	say("   Ed25519 for signatures, X-Wing (X25519 + ML-KEM-768) for encryption.\n")

	var file bytes.Buffer
	err = sdk.Encrypt(ctx, &file, bytes.NewReader([]byte(observation)), alice, []*sdk.KeyCard{bob.Card()},
		&sdk.EncryptOptions{Title: "Blood pressure, 20 Nov", Type: "Observation"})
	if err != nil {
		return err
	}
	say("2. Alice encrypts her blood-pressure Observation (%d bytes of FHIR JSON) to Dr Bob.", len(observation))
	info, err := sdk.Inspect(bytes.NewReader(file.Bytes()))
	if err != nil {
		return err
	}
	view, _ := json.Marshal(struct {
		Readers int    `json:"readers"`
		Body    uint64 `json:"padded_body_bytes"`
		Meta    int    `json:"sealed_metadata_bytes"`
		Author  string `json:"author"`
	}{len(info.Readers), info.Body.CiphertextBytes, info.SealedMetaBytes, info.Author.Handle})
	say("   What anyone holding the %d-byte file sees without a key: %s", file.Len(), view)
	say("   Plaintext visible in the file: %v; title visible: %v\n",
		bytes.Contains(file.Bytes(), []byte("Blood pressure")), bytes.Contains(file.Bytes(), []byte("20 Nov")))

	var got bytes.Buffer
	dinfo, err := sdk.Decrypt(ctx, &got, bytes.NewReader(file.Bytes()), bob, &sdk.DecryptOptions{Signer: alice.Card()})
	if err != nil {
		return fmt.Errorf("dr-bob could not decrypt: %w", err)
	}
	if got.String() != observation {
		return fmt.Errorf("decrypted content differs from the original")
	}
	say("3. Dr Bob decrypts, requiring Alice as the signer:")
	say("   verified author %s, title %q, type %s, %d bytes, identical to the original.\n",
		dinfo.Author.Handle(), dinfo.Title, dinfo.Type, dinfo.Length)

	_, err = sdk.Decrypt(ctx, io.Discard, bytes.NewReader(file.Bytes()), mallory, nil)
	if err == nil {
		return fmt.Errorf("mallory decrypted a record not shared with her")
	}
	say("4. Mallory, who was not given the record, tries to decrypt it:\n   refused: %v\n", err)

	tampered := bytes.Clone(file.Bytes())
	tampered[len(tampered)-100] ^= 0x01
	var leaked bytes.Buffer
	_, err = sdk.Decrypt(ctx, &leaked, bytes.NewReader(tampered), bob, &sdk.DecryptOptions{Signer: alice.Card()})
	if err == nil {
		return fmt.Errorf("a tampered file was accepted")
	}
	say("5. One bit of the file is flipped in transit; Dr Bob's decrypt refuses it:\n   refused: %v", err)
	say("   Bytes of plaintext released to Dr Bob: %d.\n", leaked.Len())

	_, err = sdk.Decrypt(ctx, io.Discard, bytes.NewReader(file.Bytes()), bob, &sdk.DecryptOptions{Signer: mallory.Card()})
	if err == nil {
		return fmt.Errorf("a record was accepted from the wrong signer")
	}
	say("6. Had Dr Bob expected the record from someone else, it would be refused too:\n   refused: %v\n", err)
	say("Done. Try it with files: blindvault keygen, pubkey, encrypt, decrypt, inspect.")
	return nil
}
