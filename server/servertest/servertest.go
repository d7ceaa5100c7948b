// Package servertest starts a real Blindvault server for tests outside package
// server: the whole HTTP API on a loopback listener, over a bbolt file in the
// test's temporary directory. Tests of clients use it instead of a mock.
package servertest

import (
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/secrets"
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
}

// Start starts a server that stops when the test ends. cfg's Store, Origin and
// Secrets are filled in (fresh random secrets); other fields keep their values
// or defaults.
func Start(t testing.TB, cfg server.Config) *Server {
	t.Helper()
	return StartBehind(t, cfg, func(h http.Handler) http.Handler { return h })
}

// StartBehind is Start with the server's handler wrapped by wrap: a test
// that plays a malicious operator, or a broken network, rewrites answers
// there while the server's origin stays its own URL.
func StartBehind(t testing.TB, cfg server.Config, wrap func(http.Handler) http.Handler) *Server {
	t.Helper()
	path := filepath.Join(t.TempDir(), "blindvault.db")
	st, err := bolt.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(nil)
	cfg.Store = st
	cfg.Origin = "http://" + ts.Listener.Addr().String()
	cfg.Secrets = server.Secrets{OPRFSeed: random(), SessionPepper: random(), InvitePepper: random()}
	if cfg.Sealer == nil {
		box, err := secrets.Open(t.Context(), st, random())
		if err != nil {
			st.Close()
			t.Fatal(err)
		}
		cfg.Sealer = box
	}
	srv, err := server.New(cfg)
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	dir := filepath.Dir(path)
	if _, err := srv.Bootstrap(t.Context(), dir); err != nil {
		st.Close()
		t.Fatal(err)
	}
	invite, err := os.ReadFile(filepath.Join(dir, server.BootstrapFile))
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	ts.Config.Handler = wrap(srv.Handler())
	ts.Start()
	t.Cleanup(func() {
		ts.Close()
		st.Close()
	})
	return &Server{URL: ts.URL, HTTP: ts.Client(), Store: st, Path: path, AdminInvite: strings.TrimSpace(string(invite)), LogKey: srv.LogVerifierKey()}
}

func random() []byte {
	k := make([]byte, 32)
	rand.Read(k)
	return k
}
