package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/blindvault/blindvault/internal/auditlog"
	"github.com/blindvault/blindvault/server/witness"
)

// runWitness runs a transparency-log witness: a small service that cosigns a
// Blindvault log's checkpoints only after checking that each extends the last
// one it cosigned.
func runWitness(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("witness", flag.ContinueOnError)
	data := fs.String("data", "", "state `directory`: the witness key and the last checkpoint cosigned")
	addr := fs.String("addr", "127.0.0.1:8444", "listen `address` HOST:PORT (plain HTTP: loopback only, or behind a TLS proxy)")
	name := fs.String("name", "", "the witness's `name` (default: its address)")
	logKey := fs.String("log-key", "", "the log's verifier `key`, as `blindvault serve` prints it")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || *data == "" || *logKey == "" {
		return usagef("usage: blindvault witness --data DIR --log-key KEY [--addr HOST:PORT] [--name NAME]")
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	if ap, ok := ln.Addr().(*net.TCPAddr); !ok || !ap.IP.IsLoopback() {
		return usagef("--addr %s: the witness serves plain HTTP, so only on a loopback address (put a TLS proxy in front)", *addr)
	}
	if *name == "" {
		*name = ln.Addr().String() + "/witness"
	}
	if err := os.MkdirAll(*data, 0o700); err != nil {
		return err
	}
	priv, err := loadWitnessKey(filepath.Join(*data, "witness-key"))
	if err != nil {
		return err
	}
	origin, err := logOriginOf(*logKey)
	if err != nil {
		return err
	}
	cosigner := auditlog.NewCosigner(*name, priv)
	w, err := witness.New(origin, *logKey, cosigner, filepath.Join(*data, "checkpoint"))
	if err != nil {
		return err
	}
	fmt.Fprintf(s.err, "Witness key (clients require it with --witness http://%s=KEY): %s\n", ln.Addr(), cosigner.VerifierKey())
	fmt.Fprintf(s.err, "Witnessing %s from size %d, listening on http://%s\n", origin, w.Size(), ln.Addr())
	hs := &http.Server{Handler: w.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return hs.Shutdown(sctx)
}

// logOriginOf returns the name of a note verifier key: the log's origin.
func logOriginOf(vkey string) (string, error) {
	origin, _, ok := strings.Cut(vkey, "+")
	if !ok {
		return "", usagef("--log-key %q is not a verifier key", vkey)
	}
	return origin, nil
}

// loadWitnessKey reads the witness's Ed25519 seed, or makes one (mode 0600).
func loadWitnessKey(path string) (ed25519.PrivateKey, error) {
	seed, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		seed = make([]byte, ed25519.SeedSize)
		rand.Read(seed)
		if err := writeNewFile(path, seed, 0o600); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%s: not a witness key", path)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}
