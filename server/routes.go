package server

import (
	"net/http"
	"strings"

	"github.com/gorilla/mux"
)

// routes builds the router. Each group lives in the file named after it.
func (s *Server) routes() *mux.Router {
	r := mux.NewRouter()
	v1 := r.PathPrefix("/v1").Subrouter()
	s.accountRoutes(v1) // accounts.go: registration, key directory, devices
	s.sessionRoutes(v1) // sessions.go: challenge, session, logout
	s.adminRoutes(v1)   // admin.go: invites, suspension, snapshots
	s.recordRoutes(v1)  // records.go: versions, bodies, lists, deletion
	s.sharingRoutes(v1) // sharing.go: ACLs, grants, shared with me
	s.chainRoutes(v1)   // chains.go: account chains
	s.backupRoutes(v1)  // backup.go: OPRF, backup release
	s.mfaRoutes(v1)     // mfa.go: second factors
	s.logRoutes(v1)     // translog.go: checkpoints, entries, proofs
	s.tileRoutes(r)     // translog_tiles.go: the log as c2sp.org/tlog-tiles, under /log
	s.opsRoutes(r)      // ops.go: health, readiness, metrics

	s.deletionRoutes(v1) // account_deletion.go: account deletion
	r.Use(noteRoute)
	// Unknown routes and methods answer the JSON error body of every other
	// error (httpjson.go).
	miss := s.public(func(w http.ResponseWriter, req *http.Request) error { return routeMiss(r, w, req) })
	r.NotFoundHandler, r.MethodNotAllowedHandler = miss, miss
	return r
}

// routeMiss is the error of a request no route serves: 405 with Allow where
// routes serve its path with other methods, else 404. It asks the router
// itself: mux's own 405 is lost when a later route of a subrouter matches
// the /v1 prefix.
func routeMiss(router *mux.Router, w http.ResponseWriter, r *http.Request) error {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
		other := r.WithContext(r.Context())
		other.Method = m
		var rm mux.RouteMatch
		if m != r.Method && router.Match(other, &rm) && rm.MatchErr == nil {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		return errNotFound
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	return errMethod
}
