package secrets_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/blindvault/blindvault/server/secrets"
	"github.com/blindvault/blindvault/server/store/bolt"
)

func Example() {
	dir, err := os.MkdirTemp("", "blindvault-secrets")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	// First start: a master key file outside the data, a store, the keyset.
	keyFile := filepath.Join(dir, "master.key")
	if err := secrets.GenerateMasterKey(keyFile); err != nil {
		log.Fatal(err)
	}
	mk, err := secrets.LoadMasterKey(keyFile, nil)
	if err != nil {
		log.Fatal(err)
	}
	st, err := bolt.Open(filepath.Join(dir, "store.db"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	box, err := secrets.Open(ctx, st, mk)
	if err != nil {
		log.Fatal(err)
	}
	sec, err := secrets.LoadOrCreate(ctx, st, box)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("OPRF seed bytes:", len(sec.OPRFSeed))

	// Rotating the master key leaves the secrets as they were.
	newKey := make([]byte, secrets.MasterKeySize)
	copy(newKey, "a new master key, 32 bytes long!")
	if err := secrets.RotateMasterKey(ctx, st, mk, newKey); err != nil {
		log.Fatal(err)
	}
	_, err = secrets.Open(ctx, st, mk)
	fmt.Println("old key:", err)
	box, err = secrets.Open(ctx, st, newKey)
	if err != nil {
		log.Fatal(err)
	}
	again, err := secrets.LoadOrCreate(ctx, st, box)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("same seed:", string(again.OPRFSeed) == string(sec.OPRFSeed))
	// Output:
	// OPRF seed bytes: 32
	// old key: secrets: the master key does not open the stored keyset (wrong master key, or the keyset was altered)
	// same seed: true
}

func ExampleBox_Seal() {
	dir, err := os.MkdirTemp("", "blindvault-secrets")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	st, err := bolt.Open(filepath.Join(dir, "store.db"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	masterKey := make([]byte, secrets.MasterKeySize) // in real use: LoadMasterKey
	box, err := secrets.Open(context.Background(), st, masterKey)
	if err != nil {
		log.Fatal(err)
	}

	// A per-account secret is bound to its bucket, key and account.
	account := make([]byte, 32)
	sealed, err := box.Seal("escrow", "org-key", account, []byte("per-account secret"))
	if err != nil {
		log.Fatal(err)
	}
	v, err := box.Open("escrow", "org-key", account, sealed)
	fmt.Printf("%s %v\n", v, err)
	_, err = box.Open("escrow", "other-key", account, sealed)
	fmt.Println(err)
	// Output:
	// per-account secret <nil>
	// open escrow/other-key: secrets: sealed value does not open (wrong name or account, other keyset, or altered)
}
