package server

import (
	"crypto/rand"
	"github.com/blindvault/blindvault/server/secrets"
	"net/http"
	"net/http/httptest"
	"net/netip"
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

// loopback trusts the test's own connections to name a client address in
// X-Forwarded-For, so that a test can play several clients (see from).
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// from returns ts with a client whose requests claim to come from addr; the
// server believes it only if it was started with TrustedProxies: loopback.
func (ts *testServer) from(addr string) *testServer {
	c := *ts
	c.HTTP = &http.Client{Transport: forwardedFor{addr, ts.HTTP.Transport}}
	return &c
}

type forwardedFor struct {
	addr string
	next http.RoundTripper
}

func (f forwardedFor) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", f.addr)
	return f.next.RoundTrip(r)
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
// testMasterKey is the master key of every test server's secrets.
var testMasterKey = randomKey()

func serveTest(t testing.TB, cfg Config, st store.Store) *testServer {
	t.Helper()
	cfg.Store = st
	if cfg.Secrets.OPRFSeed == nil {
		cfg.Secrets = Secrets{OPRFSeed: randomKey(), SessionPepper: randomKey(), InvitePepper: randomKey()}
	}
	if cfg.Sealer == nil {
		// One master key for the test binary: servers sharing a store (as
		// with PostgreSQL) open its keyset with the same key, as in production.
		box, err := secrets.Open(t.Context(), st, testMasterKey)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Sealer = box
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
