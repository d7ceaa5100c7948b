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

func (s *Store) UpdateSharing(ctx context.Context, sw store.SharingWrite) error {
	if err := check.SharingWrite(sw); err != nil {
		return fmt.Errorf("update sharing: %w", err)
	}
	return s.write(ctx, "update sharing", func(ctx context.Context, tx pgx.Tx) error {
		h, err := ownedHead(ctx, tx, sw.Record, sw.Owner)
		if err != nil {
			return err
		}
		if err := applySharing(ctx, now{tx}, &h, sw.Sharing, sw.Time); err != nil {
			return err
		}
		if err := updateHead(ctx, tx, h); err != nil {
			return err
		}
		return appendChain(ctx, now{tx}, sw.Chain)
	})
}

// applySharing checks a sharing change against the locked head h and each
// grant's holder (an account, or a group: a live record), then
// revokes, stores the ACL and stores the grants, each replacing any grant
// of the same epoch and recipient.
func applySharing(ctx context.Context, q stmts, h *store.Head, sh store.Sharing, at time.Time) error {
	if sh.ACL != nil && sh.ACL.Seq != h.ACLSeq+1 {
		return fmt.Errorf("acl seq %d, current %d: %w", sh.ACL.Seq, h.ACLSeq, store.ErrConflict)
	}
	if len(sh.Revoke) > 0 {
		keys := make([][]byte, len(sh.Revoke))
		for i := range sh.Revoke {
			keys[i] = sh.Revoke[i][:]
		}
		if err := q.exec(ctx, nil, `UPDATE grants SET revoked = $3 WHERE record = $1 AND recipient = ANY($2) AND revoked = 0`,
			h.Record[:], keys, ts(at)); err != nil {
			return err
		}
	}
	if sh.ACL != nil {
		if err := q.exec(ctx, nil, `INSERT INTO acls (record, seq, hash, signed, created) VALUES ($1, $2, $3, $4, $5)`,
			h.Record[:], int64(sh.ACL.Seq), sh.ACL.Hash[:], sh.ACL.Signed, ts(sh.ACL.Created)); err != nil {
			return err
		}
		h.ACLSeq = sh.ACL.Seq
	}
	for _, g := range sh.Grants {
		// The holder's check is the insert's condition: no row, no holder.
		noHolder := func() error { return fmt.Errorf("grant: account %s: %w", g.Account, store.ErrNotFound) }
		err := q.exec(ctx, changed("grant", noHolder), `INSERT INTO grants (record, epoch, recipient, account, signed, created) SELECT $1, $2, $3, $4::bytea, $5, $6
			WHERE EXISTS (SELECT 1 FROM accounts WHERE id = $4) OR EXISTS (SELECT 1 FROM heads WHERE record = $4 AND deleted = 0)
			ON CONFLICT (record, epoch, recipient) DO UPDATE SET account = excluded.account, signed = excluded.signed,
			created = excluded.created, revoked = 0`,
			h.Record[:], int64(g.Epoch), g.Recipient[:], g.Account[:], g.Signed, ts(g.Created))
		if err != nil {
			return err
		}
	}
	return nil
}

// ACL reads the record's ACL seq (0: the current one) in one statement:
// every update's checks read it, so no transaction around a read of the
// head and one of the ACL.
func (s *Store) ACL(ctx context.Context, id store.RecordID, seq uint64) (store.ACL, error) {
	return get(ctx, s, "acl", func(q querier) (store.ACL, error) {
		var a store.ACL
		var current int64
		var hash []byte
		var created *int64
		err := q.QueryRow(ctx, `SELECT h.acl_seq, a.hash, a.signed, a.created FROM heads h
			LEFT JOIN acls a ON a.record = h.record AND a.seq = CASE WHEN $2 = 0 THEN h.acl_seq ELSE $2 END
			WHERE h.record = $1`, id[:], int64(min(seq, 1<<63-1))).Scan(&current, &hash, &a.Signed, &created)
		if err != nil {
			return store.ACL{}, fmt.Errorf("record %s: %w", id, mapErr(err))
		}
		if seq == 0 {
			seq = uint64(current)
		}
		if created == nil {
			return store.ACL{}, fmt.Errorf("acl %d: %w", seq, store.ErrNotFound)
		}
		a.Seq, a.Created = seq, fromTS(*created)
		return a, id32(&a.Hash, hash)
	})
}

const grantColumns = `epoch, recipient, account, signed, created, revoked FROM grants`

func scanGrant(row pgx.Row) (store.Grant, error) {
	var g store.Grant
	var epoch, created, revoked int64
	var recipient, acct []byte
	if err := row.Scan(&epoch, &recipient, &acct, &g.Signed, &created, &revoked); err != nil {
		return store.Grant{}, err
	}
	g.Epoch, g.Created, g.Revoked = uint32(epoch), fromTS(created), fromTS(revoked)
	return g, errors.Join(id32(&g.Recipient, recipient), id32(&g.Account, acct))
}

func (s *Store) Grants(ctx context.Context, id store.RecordID) ([]store.Grant, error) {
	return s.grants(ctx, "grants", id, `SELECT `+grantColumns+` WHERE record = $1 ORDER BY epoch, recipient`, id[:])
}

func (s *Store) GrantsFor(ctx context.Context, id store.RecordID, account store.AccountID) ([]store.Grant, error) {
	return s.grants(ctx, "grants for", id, `SELECT `+grantColumns+` WHERE record = $1 AND account = $2 AND revoked = 0 ORDER BY epoch, recipient`, id[:], account[:])
}

func (s *Store) grants(ctx context.Context, what string, id store.RecordID, sql string, args ...any) ([]store.Grant, error) {
	var gs []store.Grant
	err := s.read(ctx, what, func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM heads WHERE record = $1`, id[:]).Scan(&one); err != nil {
			return fmt.Errorf("record %s: %w", id, mapErr(err))
		}
		rows, _ := tx.Query(ctx, sql, args...)
		var err error
		gs, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Grant, error) { return scanGrant(r) })
		return err
	})
	return gs, err
}
