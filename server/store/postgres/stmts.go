package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// A write that can be pipelined is written against stmts, not against a
// transaction: each statement comes with the check of its result, and no
// statement's arguments depend on an earlier one's result. Run at once
// (now), each statement is a round trip and its check runs before the next
// is sent, as for any other write. Queued in a group commit's pipeline
// (pipe), the statements of every write of the batch go in one round trip
// and the checks run, in order, once the results are back: the first that
// fails fails its write, which commit.go then rolls back to its savepoint,
// with everything sent after it, and the writes after it are sent again.
// Either way a write's statements run in the order written, in its own
// savepoint, and a failed check leaves nothing of it.
type stmts interface {
	// exec sends sql; check, if not nil, judges its result and error (nil:
	// any error fails the write).
	exec(ctx context.Context, check func(pgconn.CommandTag, error) error, sql string, args ...any) error
	// row sends a query of at most one row; scan reads it (its Scan returns
	// the query's error).
	row(ctx context.Context, scan func(pgx.Row) error, sql string, args ...any) error
}

// changed is the check of a statement that must change a row: its error,
// mapped and prefixed with what, or none's if it changed nothing.
func changed(what string, none func() error) func(pgconn.CommandTag, error) error {
	return func(tag pgconn.CommandTag, err error) error {
		switch {
		case err != nil:
			return fmt.Errorf("%s: %w", what, mapErr(err))
		case tag.RowsAffected() == 0:
			return none()
		}
		return nil
	}
}

// now runs each statement at once in tx.
type now struct{ tx pgx.Tx }

func (n now) exec(ctx context.Context, check func(pgconn.CommandTag, error) error, sql string, args ...any) error {
	tag, err := n.tx.Exec(ctx, sql, args...)
	if check == nil {
		return err
	}
	return check(tag, err)
}

func (n now) row(ctx context.Context, scan func(pgx.Row) error, sql string, args ...any) error {
	return scan(n.tx.QueryRow(ctx, sql, args...))
}

// pipe queues the statements of several writes into one pgx.Batch.
type pipe struct {
	b     pgx.Batch
	items []pipeItem // one for each of b's queries
	w     int        // the write that statements queued now belong to
}

type pipeItem struct {
	w     int
	check func(pgconn.CommandTag, error) error
	scan  func(pgx.Row) error
}

func (p *pipe) exec(_ context.Context, check func(pgconn.CommandTag, error) error, sql string, args ...any) error {
	p.b.Queue(sql, args...)
	p.items = append(p.items, pipeItem{w: p.w, check: check})
	return nil
}

func (p *pipe) row(_ context.Context, scan func(pgx.Row) error, sql string, args ...any) error {
	p.b.Queue(sql, args...)
	p.items = append(p.items, pipeItem{w: p.w, scan: scan})
	return nil
}

// len and truncate let a write that failed before sending take back what it
// queued.
func (p *pipe) len() int { return len(p.items) }

func (p *pipe) truncate(n int) {
	p.b.QueuedQueries = p.b.QueuedQueries[:n]
	p.items = p.items[:n]
}

// send runs the queued statements in tx and their checks in order. It
// returns the write of the first that failed (-1 if none) and the error its
// check gave. Whether tx is still usable is for the caller to find out: a
// failed statement aborts what follows it, and a lost connection fails
// everything.
func (p *pipe) send(ctx context.Context, tx pgx.Tx) (failed int, ferr error, err error) {
	if len(p.items) == 0 {
		return -1, nil, nil
	}
	br := tx.SendBatch(ctx, &p.b)
	failed = -1
	for _, it := range p.items {
		var e error
		if it.scan != nil {
			e = it.scan(br.QueryRow())
		} else {
			tag, qerr := br.Exec()
			if e = qerr; it.check != nil {
				e = it.check(tag, qerr)
			}
		}
		if e != nil {
			failed, ferr = it.w, e
			break
		}
	}
	cerr := br.Close()
	if failed < 0 && cerr != nil {
		// A failure that no check saw: not one write's.
		return -1, nil, cerr
	}
	var pe *pgconn.PgError
	if cerr != nil && !errors.As(cerr, &pe) {
		// Not a statement's error: the connection's.
		return -1, nil, errors.Join(ferr, cerr)
	}
	return failed, ferr, nil
}
