package server

import "github.com/gorilla/mux"

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
	s.opsRoutes(r)      // ops.go: health, readiness, metrics

	s.deletionRoutes(v1) // account_deletion.go: account deletion
	r.Use(noteRoute)
	return r
}
