package server

import (
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gorilla/mux"

	"github.com/blindvault/blindvault/server/store"
)

// Ids in URLs and JSON are 64 lowercase hex digits: one spelling per id, so
// that logs, caches and comparisons never disagree about which object is meant.

// parseID decodes a 32-byte id written as 64 lowercase hex digits.
func parseID(what, s string) ([32]byte, error) {
	var id [32]byte
	if len(s) != 64 {
		return id, errorf(http.StatusBadRequest, "bad_id", "%s is not 64 lowercase hex digits", what)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return id, errorf(http.StatusBadRequest, "bad_id", "%s is not 64 lowercase hex digits", what)
		}
	}
	hex.Decode(id[:], []byte(s)) // cannot fail: checked above
	return id, nil
}

// recordVar returns the {id} of the route as a record id.
func recordVar(r *http.Request) (store.RecordID, error) {
	id, err := parseID("record id", mux.Vars(r)["id"])
	return store.RecordID(id), err
}

// accountVar returns the {account} of the route as an account id.
func accountVar(r *http.Request) (store.AccountID, error) {
	id, err := parseID("account id", mux.Vars(r)["account"])
	return store.AccountID(id), err
}

// parseUint reads a decimal number ≥ min in canonical form: no sign, no
// leading zero, no spaces.
func parseUint(what, s string, min uint64) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n < min || (len(s) > 1 && s[0] == '0') {
		return 0, errorf(http.StatusBadRequest, "bad_number", "%s is not a decimal number ≥ %d", what, min)
	}
	return n, nil
}

// versionVar returns the {version} of the route, ≥ 1.
func versionVar(r *http.Request) (uint64, error) {
	return parseUint("version", mux.Vars(r)["version"], 1)
}

// Paging of list endpoints.
const (
	defaultLimit = 100
	maxLimit     = store.MaxList
)

// pageQuery reads ?after=ID&limit=N: after is exclusive and optional (the
// zero id starts at the beginning), limit is 1..maxLimit, default defaultLimit.
func pageQuery(q url.Values) (after [32]byte, limit int, err error) {
	if v := q.Get("after"); v != "" {
		if after, err = parseID("after", v); err != nil {
			return after, 0, err
		}
	}
	limit, err = limitQuery(q)
	return after, limit, err
}

// limitQuery reads ?limit=N: 1..maxLimit, default defaultLimit; more is 400,
// as the API documents the maximum.
func limitQuery(q url.Values) (int, error) {
	v := q.Get("limit")
	if v == "" {
		return defaultLimit, nil
	}
	n, err := parseUint("limit", v, 1)
	if err != nil {
		return 0, err
	}
	if n > maxLimit {
		return 0, errorf(http.StatusBadRequest, "bad_limit", "limit is at most %d", maxLimit)
	}
	return int(n), nil
}
