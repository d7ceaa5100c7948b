package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/server/store/internal/check"
)

func (s *Store) Sweep(ctx context.Context, now time.Time) (store.SweepStats, error) {
	var st store.SweepStats
	err := s.unlogged(ctx, "sweep", func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM sessions WHERE idle <= $1 OR absolute <= $1`, ts(now))
		if err != nil {
			return err
		}
		st.Sessions = int(tag.RowsAffected())
		tag, err = tx.Exec(ctx, `DELETE FROM invites WHERE expires <= $1`, ts(now))
		if err != nil {
			return err
		}
		st.Invites = int(tag.RowsAffected())
		// Rate-limit buckets that are full again hold nothing a new one lacks.
		_, err = tx.Exec(ctx, `DELETE FROM rate_limits WHERE tat <= $1`, now.UnixMicro())
		return err
	})
	if err != nil {
		return st, err
	}
	// An abandoned upload's row goes first: the version that would link it
	// then finds it gone, and its body is an orphan deleted below.
	var blobs []string
	err = s.unlogged(ctx, "sweep uploads", func(ctx context.Context, tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `DELETE FROM uploads WHERE expires <= $1 RETURNING body`, ts(now))
		ids, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
		if err != nil {
			return err
		}
		st.Uploads = len(ids)
		blobs = blobs[:0]
		for _, id := range ids {
			blobs = append(blobs, blobKey(id))
		}
		// Chunks that neither a version nor an upload names.
		_, err = tx.Exec(ctx, `DELETE FROM body_chunks c WHERE NOT EXISTS (SELECT 1 FROM versions v WHERE v.body_id = c.body)
			AND NOT EXISTS (SELECT 1 FROM uploads u WHERE u.body = c.body)`)
		return err
	})
	if err != nil {
		return st, err
	}
	if s.blobs != nil {
		if err := s.blobs.Delete(ctx, blobs...); err != nil {
			return st, fmt.Errorf("sweep uploads: %w", err)
		}
		if err := s.sweepOrphans(ctx, now.Add(-s.opts.UploadLifetime)); err != nil {
			return st, err
		}
	}
	return st, nil
}

// sweepOrphans deletes the blobs written before cutoff that no version and
// no upload names: bodies whose deletion failed after their version was
// deleted, or whose process died between writing them and recording them.
func (s *Store) sweepOrphans(ctx context.Context, cutoff time.Time) error {
	var old []string
	err := s.blobs.List(ctx, "bodies/", cutoff, func(key string, written time.Time) error {
		if written.Before(cutoff) {
			old = append(old, key)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sweep orphans: %w", err)
	}
	if len(old) == 0 {
		return nil
	}
	known, err := get(ctx, s, "sweep orphans", func(q querier) (map[string]bool, error) {
		rows, _ := q.Query(ctx, `SELECT body_id FROM versions WHERE body_blob UNION ALL SELECT body FROM uploads`)
		ids, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
		known := map[string]bool{}
		for _, id := range ids {
			known[blobKey(id)] = true
		}
		return known, err
	})
	if err != nil {
		return err
	}
	var orphans []string
	for _, k := range old {
		if !known[k] {
			orphans = append(orphans, k)
		}
	}
	if err := s.blobs.Delete(ctx, orphans...); err != nil {
		return fmt.Errorf("sweep orphans: %w", err)
	}
	return nil
}

// Compact rewrites every table (VACUUM FULL), so that deleted rows are gone
// from the data files and not only dead. Each table is locked while it is
// rewritten: writes to it wait. Deleted data may stay in the write-ahead log
// until PostgreSQL recycles it, and in its archive and base backups.
func (s *Store) Compact(ctx context.Context) error {
	leave, err := s.enter(ctx)
	if err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	defer leave()
	for _, t := range tables {
		if _, err := s.pool.Exec(ctx, `VACUUM FULL `+t); err != nil {
			return fmt.Errorf("compact %s: %w", t, err)
		}
	}
	return nil
}

// Check verifies what the schema's constraints do not: the log and its tree
// hashes, heads against their versions, stored bodies against their sizes,
// key cards and account chains without gaps.
func (s *Store) Check(ctx context.Context) error {
	var problems []error
	fail := func(format string, args ...any) { problems = append(problems, fmt.Errorf(format, args...)) }
	err := s.read(ctx, "check", func(tx pgx.Tx) error {
		for _, q := range []struct{ what, sql string }{
			{"head without its last version", `SELECT count(*) FROM heads h WHERE h.deleted = 0 AND NOT EXISTS
				(SELECT 1 FROM versions v WHERE v.record = h.record AND v.version = h.version AND v.header_hash = h.header_hash)`},
			{"version past its head or of a deleted record", `SELECT count(*) FROM versions v JOIN heads h ON h.record = v.record
				WHERE v.version > h.version OR h.deleted <> 0`},
			{"version without a head", `SELECT count(*) FROM versions v WHERE NOT EXISTS (SELECT 1 FROM heads h WHERE h.record = v.record)`},
			{"body in the database of the wrong size", `SELECT count(*) FROM versions v WHERE NOT v.body_blob AND v.body_size <>
				coalesce((SELECT sum(length(c.data)) FROM body_chunks c WHERE c.body = v.body_id), 0)`},
			{"account whose current key card is missing", `SELECT count(*) FROM accounts a WHERE NOT EXISTS
				(SELECT 1 FROM cards c WHERE c.account = a.id AND c.seq = a.card_seq)`},
			{"account chain with a gap", `SELECT count(*) FROM accounts a WHERE a.chain_seq <>
				(SELECT count(*) FROM chains c WHERE c.account = a.id AND c.seq <= a.chain_seq) OR EXISTS
				(SELECT 1 FROM chains c WHERE c.account = a.id AND c.seq > a.chain_seq)`},
			{"session of an unknown device", `SELECT count(*) FROM sessions x WHERE NOT EXISTS
				(SELECT 1 FROM devices d WHERE d.account = x.account AND d.id = x.device)`},
			{"grant or acl of an unknown record", `SELECT (SELECT count(*) FROM grants g WHERE NOT EXISTS (SELECT 1 FROM heads h WHERE h.record = g.record))
				+ (SELECT count(*) FROM acls a WHERE NOT EXISTS (SELECT 1 FROM heads h WHERE h.record = a.record))`},
		} {
			var n int64
			if err := tx.QueryRow(ctx, q.sql).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				fail("%d × %s", n, q.what)
			}
		}
		return checkLog(ctx, tx, fail)
	})
	if err != nil {
		return err
	}
	return errors.Join(problems...)
}

// checkLog recomputes the tree from the entries and compares it with the
// stored hashes, the stored size and the stored right edge.
func checkLog(ctx context.Context, tx pgx.Tx, fail func(string, ...any)) error {
	var size int64
	var edge []byte
	if err := tx.QueryRow(ctx, `SELECT size, edge FROM log_head`).Scan(&size, &edge); err != nil {
		return err
	}
	var tree check.LogTree
	var idx int64
	var entry []byte
	rows, _ := tx.Query(ctx, `SELECT idx, entry FROM log_entries ORDER BY idx`)
	_, err := pgx.ForEachRow(rows, []any{&idx, &entry}, func() error {
		if idx != tree.Entries() {
			return fmt.Errorf("log entry %d: expected index %d: %w", idx, tree.Entries(), errCorrupt)
		}
		return tree.Add(entry)
	})
	if err != nil {
		fail("%w", err)
		return nil
	}
	next := tree.Entries()
	if next != size {
		fail("log: %d entries, head says %d", next, size)
	} else if edge != nil {
		// NULL is an edge not known yet (log.go); one that is must be right.
		known := parseEdge(size, edge)
		if known == nil {
			fail("log: the head's right edge is %d bytes, not %d hashes", len(edge), len(edgeIndexes(size)))
		}
		for x, h := range known {
			if !tree.Matches(x, h[:]) {
				fail("log: the head's right edge at hash %d does not match the entries", x)
			}
		}
	}
	n := int64(0)
	var hash []byte
	rows, _ = tx.Query(ctx, `SELECT idx, hash FROM log_hashes ORDER BY idx`)
	_, err = pgx.ForEachRow(rows, []any{&idx, &hash}, func() error {
		switch {
		case idx != n:
			fail("log hash %d: expected index %d", idx, n)
		case n >= tree.Hashes():
			fail("log hash %d: no entry it belongs to", n)
		case !tree.Matches(n, hash):
			fail("log hash %d: does not match the entries", n)
		}
		n++
		return nil
	})
	if err != nil {
		return err
	}
	if n != tree.Hashes() {
		fail("log: %d tree hashes stored, %d expected from %d entries", n, tree.Hashes(), next)
	}
	return nil
}
