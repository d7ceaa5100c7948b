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
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	target := envDefault(*to, storeEnv)
	if len(pos) != 0 || *from == "" || !strings.HasPrefix(target, "postgres") {
		return usagef("usage: blindvault migrate --from DIR --to postgres://… [--blobs s3://BUCKET?endpoint=…]")
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
	stats, err := imp.Import(ctx, lister)
	if errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("%w\nmigrate copies into an empty database only, and copies nothing unless it copies everything: a migration cut short left this database empty, so this one holds another deployment (or a server started on it). Use a new database, or drop this one's tables if you know what is in it", err)
	}
	if err != nil {
		return fmt.Errorf("copy: %w (nothing was kept; run migrate again)", err)
	}
	copied := time.Since(start)
	fmt.Fprintf(s.err, "Copied %d accounts, %d records (%d versions, %d body bytes), %d log entries in %v; proving the copy…\n",
		stats.Accounts, stats.Records, stats.Versions, stats.BodyBytes, stats.LogEntries, copied.Round(time.Millisecond))
	same, err := proveSame(ctx, src, dst, lister.ids)
	if err != nil {
		return fmt.Errorf("proof failed, the copy differs from the source (do not serve it): %w", err)
	}
	fmt.Fprintf(s.out, "migrated: %d accounts, %d records, %d bodies compared, log of %d entries with root %s, in %v\n",
		stats.Accounts, same.Records, same.Bodies, same.LogSize, same.LogRoot, time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(s.err, "Start the servers with --store on the target (and --blobs if given), the same --origin, master key and log key (copy %s to --log-key-file).\n",
		filepath.Join(*from, "log-key"))
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
		if a, ok := it.(store.AccountItem); ok {
			l.ids = append(l.ids, a.Account.ID)
		}
		return fn(it)
	})
}
