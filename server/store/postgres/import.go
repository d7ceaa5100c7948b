package postgres

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/blindvault/blindvault/server/store"
)

var _ store.Importer = (*Store)(nil)

// importFlush is how many bytes of rows an import holds before it copies
// them to the database (COPY FROM, in the tables' order: parents first).
const importFlush = 32 << 20

// An import uploads bodies of at most importPutMax bytes to the blob store
// importPuts at a time, from memory; a larger body streams, alone.
const (
	importPuts   = 8
	importPutMax = 4 << 20
)

// importColumns are the columns an import fills, per table; log_head is
// updated at the end, and uploads stay empty.
var importColumns = map[string][]string{
	"accounts":          {"id", "handle", "role", "status", "card_seq", "chain_seq", "oprf_setup", "backup", "created", "lockout_failures", "lockout_until"},
	"cards":             {"account", "seq", "signed", "added"},
	"devices":           {"account", "id", "cert", "added", "revocation", "revoked", "last_seen"},
	"sessions":          {"token_hash", "account", "device", "created", "idle", "absolute"},
	"invites":           {"code_hash", "role", "created", "expires"},
	"heads":             {"record", "owner", "version", "header_hash", "acl_seq", "created", "updated", "deleted"},
	"versions":          {"record", "version", "header_hash", "prev_hash", "author", "header", "leaves", "body_size", "body_id", "body_blob", "body_chunk", "created"},
	"body_chunks":       {"body", "n", "data"},
	"acls":              {"record", "seq", "hash", "signed", "created"},
	"grants":            {"record", "epoch", "recipient", "account", "signed", "created", "revoked"},
	"chains":            {"account", "seq", "entry"},
	"secrets":           {"name", "value"},
	"log_entries":       {"idx", "entry"},
	"log_hashes":        {"idx", "hash"},
	"account_deletions": {"account", "requested", "due", "purged"},
}

// Import copies a whole deployment in one transaction that first locks
// every table (servers starting on the database meanwhile wait for it) and
// checks that they are empty. Rows go in with COPY, in batches of about
// importFlush bytes; the log's stored hashes are computed from its entries.
// Bodies go where PutVersion would put them: into the blob store if there is
// one and the body is over InlineMax, else as chunks. If the import fails,
// the transaction rolls back and the blobs it wrote are deleted (what cannot
// be is an orphan that Sweep removes).
func (s *Store) Import(ctx context.Context, src store.Exporter) (store.ImportStats, error) {
	defer s.forgetLog()
	leave, err := s.enter(ctx)
	if err != nil {
		return store.ImportStats{}, fmt.Errorf("import: %w", err)
	}
	defer leave()
	im := &importer{s: s, rows: map[string][][]any{}, hashes: map[int64]tlog.Hash{}, puts: make(chan struct{}, importPuts)}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		im.tx = tx
		if err := checkEmpty(ctx, tx); err != nil {
			return err
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		err := src.Export(ctx, func(it store.Item) error { return im.add(ctx, it) })
		if err != nil {
			cancel()
		}
		if err := errors.Join(err, im.waitPuts()); err != nil {
			return err
		}
		if err := im.flush(ctx); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE log_head SET size = $1`, im.stats.LogEntries)
		im.committing = err == nil
		return err
	})
	if err != nil && im.committing {
		// COMMIT failed, or its answer was lost: the rows may be there,
		// naming the blobs, which therefore stay.
		return store.ImportStats{}, fmt.Errorf("import: commit: %w", mapErr(err))
	}
	if err != nil {
		if len(im.blobKeys) > 0 {
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			s.blobs.Delete(dctx, im.blobKeys...) // what fails here, Sweep deletes
		}
		return store.ImportStats{}, fmt.Errorf("import: %w", mapErr(err))
	}
	return im.stats, nil
}

// checkEmpty locks every table and refuses a database that holds anything.
func checkEmpty(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `LOCK TABLE `+joinTables()+` IN ACCESS EXCLUSIVE MODE`); err != nil {
		return err
	}
	var size int64
	if err := tx.QueryRow(ctx, `SELECT size FROM log_head`).Scan(&size); err != nil {
		return err
	}
	if size != 0 {
		return fmt.Errorf("the database's log has %d entries: %w", size, store.ErrConflict)
	}
	for _, t := range tables {
		var has bool
		if t == "log_head" {
			continue
		}
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+t+`)`).Scan(&has); err != nil {
			return err
		}
		if has {
			return fmt.Errorf("the database is not empty (table %s has rows): %w", t, store.ErrConflict)
		}
	}
	return nil
}

type importer struct {
	s        *Store
	tx       pgx.Tx
	rows     map[string][][]any
	buffered int
	stats    store.ImportStats
	blobKeys []string // written to the blob store, deleted if the import fails
	// committing is set once everything is written and only COMMIT is left.
	committing bool
	// puts bounds the uploads in flight; putErr is the first that failed.
	puts   chan struct{}
	putWG  sync.WaitGroup
	putMu  sync.Mutex
	putErr error
	// hashes holds the log tree's stored hashes that later entries need:
	// the roots of the complete subtrees on the tree's right edge.
	hashes map[int64]tlog.Hash
}

// row queues a row of table, size bytes of which are data.
func (im *importer) row(ctx context.Context, table string, size int, values ...any) error {
	im.rows[table] = append(im.rows[table], values)
	im.buffered += size + 8*len(values)
	if im.buffered < importFlush {
		return nil
	}
	return im.flush(ctx)
}

// flush copies the queued rows, parents first.
func (im *importer) flush(ctx context.Context) error {
	for _, t := range tables {
		rows := im.rows[t]
		if len(rows) == 0 {
			continue
		}
		if _, err := im.tx.CopyFrom(ctx, pgx.Identifier{t}, importColumns[t], pgx.CopyFromRows(rows)); err != nil {
			return fmt.Errorf("copy %s: %w", t, err)
		}
		im.rows[t] = nil
	}
	im.buffered = 0
	return nil
}

func (im *importer) add(ctx context.Context, it store.Item) error {
	im.stats.Items++
	switch it := it.(type) {
	case store.AccountItem:
		a := it.Account
		im.stats.Accounts++
		return im.row(ctx, "accounts", len(a.Handle)+len(a.OPRFSetup)+len(it.Backup),
			a.ID[:], []byte(a.Handle), string(a.Role), string(a.Status), int64(a.KeyCard.Seq), int64(a.ChainSeq),
			nonNil(a.OPRFSetup), nonNil(it.Backup), ts(a.Created), int64(it.Lockout.Failures), ts(it.Lockout.Until))
	case store.KeyCardItem:
		return im.row(ctx, "cards", len(it.Card.Signed), it.Account[:], int64(it.Card.Seq), nonNil(it.Card.Signed), ts(it.Card.Added))
	case store.DeviceItem:
		d := it.Device
		var revocation []byte // NULL while valid, as RevokeDevice leaves it
		if len(d.Revocation) > 0 {
			revocation = d.Revocation
		}
		return im.row(ctx, "devices", len(d.Cert)+len(d.Revocation),
			it.Account[:], d.ID[:], nonNil(d.Cert), ts(d.Added), revocation, ts(d.Revoked), ts(d.LastSeen))
	case store.Session:
		return im.row(ctx, "sessions", 0, it.TokenHash[:], it.Account[:], it.Device[:], ts(it.Created), ts(it.IdleExpiry), ts(it.AbsoluteExpiry))
	case store.Invite:
		return im.row(ctx, "invites", 0, it.CodeHash[:], string(it.Role), ts(it.Created), ts(it.Expires))
	case store.Head:
		im.stats.Records++
		return im.row(ctx, "heads", 0, it.Record[:], it.Owner[:], int64(it.Version), it.HeaderHash[:], int64(it.ACLSeq),
			ts(it.Created), ts(it.Updated), ts(it.Deleted))
	case store.VersionItem:
		return im.version(ctx, it)
	case store.ACLItem:
		a := it.ACL
		return im.row(ctx, "acls", len(a.Signed), it.Record[:], int64(a.Seq), a.Hash[:], nonNil(a.Signed), ts(a.Created))
	case store.GrantItem:
		g := it.Grant
		return im.row(ctx, "grants", len(g.Signed), it.Record[:], int64(g.Epoch), g.Recipient[:], g.Account[:], nonNil(g.Signed),
			ts(g.Created), ts(g.Revoked))
	case store.ChainEntry:
		return im.row(ctx, "chains", len(it.Entry), it.Account[:], int64(it.Seq), nonNil(it.Entry))
	case store.SecretItem:
		return im.row(ctx, "secrets", len(it.Value), []byte(it.Name), nonNil(it.Value))
	case store.LogEntryItem:
		return im.logEntry(ctx, it)
	case store.AccountDeletion:
		return im.row(ctx, "account_deletions", 0, it.Account[:], ts(it.Requested), ts(it.Due), ts(it.Purged))
	}
	return fmt.Errorf("item of type %T: %w", it, store.ErrInvalid)
}

// version writes a version's row and its body, where PutVersion would.
func (im *importer) version(ctx context.Context, it store.VersionItem) error {
	v, s := it.Version, im.s
	im.stats.Versions++
	im.stats.BodyBytes += v.BodySize
	id := newBodyID()
	blob := s.blobs != nil && v.BodySize > s.opts.InlineMax
	body := io.LimitReader(it.Body, v.BodySize)
	if blob {
		if err := im.put(ctx, v, blobKey(id), body); err != nil {
			return err
		}
	} else if err := im.chunks(ctx, v, id, body); err != nil {
		return err
	}
	return im.row(ctx, "versions", len(v.Header)+len(it.Leaves),
		v.Record[:], int64(v.Version), v.HeaderHash[:], v.PrevHash[:], v.Author[:], nonNil(v.Header), nonNil(it.Leaves),
		v.BodySize, id, blob, s.opts.ChunkSize, ts(v.Created))
}

// put uploads a body to the blob store: a small one from memory while the
// import goes on, a large one at once.
func (im *importer) put(ctx context.Context, v store.Version, key string, body io.Reader) error {
	im.blobKeys = append(im.blobKeys, key)
	if err := im.putError(); err != nil {
		return err
	}
	upload := func(r io.Reader) error {
		n, err := im.s.blobs.Put(ctx, key, r)
		if err == nil && n != v.BodySize {
			err = fmt.Errorf("body of %d bytes, want %d: %w", n, v.BodySize, store.ErrInvalid)
		}
		if err != nil {
			return fmt.Errorf("record %s version %d: body: %w", v.Record, v.Version, err)
		}
		return nil
	}
	if v.BodySize > importPutMax {
		return upload(body)
	}
	buf := make([]byte, v.BodySize)
	if _, err := io.ReadFull(body, buf); err != nil {
		return fmt.Errorf("record %s version %d: body: %w", v.Record, v.Version, err)
	}
	im.puts <- struct{}{}
	im.putWG.Go(func() {
		defer func() { <-im.puts }()
		if err := upload(bytes.NewReader(buf)); err != nil {
			im.putMu.Lock()
			im.putErr = cmp.Or(im.putErr, err)
			im.putMu.Unlock()
		}
	})
	return nil
}

func (im *importer) putError() error {
	im.putMu.Lock()
	defer im.putMu.Unlock()
	return im.putErr
}

// waitPuts waits for the uploads in flight and returns the first error.
func (im *importer) waitPuts() error {
	im.putWG.Wait()
	return im.putError()
}

// chunks queues a body as ChunkSize chunks.
func (im *importer) chunks(ctx context.Context, v store.Version, id []byte, body io.Reader) error {
	var n int64
	for i := 0; n < v.BodySize; i++ {
		buf := make([]byte, min(int64(im.s.opts.ChunkSize), v.BodySize-n))
		if _, err := io.ReadFull(body, buf); err != nil {
			return fmt.Errorf("record %s version %d: body: %w", v.Record, v.Version, err)
		}
		n += int64(len(buf))
		if err := im.row(ctx, "body_chunks", len(buf), id, i, buf); err != nil {
			return err
		}
	}
	return nil
}

// logEntry queues an entry and the tree hashes it adds.
func (im *importer) logEntry(ctx context.Context, it store.LogEntryItem) error {
	n := im.stats.LogEntries
	if it.Index != n {
		return fmt.Errorf("log entry %d where %d was due: %w", it.Index, n, store.ErrInvalid)
	}
	hs, err := tlog.StoredHashes(n, it.Entry, importHashes(im.hashes))
	if err != nil {
		return fmt.Errorf("log entry %d: %w", n, err)
	}
	base := tlog.StoredHashIndex(0, n)
	for j, h := range hs {
		im.hashes[base+int64(j)] = h
		if err := im.row(ctx, "log_hashes", len(h), base+int64(j), h[:]); err != nil {
			return err
		}
	}
	im.stats.LogEntries++
	pruneHashes(im.hashes, n+1)
	return im.row(ctx, "log_entries", len(it.Entry), n, nonNil(it.Entry))
}

// importHashes reads the hashes an import keeps.
type importHashes map[int64]tlog.Hash

func (m importHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		h, ok := m[x]
		if !ok {
			return nil, errors.New("log tree hash not kept")
		}
		out[i] = h
	}
	return out, nil
}

// pruneHashes keeps the hashes a tree of size n needs to grow: the roots of
// its complete subtrees, one per bit of n.
func pruneHashes(m map[int64]tlog.Hash, n int64) {
	keep := map[int64]bool{}
	for level := 0; n>>level > 0; level++ {
		if n>>level&1 == 1 {
			keep[tlog.StoredHashIndex(level, n>>level-1)] = true
		}
	}
	for x := range m {
		if !keep[x] {
			delete(m, x)
		}
	}
}
