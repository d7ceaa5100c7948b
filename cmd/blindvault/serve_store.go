package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/server/store/blob/s3blob"
	"github.com/blindvault/blindvault/server/store/bolt"
	"github.com/blindvault/blindvault/server/store/postgres"
)

// Environment variables that stand for the backend flags, so that a database
// password need not be on a command line.
const (
	storeEnv = "BLINDVAULT_STORE"
	blobsEnv = "BLINDVAULT_BLOBS"
)

// envDefault returns flag, or the environment variable if flag is empty.
func envDefault(flag, env string) string {
	if flag != "" {
		return flag
	}
	return os.Getenv(env)
}

// openStore opens the backend the flags name: bbolt in DATA/blindvault.db
// by default, or PostgreSQL (postgres://…) with bodies in the database or,
// with --blobs s3://…, in an S3-compatible bucket.
func openStore(ctx context.Context, c serveConfig) (store.Store, error) {
	url, blobs := envDefault(c.store, storeEnv), envDefault(c.blobs, blobsEnv)
	if c.storeCommitters < 0 {
		return nil, usagef("--store-committers: want a positive number, not %d", c.storeCommitters)
	}
	switch {
	case url == "" || url == "bolt":
		if blobs != "" {
			return nil, usagef("--blobs needs --store postgres://…: bbolt keeps bodies in its file")
		}
		if c.storeCommitters != 0 {
			return nil, usagef("--store-committers needs --store postgres://…: bbolt commits in one writer")
		}
		return bolt.Open(filepath.Join(c.data, "blindvault.db"), &bolt.Options{MaxBodySize: c.maxBody})
	case strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://"):
		opts := &postgres.Options{MaxBodySize: c.maxBody, Committers: c.storeCommitters}
		if blobs != "" {
			bc, err := s3blob.ParseURL(blobs)
			if err != nil {
				return nil, usagef("--blobs: %v", err)
			}
			if opts.Blobs, err = s3blob.New(bc); err != nil {
				return nil, usagef("--blobs: %v", err)
			}
		}
		return postgres.Open(ctx, url, opts)
	}
	return nil, usagef("--store: want postgres://… (or nothing for bbolt in --data), not %q", redactURL(url))
}

// redactURL drops what may be a password from a URL shown in an error.
func redactURL(u string) string {
	if at := strings.LastIndex(u, "@"); at >= 0 {
		if scheme := strings.Index(u, "://"); scheme >= 0 && scheme < at {
			return u[:scheme+3] + "…" + u[at:]
		}
	}
	return u
}

// exclusive runs fn while no other server starting on the same store runs
// its own: a shared store (PostgreSQL) serializes them, a single-process one
// needs nothing.
func exclusive(ctx context.Context, st store.Store, fn func() error) error {
	if x, ok := st.(interface {
		Exclusive(context.Context, func() error) error
	}); ok {
		return x.Exclusive(ctx, fn)
	}
	return fn()
}

// logKeyName is the store entry recording the log's verifier key, so that a
// server with another log key refuses a store whose log it would fork: every
// server over one store must sign with the same key (--log-key-file).
const logKeyName = "log-verifier-key"

func checkLogKey(ctx context.Context, st store.Secrets, verifier string) error {
	got, err := st.Secret(ctx, logKeyName)
	switch {
	case err == nil && string(got) == verifier:
		return nil
	case err == nil:
		return fmt.Errorf("this store's log is signed with the key %s, not %s: give every server over one store the same --log-key-file", got, verifier)
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	return st.PutSecret(ctx, logKeyName, []byte(verifier))
}
