// Package postgres stores the Blindvault server's data in PostgreSQL, through
// pgx v5, so that several server processes can share one database.
//
// Open a database with [Open]; the returned [Store] implements store.Store
// and passes the conformance suite in package storetest. Open creates the
// schema, or migrates an older one, in one transaction under an advisory
// lock: servers starting together apply each migration once. A database of a
// newer schema is refused.
//
// # Several servers, one store
//
// Everything transactional is in PostgreSQL: accounts, key cards, devices,
// sessions, invites, lockouts, record heads, versions, ACLs, grants, account
// chains, sealed secrets and the transparency log. Compare-and-swap holds
// across processes: a write locks the rows it checks (the record's head, the
// account whose chain or key card it extends) with SELECT … FOR UPDATE, a
// conditional UPDATE or, for a new record, INSERT … ON CONFLICT DO NOTHING,
// in a read-committed transaction, so a concurrent write
// of the same row waits and then sees the new state. The log has one
// sequence and one tree: a write locks the one log_head row as the last step
// before COMMIT, appends its entries and their tree hashes, and commits them
// with the change. Deadlocks and serialization failures run the transaction
// again.
//
// # Durability and group commit
//
// A write returns once PostgreSQL has committed it, which with the default
// synchronous_commit=on means flushed to its write-ahead log. The log_head
// lock is held through each commit's flush, so transactions that log commit
// one after another, across all processes. Writes are therefore grouped, as
// bbolt's are: they queue for a committer goroutine (two by default) that
// runs everything queued (up to 64 writes) in one transaction, each write in
// a savepoint of its own so that it fails alone, appends all their entries
// with one turn at the lock, and commits once. Creates and chain appends,
// which read nothing before they write, are sent together as one pipeline
// whose results are checked once they are back, so a batch of creates costs
// a few round trips, not a few per create. [Store.CommitStats] tells how many writes
// shared each commit. Bodies are staged outside the group commit.
//
// # Bodies
//
// Without a blob store, bodies are bytea chunks of Options.ChunkSize (1 MiB)
// in the database. With one (Options.Blobs, an S3 bucket through package
// s3blob), bodies larger than Options.InlineMax are objects in it. A body too
// large for the version's own transaction is written first, in its own
// transaction or as an object, under a random id that an uploads row names;
// the version's transaction then claims it. Nothing a client can reach names
// it before that commits. A failed write deletes it at once; one whose
// process died is deleted by Sweep after Options.UploadLifetime, and Sweep
// also deletes objects that nothing names (a deletion cut short).
//
// # Caveats
//
//   - Times are stored as Unix nanoseconds.
//   - Compact runs VACUUM FULL on every table, which locks each while it
//     rewrites it. Deleted data stays in the write-ahead log until
//     PostgreSQL recycles it, and in WAL archives and base backups.
//   - Snapshot and Restore use PostgreSQL's binary COPY format: a snapshot
//     restores only into a database of the same schema version. A snapshot
//     copies bodies from the blob store; a body deleted while it runs fails
//     it. For large deployments, back up with PostgreSQL's own tools and
//     bucket versioning instead (docs/operations.md).
//   - The server's rate limits are per process; lockouts of backup release
//     are in the database and hold across servers.
package postgres
