package postgres

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/blindvault/blindvault/server/store/blob"
)

// unavailable reports an error that says the database or the blob store
// could not be reached, or is shutting down, starting up or out of
// resources: a client may retry later (store.ErrUnavailable, 503). An answer
// the database gave about the query itself is not one.
func unavailable(err error) bool {
	var pe *pgconn.PgError
	var ce *pgconn.ConnectError
	var ne net.Error
	var be *bodyReadError
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false // the caller gave up
	case errors.As(err, &be):
		return false // the caller's body failed, not the store
	case errors.As(err, &pe):
		return unavailableState(pe.Code)
	case errors.Is(err, blob.ErrUnavailable), errors.As(err, &ce), errors.Is(err, pgconn.ErrConnClosed),
		errors.As(err, &ne), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EPIPE):
		return true
	}
	return pgconn.SafeToRetry(err)
}

// unavailableState reports the SQLSTATEs of a server that cannot serve now:
// class 08 (connection exception), class 53 (insufficient resources: disk
// full, out of memory, too many connections) and 57P01-57P03 (shutting
// down, crashed, starting up).
func unavailableState(code string) bool {
	return strings.HasPrefix(code, "08") || strings.HasPrefix(code, "53") ||
		code == "57P01" || code == "57P02" || code == "57P03"
}
