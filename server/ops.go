package server

import (
	"net/http"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/blindvault/blindvault/internal/api"
)

// opsRoutes are for operators and orchestrators, outside /v1.
func (s *Server) opsRoutes(r *mux.Router) {
	r.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, api.Status{Status: "ok"})
	}).Methods(http.MethodGet)
	// Ready means the store answers a read.
	r.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		if _, err := s.store.Secret(r.Context(), "readyz-probe"); err != nil && !isNotFound(err) {
			writeJSON(w, http.StatusServiceUnavailable, api.Status{Status: "store unavailable"})
			return
		}
		writeJSON(w, http.StatusOK, api.Status{Status: "ready"})
	}).Methods(http.MethodGet)
	r.Handle("/metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{})).Methods(http.MethodGet)
}
