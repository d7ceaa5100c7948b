package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// migrations[i] brings the schema from version i to i+1. Applied ones never
// change: a new schema is a new entry.
//
// Ids and hashes are bytea (32 bytes); times are Unix nanoseconds (bigint, 0
// for the zero time), which keeps the nanoseconds that timestamptz would
// round; handles and secret names are bytea, compared byte for byte.
var migrations = []string{
	`CREATE TABLE accounts (
		id         bytea PRIMARY KEY,
		handle     bytea NOT NULL UNIQUE,
		role       text NOT NULL,
		status     text NOT NULL,
		card_seq   bigint NOT NULL,
		chain_seq  bigint NOT NULL DEFAULT 0,
		oprf_setup bytea NOT NULL,
		backup     bytea NOT NULL,
		created    bigint NOT NULL,
		lockout_failures bigint NOT NULL DEFAULT 0,
		lockout_until    bigint NOT NULL DEFAULT 0
	);
	CREATE TABLE cards (
		account bytea NOT NULL REFERENCES accounts,
		seq     bigint NOT NULL,
		signed  bytea NOT NULL,
		added   bigint NOT NULL,
		PRIMARY KEY (account, seq)
	);
	CREATE TABLE devices (
		account    bytea NOT NULL REFERENCES accounts,
		id         bytea NOT NULL,
		cert       bytea NOT NULL,
		added      bigint NOT NULL,
		revocation bytea,
		revoked    bigint NOT NULL DEFAULT 0,
		PRIMARY KEY (account, id)
	);
	CREATE TABLE sessions (
		token_hash bytea PRIMARY KEY,
		account    bytea NOT NULL,
		device     bytea NOT NULL,
		created    bigint NOT NULL,
		idle       bigint NOT NULL,
		absolute   bigint NOT NULL
	);
	CREATE INDEX sessions_device ON sessions (account, device);
	CREATE TABLE invites (
		code_hash bytea PRIMARY KEY,
		role      text NOT NULL,
		created   bigint NOT NULL,
		expires   bigint NOT NULL
	);
	CREATE TABLE heads (
		record      bytea PRIMARY KEY,
		owner       bytea NOT NULL REFERENCES accounts,
		version     bigint NOT NULL,
		header_hash bytea NOT NULL,
		acl_seq     bigint NOT NULL DEFAULT 0,
		created     bigint NOT NULL,
		updated     bigint NOT NULL,
		deleted     bigint NOT NULL DEFAULT 0
	);
	CREATE INDEX heads_owner ON heads (owner, record);
	CREATE TABLE versions (
		record      bytea NOT NULL,
		version     bigint NOT NULL,
		header_hash bytea NOT NULL,
		prev_hash   bytea NOT NULL,
		author      bytea NOT NULL,
		header      bytea NOT NULL,
		leaves      bytea NOT NULL,
		body_size   bigint NOT NULL,
		body_id     bytea NOT NULL,
		body_blob   boolean NOT NULL,
		body_chunk  integer NOT NULL,
		created     bigint NOT NULL,
		PRIMARY KEY (record, version)
	);
	CREATE TABLE body_chunks (
		body bytea NOT NULL,
		n    integer NOT NULL,
		data bytea NOT NULL,
		PRIMARY KEY (body, n)
	);
	CREATE TABLE uploads (
		body    bytea PRIMARY KEY,
		expires bigint NOT NULL
	);
	CREATE TABLE acls (
		record  bytea NOT NULL,
		seq     bigint NOT NULL,
		hash    bytea NOT NULL,
		signed  bytea NOT NULL,
		created bigint NOT NULL,
		PRIMARY KEY (record, seq)
	);
	CREATE TABLE grants (
		record    bytea NOT NULL,
		epoch     bigint NOT NULL,
		recipient bytea NOT NULL,
		account   bytea NOT NULL REFERENCES accounts,
		signed    bytea NOT NULL,
		created   bigint NOT NULL,
		revoked   bigint NOT NULL DEFAULT 0,
		PRIMARY KEY (record, epoch, recipient)
	);
	CREATE INDEX grants_account ON grants (account, record) WHERE revoked = 0;
	CREATE TABLE chains (
		account bytea NOT NULL REFERENCES accounts,
		seq     bigint NOT NULL,
		entry   bytea NOT NULL,
		PRIMARY KEY (account, seq)
	);
	CREATE TABLE secrets (
		name  bytea PRIMARY KEY,
		value bytea NOT NULL
	);
	CREATE TABLE log_head (
		one  boolean PRIMARY KEY DEFAULT true CHECK (one),
		size bigint NOT NULL
	);
	INSERT INTO log_head (size) VALUES (0);
	CREATE TABLE log_entries (
		idx   bigint PRIMARY KEY,
		entry bytea NOT NULL
	);
	CREATE TABLE log_hashes (
		idx  bigint PRIMARY KEY,
		hash bytea NOT NULL
	);`,
	// Rate-limit buckets shared by every server (ratelimit.go). Unlogged:
	// no WAL and no flush per request; a database crash empties it, which
	// refills every bucket once.
	`CREATE UNLOGGED TABLE rate_limits (
		key  text PRIMARY KEY,
		tat  bigint NOT NULL,
		wait bigint NOT NULL
	);`,
	// When each device last opened a session (store.Device.LastSeen; 0:
	// never), set by PutSession in its transaction.
	`ALTER TABLE devices ADD COLUMN last_seen bigint NOT NULL DEFAULT 0;`,
	// A grant may be held by a group (a care team's key record), not only an
	// account (store.Grant): applySharing checks the holder instead.
	`ALTER TABLE grants DROP CONSTRAINT grants_account_fkey;`,
	// Account deletions (deletions.go): no foreign key, the row outlives
	// the account as its tombstone.
	`CREATE TABLE account_deletions (
		account   bytea PRIMARY KEY,
		requested bigint NOT NULL,
		due       bigint NOT NULL,
		purged    bigint NOT NULL DEFAULT 0
	);`,
	// A small body's one chunk stays in its row (a chunk of 1 MiB still
	// goes to TOAST): with the default (EXTENDED), a 4 KiB inline body
	// was three TOAST rows and three TOAST index entries more per create
	// (docs/benchmarks.md). Rows written before keep their storage.
	`ALTER TABLE body_chunks ALTER COLUMN data SET STORAGE MAIN;`,
	// A server takes several tokens of a bucket at once (ratelimit.go):
	// how many the last take got.
	`ALTER TABLE rate_limits ADD COLUMN granted bigint NOT NULL DEFAULT 1;`,
	// The log tree's right edge at log_head's size (log.go), so that an
	// append after another process's reads no hash: NULL until the first
	// append sets it. Snapshots leave it out (snapshot.go).
	`ALTER TABLE log_head ADD COLUMN edge bytea;`,
}

// tables lists every table holding data, parents first, as snapshots copy them.
var tables = []string{"accounts", "cards", "devices", "sessions", "invites", "heads", "versions",
	"body_chunks", "uploads", "acls", "grants", "chains", "secrets", "log_head", "log_entries", "log_hashes", "account_deletions"}

// schemaLock is the advisory lock key that serializes migrations of one
// database across processes ("bvschema").
const schemaLock = 0x6276736368656d61

var errNewerSchema = errors.New("the database has a newer schema than this server knows")

// migrate brings the schema up to date, in one transaction, while holding the
// migration lock: two servers starting at once apply each migration once.
func migrate(ctx context.Context, conn *pgx.Conn) error {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(schemaLock)); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL, applied timestamptz NOT NULL DEFAULT now())`); err != nil {
		return err
	}
	var cur int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_version`).Scan(&cur); err != nil {
		return err
	}
	if cur > len(migrations) {
		return fmt.Errorf("schema version %d, known up to %d: %w", cur, len(migrations), errNewerSchema)
	}
	for v := cur; v < len(migrations); v++ {
		if _, err := tx.Exec(ctx, migrations[v]); err != nil {
			return fmt.Errorf("migration to schema version %d: %w", v+1, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_version (version) VALUES ($1)`, v+1); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}
