package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/blindvault/blindvault/server/store"
)

// Creates in bulk. The creates of a batch that need nothing but their own
// rows (an inline body, an ACL of seq 1, grants; no staged body, no chain
// entry) go to PostgreSQL as one statement over arrays, not as a savepoint
// and two statements each (docs/benchmarks.md: PostgreSQL's CPU per
// statement is what bounds creates). The insert of the heads is the
// compare-and-swap, as in createRecord: a record that exists inserts
// nothing, and the others go on. Anything else that fails (an unknown
// owner, a grant's holder missing, two creates of one record) undoes the
// statement, back to the savepoint before it, and the group runs again
// the way createRecord runs, a savepoint each, where each failure is its
// write's own.

// creation is a create that can go in bulk.
type creation struct {
	v  store.VersionWrite
	up *upload
}

// bulkCreation returns the create of v as a creation, or nil if it needs
// more than its own rows.
func bulkCreation(v store.VersionWrite, up *upload) *creation {
	if v.Version != 1 || up.staged || len(v.Chain) > 0 || len(v.Sharing.Revoke) > 0 ||
		v.Sharing.ACL != nil && v.Sharing.ACL.Seq != 1 {
		return nil
	}
	return &creation{v: v, up: up}
}

// createRows inserts the heads of every write in w (ON CONFLICT DO NOTHING:
// the compare-and-swap), then, for those it inserted, the versions, their
// inline bodies, their ACLs and their grants, each grant only if its holder
// is an account or a live record, as applySharing's. It returns each
// inserted record with the number of grants stored for it.
const createRows = `WITH w AS (
	SELECT * FROM unnest($1::bytea[], $2::bytea[], $3::bytea[], $4::bytea[], $5::bytea[], $6::bytea[], $7::bytea[],
		$8::bigint[], $9::bytea[], $10::boolean[], $11::bigint[], $12::bytea[], $13::bigint[], $14::bytea[], $15::bytea[], $16::bigint[])
		AS w(record, owner, header_hash, prev_hash, author, header, leaves, body_size, body_id, body_blob, created, inline,
			acl_seq, acl_hash, acl_signed, acl_created)),
h AS (INSERT INTO heads (record, owner, version, header_hash, acl_seq, created, updated)
	SELECT record, owner, 1, header_hash, acl_seq, created, created FROM w ON CONFLICT DO NOTHING RETURNING record),
c AS (INSERT INTO body_chunks (body, n, data) SELECT w.body_id, 0, w.inline FROM w JOIN h USING (record) WHERE w.inline IS NOT NULL),
a AS (INSERT INTO acls (record, seq, hash, signed, created)
	SELECT w.record, 1, w.acl_hash, w.acl_signed, w.acl_created FROM w JOIN h USING (record) WHERE w.acl_hash IS NOT NULL),
v AS (INSERT INTO versions ` + versionColumns + `
	SELECT w.record, 1, w.header_hash, w.prev_hash, w.author, w.header, w.leaves, w.body_size, w.body_id, w.body_blob, $17::integer, w.created
	FROM w JOIN h USING (record)),
g AS (INSERT INTO grants (record, epoch, recipient, account, signed, created)
	SELECT x.record, x.epoch, x.recipient, x.account, x.signed, x.created
	FROM unnest($18::bytea[], $19::bigint[], $20::bytea[], $21::bytea[], $22::bytea[], $23::bigint[])
		AS x(record, epoch, recipient, account, signed, created) JOIN h USING (record)
	WHERE EXISTS (SELECT 1 FROM accounts WHERE id = x.account) OR EXISTS (SELECT 1 FROM heads WHERE record = x.account AND deleted = 0)
	ON CONFLICT (record, epoch, recipient) DO UPDATE SET account = excluded.account, signed = excluded.signed,
		created = excluded.created, revoked = 0
	RETURNING record)
SELECT h.record, (SELECT count(*) FROM g WHERE g.record = h.record) FROM h`

// bulkSavepoint is the savepoint before a bulk create: not one of the
// per-write ones (savepoints), which the fallback takes.
const bulkSavepoint = "bulk"

// createBulk runs the creates of rs (their creation set, at least two, of
// distinct records) in tx as one statement and sets each request's err:
// nil, or a conflict if its record exists. It reports false, with tx as
// it was before, if the statement or a check of its result failed: the
// caller then runs the writes one by one. A non-nil error is the
// transaction's (a lost connection, a deadlock).
func (c *committer) createBulk(ctx context.Context, tx pgx.Tx, rs []*request) (bool, error) {
	n := len(rs)
	var (
		rec, owner, hash, prev, author, header, leaves, body, inline, aclHash, aclSigned = make([][]byte, n), make([][]byte, n),
			make([][]byte, n), make([][]byte, n), make([][]byte, n), make([][]byte, n), make([][]byte, n), make([][]byte, n),
			make([][]byte, n), make([][]byte, n), make([][]byte, n)
		size, created, aclSeq, aclCreated = make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		blob                              = make([]bool, n)
		gRec, gRecipient, gAccount, gSig  [][]byte
		gEpoch, gCreated                  []int64
	)
	wantGrants := make(map[store.RecordID]int64, n)
	for i, r := range rs {
		v, up := r.create.v, r.create.up
		if _, dup := wantGrants[v.Record]; dup {
			return false, nil
		}
		wantGrants[v.Record] = int64(len(v.Sharing.Grants))
		rec[i], owner[i], hash[i], prev[i], author[i] = v.Record[:], v.Owner[:], v.HeaderHash[:], v.PrevHash[:], v.Author[:]
		header[i], leaves[i], size[i], body[i], blob[i], created[i] = v.Header, nonNil(v.Leaves), up.size, up.id, up.blob, ts(v.Created)
		if len(up.inline) > 0 {
			inline[i] = up.inline
		}
		if a := v.Sharing.ACL; a != nil {
			aclSeq[i], aclHash[i], aclSigned[i], aclCreated[i] = 1, a.Hash[:], a.Signed, ts(a.Created)
		}
		for _, g := range v.Sharing.Grants {
			gRec, gEpoch, gRecipient = append(gRec, v.Record[:]), append(gEpoch, int64(g.Epoch)), append(gRecipient, g.Recipient[:])
			gAccount, gSig, gCreated = append(gAccount, g.Account[:]), append(gSig, g.Signed), append(gCreated, ts(g.Created))
		}
	}
	var b pgx.Batch
	// The statement's plan hardly depends on its arrays, and planning it
	// again for every batch (PostgreSQL's choice for it otherwise: custom
	// plans in 66 of 108 calls in a diagnostic run) costs more than it
	// saves. For this transaction only.
	b.Queue(`SET LOCAL plan_cache_mode = force_generic_plan`)
	b.Queue(`SAVEPOINT ` + bulkSavepoint)
	b.Queue(createRows, rec, owner, hash, prev, author, header, leaves, size, body, blob, created, inline,
		aclSeq, aclHash, aclSigned, aclCreated, c.s.opts.ChunkSize,
		gRec, gEpoch, gRecipient, gAccount, gSig, gCreated)
	br := tx.SendBatch(ctx, &b)
	for range 2 { // SET LOCAL, SAVEPOINT
		if _, err := br.Exec(); err != nil {
			br.Close()
			return false, err
		}
	}
	inserted := map[store.RecordID]int64{}
	rows, _ := br.Query()
	var id []byte
	var grants int64
	_, qerr := pgx.ForEachRow(rows, []any{&id, &grants}, func() error {
		inserted[store.RecordID(id)] = grants
		return nil
	})
	err := br.Close()
	var pe *pgconn.PgError
	switch {
	case err != nil && (!errors.As(err, &pe) || retryable(err)):
		return false, err // the connection's, or a deadlock: the batch's
	case qerr != nil && (!errors.As(qerr, &pe) || retryable(qerr)):
		return false, qerr
	case err == nil && qerr == nil && grantsStored(inserted, wantGrants):
		for _, r := range rs {
			r.err = nil
			if _, ok := inserted[r.create.v.Record]; !ok {
				r.err = fmt.Errorf("record %s exists: %w", r.create.v.Record, store.ErrConflict)
			}
		}
		c.bulk.Add(uint64(len(inserted)))
		return true, nil
	}
	if _, err := tx.Exec(ctx, `ROLLBACK TO SAVEPOINT `+bulkSavepoint); err != nil {
		return false, err
	}
	return false, nil
}

// grantsStored reports whether every inserted record got all its grants.
func grantsStored(inserted, want map[store.RecordID]int64) bool {
	for rec, n := range inserted {
		if want[rec] != n {
			return false
		}
	}
	return true
}
