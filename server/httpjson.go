package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/server/store"
)

// maxJSON bounds every JSON request body.
const maxJSON = 64 << 10

// apiError is an error with the HTTP status and stable code a client sees.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func errorf(status int, code, format string, a ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, a...)}
}

// Common API errors.
var (
	errUnauthenticated = &apiError{http.StatusUnauthorized, "unauthenticated", "a valid session token is required"}
	errForbidden       = &apiError{http.StatusForbidden, "forbidden", "not allowed"}
	errNotFound        = &apiError{http.StatusNotFound, "not_found", "no such object"}
	errMethod          = &apiError{http.StatusMethodNotAllowed, "method_not_allowed", "the route does not answer this method"}
)

// rateLimited is a refusal by a rate limit; it becomes 429 with Retry-After.
type rateLimited struct{ wait time.Duration }

func (e *rateLimited) Error() string { return "rate limited" }

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// decodeJSON reads one JSON object of at most maxJSON bytes into v, refusing
// unknown fields and trailing data.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	return decodeJSONUpTo(w, r, v, maxJSON)
}

// decodeJSONUpTo is decodeJSON for a body of at most limit bytes.
func decodeJSONUpTo(w http.ResponseWriter, r *http.Request, v any, limit int64) error {
	if err := requireJSON(r); err != nil {
		return err
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errorf(http.StatusRequestEntityTooLarge, "too_large", "JSON body over %d bytes", limit)
		}
		return errorf(http.StatusBadRequest, "bad_json", "%v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errorf(http.StatusBadRequest, "bad_json", "data after the JSON object")
	}
	return nil
}

// requireJSON refuses a request body of another media type than
// application/json with 415. A request without Content-Type is read as JSON,
// as it always was.
func requireJSON(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		return errorf(http.StatusUnsupportedMediaType, "bad_content_type", "the body must be application/json")
	}
	return nil
}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// writeError maps err to a status and a JSON body {"error": {"code", "message"}}.
// Store errors become their HTTP meaning (an unreachable database or bucket is
// 503 with Retry-After, which clients may retry); anything unknown is a 500 whose detail
// goes to the log, not to the client.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	var rl *rateLimited
	switch {
	case errors.As(err, &rl):
		tooMany(w, rl.wait)
		return
	case errors.As(err, &ae):
	case errors.Is(err, store.ErrNotFound):
		ae = errNotFound
	case errors.Is(err, store.ErrConflict):
		ae = errorf(http.StatusPreconditionFailed, "conflict", "the object changed; fetch the head and retry")
	case errors.Is(err, store.ErrExists):
		ae = errorf(http.StatusConflict, "exists", "already exists")
	case errors.Is(err, store.ErrTooLarge):
		ae = errorf(http.StatusRequestEntityTooLarge, "too_large", "body over the limit")
	case errors.Is(err, store.ErrInvalid):
		ae = errorf(http.StatusBadRequest, "invalid", "invalid request")
	case errors.Is(err, store.ErrUnavailable):
		s.log.WarnContext(r.Context(), "store unavailable", "method", r.Method, "route", routeName(s.router, r), "err", err)
		unavailable(w)
		return
	default:
		s.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "route", routeName(s.router, r), "err", err)
		ae = errorf(http.StatusInternalServerError, "internal", "internal error")
	}
	writeJSON(w, ae.Status, api.Error{Error: api.ErrorDetail{Code: ae.Code, Message: ae.Message}})
}
