// Package servertest starts a real Blindvault server for tests outside package
// server: the whole HTTP API on a loopback listener, over a bbolt file in the
// test's temporary directory. Tests of clients use it instead of a mock.
//
// It starts servers as package local does (local.StartConfig), and stops them
// when the test ends.
package servertest

import (
	"net/http"
	"testing"

	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/local"
	"github.com/blindvault/blindvault/server/store/bolt"
)

// Server is a running test server.
type Server struct {
	URL   string       // base URL, http://127.0.0.1:PORT; also the server's origin
	HTTP  *http.Client // a client for URL
	Store *bolt.Store  // the store behind it, for setting up and inspecting state
	Path  string       // the bbolt file
	// AdminInvite is the server's one-time bootstrap invite for an admin.
	AdminInvite string
	// LogKey is the transparency log's verifier key.
	LogKey string
	// API is the server itself, for its maintenance (PurgeDeletedAccounts).
	API *server.Server
}

// Start starts a server that stops when the test ends. cfg's Store, Origin and
// Secrets are filled in (fresh random secrets); other fields keep their values
// or defaults.
func Start(t testing.TB, cfg server.Config) *Server {
	t.Helper()
	return StartBehind(t, cfg, nil)
}

// StartBehind is Start with the server's handler wrapped by wrap: a test
// that plays a malicious operator, or a broken network, rewrites answers
// there while the server's origin stays its own URL.
func StartBehind(t testing.TB, cfg server.Config, wrap func(http.Handler) http.Handler) *Server {
	t.Helper()
	ls, err := local.StartConfig(t.Context(), t.TempDir(), cfg, wrap)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(func() {
		hc.CloseIdleConnections()
		if err := ls.Close(); err != nil {
			t.Logf("servertest: closing the server: %v", err)
		}
	})
	return &Server{URL: ls.URL, HTTP: hc, Store: ls.Store, Path: ls.DBPath, AdminInvite: ls.AdminInvite, LogKey: ls.LogKey, API: ls.API}
}
