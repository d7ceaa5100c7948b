package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/secrets"
	"github.com/blindvault/blindvault/server/store"
)

// loadServerSecrets opens the server's secrets, sealed in the store under a
// keyset that the master key encrypts, creating them on first start.
func loadServerSecrets(ctx context.Context, st store.Secrets, masterKey []byte) (server.Secrets, error) {
	box, err := secrets.Open(ctx, st, masterKey)
	if err != nil {
		return server.Secrets{}, err
	}
	s, err := secrets.LoadOrCreate(ctx, st, box)
	if err != nil {
		return server.Secrets{}, err
	}
	return server.Secrets{OPRFSeed: s.OPRFSeed, SessionPepper: s.SessionPepper, InvitePepper: s.InvitePepper}, nil
}

// runRotateMasterKey re-encrypts the server's keyset under a new master key. The
// server must be stopped (bbolt allows one process; with PostgreSQL, every
// server over the store, which would go on with the old key).
func runRotateMasterKey(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("rotate-master-key", flag.ContinueOnError)
	data := fs.String("data", "", "the server's data `directory`")
	storeURL := fs.String("store", "", "the store's `URL` when it is not bbolt in DATA: postgres://… (default: $"+storeEnv+")")
	oldFile := fs.String("master-key-file", "", "the current master key `file` (default: $BLINDVAULT_MASTER_KEY, or DATA.master-key)")
	newFile := fs.String("new-master-key-file", "", "`file` to create with the new master key (mode 0600)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || *data == "" || *newFile == "" {
		return usagef("usage: blindvault rotate-master-key --data DIR [--store URL] [--master-key-file OLD] --new-master-key-file NEW")
	}
	oldPath, _ := masterKeyFile(*data, *oldFile)
	oldKey, err := secrets.LoadMasterKey(oldPath, nil)
	if err != nil {
		return err
	}
	if err := secrets.GenerateMasterKey(*newFile); err != nil {
		return err
	}
	newKey, err := secrets.LoadMasterKey(*newFile, nil)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, serveConfig{data: *data, store: *storeURL})
	if err != nil {
		os.Remove(*newFile)
		return err
	}
	defer st.Close()
	if err := secrets.RotateMasterKey(ctx, st, oldKey, newKey); err != nil {
		os.Remove(*newFile)
		return errors.Join(errors.New("rotation failed; the old key is still in use"), err)
	}
	fmt.Fprintf(s.err, "The keyset is now encrypted under %s. Start the server with --master-key-file %s and destroy the old key.\n", *newFile, *newFile)
	return nil
}
