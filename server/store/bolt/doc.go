// Package bolt stores the Blindvault server's data in one bbolt file.
//
// Open a file with [Open]; the returned [Store] implements store.Store and
// passes the conformance suite in package storetest.
//
// # Durability and group commit
//
// Every write is fsynced before its method returns (bbolt's NoSync stays
// false). Writes are not run by their callers: they queue for one committer
// goroutine, which applies everything queued in one bbolt transaction, commits
// it with one fsync and then answers every caller. There is no timer: a batch
// is what queued while the previous commit was syncing, so a lone writer pays
// one fsync and concurrent writers share them. A write that fails its checks
// fails alone; one that fails after it began writing is rolled back by
// re-running the rest of the batch without it. [Store.CommitStats] tells how
// many writes shared each commit.
//
// # Bodies
//
// A body is cut into pieces of Options.PieceSize (1 MiB) stored as separate
// values under a random body id. A body larger than one piece is staged: it is
// written by transactions of at most Options.StageBytes (4 MiB) while it
// streams in, and the version's own small transaction then checks the
// previous-header hash and links the staged body. Bodies are never held whole
// in memory: an upload holds at most two groups of pieces, a reader one piece.
// Uploads cut off by an error or a cancelled context are removed at once;
// those of a killed process are removed by the next Open, and those older
// than Options.UploadLifetime by Sweep.
//
// # File layout
//
// The file holds flat top-level buckets with fixed-width binary keys (32-byte
// ids, big-endian sequence numbers); buckets.go lists them. A record's head,
// versions, ACLs and grants share one bucket, keyed record ‖ space ‖ …, so
// that one record's writes land on neighbouring pages: record ids are random,
// and copy on write makes every page a commit touches a random write.
// Structured values are length-prefixed binary led by a tag byte that names
// their type and encoding version; opaque values (pieces, backup blobs, chain
// entries, secrets) are stored as given. A "meta" bucket names the schema
// version. Open (and Restore, for a snapshot) migrates a file of schema v1,
// which kept those four kinds of record data in four buckets, in transactions
// of at most 10,000 keys, resuming a migration cut short; it refuses any
// other schema and adds nothing to such a file.
//
// # Caveats
//
//   - One process at a time: Open waits one second for bbolt's file lock,
//     then fails.
//   - bbolt never shrinks its file and leaves freed pages as they were:
//     deleted records stay readable in the raw file until [Store.Compact]
//     copies the live data to a new file and renames it over the old one.
//     The old file's blocks go back to the file system, which does not
//     overwrite them.
//   - Compact, Check and Restore stop writes while they run; Compact and
//     Check take time proportional to the file. Reads go on, except for the
//     moment Compact or Restore swaps the file, which waits for running reads
//     (a Snapshot streaming to a slow writer holds it off).
//   - A long read transaction (a Snapshot) keeps bbolt from reusing pages
//     freed meanwhile, so the file grows while it runs; body readers use one
//     short transaction per piece for this reason.
//   - The freelist is not written to the file (NoFreelistSync): commits stay
//     small after large deletes, and Open rebuilds the freelist by walking
//     the file, which takes longer as the file grows.
//   - bbolt trusts its file: it panics, unrecoverably, on a corrupted page.
//     Restore checks a snapshot's meta page and length before opening it, so
//     a truncated or foreign file is refused, but a snapshot corrupted in the
//     middle can crash the process. Keep snapshots with a checksum.
//   - If reopening the file after a compaction or restore fails, the store
//     stays closed and every method returns store.ErrClosed.
package bolt
