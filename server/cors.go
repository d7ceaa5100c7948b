package server

import (
	"net/http"
	"slices"
)

// cors lets pages of the web origins the operator names (serve
// --cors-origin) call this API from their own origin: a patient's portal on
// another Blindvault server moving their records here (client-v1 §9). The API
// authenticates with bearer tokens, never cookies, so credentials are not
// allowed and an allowed origin's page gains nothing but the requests its own
// tokens already permit. A request from any other origin gets no CORS header,
// and the browser keeps its answer from the page.
func cors(origins []string, next http.Handler) http.Handler {
	if len(origins) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		h := w.Header()
		h.Add("Vary", "Origin")
		if origin == "" || !slices.Contains(origins, origin) {
			next.ServeHTTP(w, r)
			return
		}
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Expose-Headers", "Retry-After, Content-Range")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			// A preflight: the methods and headers the API uses, for ten minutes.
			h.Set("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, DELETE")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Content-Range")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}
