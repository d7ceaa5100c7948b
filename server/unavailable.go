package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/blindvault/blindvault/internal/api"
)

// retryUnavailable is the wait a 503 asks for: long enough for a database
// failover or restart to progress, short enough that a client's retry soon
// succeeds once it is back.
const retryUnavailable = 2 * time.Second

// unavailable answers 503 with Retry-After: the store's database or bucket
// cannot be reached just now (store.ErrUnavailable). A write that got this
// answer may or may not have been stored; a retried compare-and-swap write
// tells which.
func unavailable(w http.ResponseWriter) {
	w.Header().Set("Retry-After", strconv.Itoa(int(retryUnavailable/time.Second)))
	writeJSON(w, http.StatusServiceUnavailable, api.Error{Error: api.ErrorDetail{
		Code: "unavailable", Message: "storage is unavailable; retry later"}})
}
