package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	bberrors "go.etcd.io/bbolt/errors"

	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/server/store/bolt"
)

// runMigrate copies a bbolt deployment into PostgreSQL (bodies into S3 with
// --blobs) and proves the copy: the same log, heads, headers and bodies.
func runMigrate(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	from := fs.String("from", "", "the bbolt deployment's data `directory` (what serve --data was); no server may have it open")
	to := fs.String("to", "", "the target `URL`, postgres://USER@HOST/DB, an empty database (default: $"+storeEnv+")")
	blobs := fs.String("blobs", "", "keep the bodies in an S3-compatible bucket, s3://BUCKET[/PREFIX]?endpoint=URL&region=R, as serve --blobs (default: $"+blobsEnv+")")
	check := fs.Bool("check", false, "copy nothing: only prove that the target holds what the source holds")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	target := envDefault(*to, storeEnv)
	if len(pos) != 0 || *from == "" || !strings.HasPrefix(target, "postgres") {
		return usagef("usage: blindvault migrate --from DIR --to postgres://… [--blobs s3://BUCKET?endpoint=…] [--check]")
	}
	start := time.Now()
	src, err := openSource(*from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := openStore(ctx, serveConfig{store: target, blobs: *blobs})
	if err != nil {
		return fmt.Errorf("target: %w", err)
	}
	defer dst.Close()
	imp, ok := dst.(store.Importer)
	if !ok {
		return fmt.Errorf("target %s cannot import", redactURL(target))
	}
	lister := &accountLister{src: src}
	if *check {
		err = src.Export(ctx, lister.note)
	} else {
		err = copyStore(ctx, lister, imp, s)
	}
	if err != nil {
		return err
	}
	same, err := proveSame(ctx, src, dst, lister.ids)
	if err != nil {
		return fmt.Errorf("proof failed, the copy differs from the source (do not serve it): %w", err)
	}
	fmt.Fprintf(s.out, "migrated: %d accounts, %d records, %d bodies compared, log of %d entries with root %s, in %v\n",
		len(lister.ids), same.Records, same.Bodies, same.LogSize, same.LogRoot, time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(s.err, "Start the servers with --store on the target (and --blobs if given), the same --origin, master key and log key (copy %s to --log-key-file).\n",
		filepath.Join(*from, "log-key"))
	return nil
}

// copyStore imports src into imp, all of it or nothing.
func copyStore(ctx context.Context, src store.Exporter, imp store.Importer, s stdio) error {
	start := time.Now()
	stats, err := imp.Import(ctx, src)
	if errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("%w\nmigrate copies into an empty database only. A migrate cut short while copying left it empty (the copy is one transaction); "+
			"if this is the copy of a migrate cut short while proving, run migrate --check; else use a new database", err)
	}
	if err != nil {
		return fmt.Errorf("copy: %w (a copy that fails before its commit keeps nothing: run migrate again)", err)
	}
	fmt.Fprintf(s.err, "Copied %d accounts, %d records (%d versions, %d body bytes), %d log entries in %v; proving the copy…\n",
		stats.Accounts, stats.Records, stats.Versions, stats.BodyBytes, stats.LogEntries, time.Since(start).Round(time.Millisecond))
	return nil
}

// openSource opens the bbolt file of a data directory, refusing a directory
// that has none (bolt.Open would create one) and a file a server holds.
func openSource(dir string) (*bolt.Store, error) {
	path := filepath.Join(dir, "blindvault.db")
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	st, err := bolt.Open(path, nil)
	if errors.Is(err, bberrors.ErrTimeout) {
		return nil, fmt.Errorf("source %s is in use: stop the server first", path)
	}
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	return st, nil
}

// accountLister exports src and notes the accounts, which proveSame then
// walks.
type accountLister struct {
	src store.Exporter
	ids []store.AccountID
}

func (l *accountLister) Export(ctx context.Context, fn func(store.Item) error) error {
	l.ids = l.ids[:0]
	return l.src.Export(ctx, func(it store.Item) error {
		if err := l.note(it); err != nil {
			return err
		}
		return fn(it)
	})
}

func (l *accountLister) note(it store.Item) error {
	if a, ok := it.(store.AccountItem); ok {
		l.ids = append(l.ids, a.Account.ID)
	}
	return nil
}
