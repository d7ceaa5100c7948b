package server

import (
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/server/store/bolt"
)

// testServer is a real server on loopback over a real bbolt file.
type testServer struct {
	*Server
	URL   string
	Path  string // the bbolt file
	Store *bolt.Store
	HTTP  *http.Client
}

// newTestServer starts a server for one test; cfg fields left zero get defaults,
// Store, Origin and Secrets are filled in.
func newTestServer(t testing.TB, cfg Config) *testServer {
	t.Helper()
	path := filepath.Join(t.TempDir(), "blindvault.db")
	st, err := bolt.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := serveTest(t, cfg, st)
	ts.Path, ts.Store = path, st
	return ts
}

// serveTest starts a server over st on loopback, closing st when the test
// ends. cfg's Secrets and Origin are kept if set (servers that share them are
// one server to clients), else made up.
func serveTest(t testing.TB, cfg Config, st store.Store) *testServer {
	t.Helper()
	cfg.Store = st
	if cfg.Secrets.OPRFSeed == nil {
		cfg.Secrets = Secrets{OPRFSeed: randomKey(), SessionPepper: randomKey(), InvitePepper: randomKey()}
	}
	ts := httptest.NewUnstartedServer(nil)
	if cfg.Origin == "" {
		cfg.Origin = "http://" + ts.Listener.Addr().String()
	}
	srv, err := New(cfg)
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	ts.Config.Handler = srv.Handler()
	ts.Start()
	t.Cleanup(func() {
		ts.Close()
		st.Close()
	})
	return &testServer{Server: srv, URL: ts.URL, HTTP: ts.Client()}
}

func randomKey() []byte {
	k := make([]byte, 32)
	rand.Read(k)
	return k
}

func TestNew_RejectsIncompleteConfig(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Fatalf("New(Config{}) = nil error, want an error")
	}
}
