// Package local runs a complete Blindvault server inside the calling program,
// on a loopback port over a bbolt file, for demos, examples and development.
// It serves plain HTTP, which is safe only because it listens on 127.0.0.1;
// production servers run `blindvault serve` with TLS.
//
// It is also the base of package servertest: tests start their servers the
// same way, through StartConfig.
package local

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/secrets"
	"github.com/blindvault/blindvault/server/store/bolt"
)

// Server is a running in-process server.
type Server struct {
	URL string // http://127.0.0.1:PORT, also the origin sessions are bound to
	// AdminInvite is the one-time invite for the first admin account.
	AdminInvite string
	// LogKey is the transparency log's verifier key, for clients to pin.
	LogKey string
	// DBPath is the bbolt file: what an operator, or a thief, would hold.
	DBPath string
	Store  *bolt.Store
	// API is the server behind URL, for what its maintenance loop would do
	// (PurgeDeletedAccounts) without waiting for it.
	API *server.Server

	hs      *http.Server
	done    chan error
	cleanup func() error // removes what Close must remove beyond the store
}

// Start starts a server over DIR/blindvault.db with fresh random secrets and
// rate limits loose enough for one machine's users sharing one address.
func Start(ctx context.Context, dir string) (*Server, error) {
	return StartConfig(ctx, dir, demoConfig(), nil)
}

// demoConfig sets the rate limits of a demo: one machine's users share one
// address here, and the per-address and per-account limits are set for a
// crowd, not for a demo's bursts.
func demoConfig() server.Config {
	return server.Config{
		RateAddress: server.RateLimit{Rate: 1000, Burst: 2000},
		RateAccount: server.RateLimit{Rate: 500, Burst: 1000},
	}
}

// StartConfig starts a server over DIR/blindvault.db with cfg. Its Store,
// Origin and Secrets are filled in (fresh random secrets; an Origin of
// "http://localhost" becomes http://localhost:PORT); other fields keep
// their values or the server's defaults. If wrap is not nil, the server's
// handler is served through it: a test that plays a malicious operator
// rewrites answers there, and `blindvault serve --web` serves pages beside
// the API, while the origin stays the server's own URL.
func StartConfig(ctx context.Context, dir string, cfg server.Config, wrap func(http.Handler) http.Handler) (*Server, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("local server: %w", err)
	}
	path := filepath.Join(dir, "blindvault.db")
	st, err := bolt.Open(path, nil)
	if err != nil {
		return nil, fmt.Errorf("local server: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("local server: %w", err)
	}
	cfg.Store = st
	origin := "http://" + ln.Addr().String()
	if cfg.Origin == "http://localhost" {
		// A host name, for a test that needs one (WebAuthn refuses IP
		// addresses): localhost resolves to the loopback listener.
		origin = fmt.Sprintf("http://localhost:%d", ln.Addr().(*net.TCPAddr).Port)
	}
	cfg.Origin = origin
	cfg.Secrets = server.Secrets{OPRFSeed: random(), SessionPepper: random(), InvitePepper: random()}
	if cfg.Sealer == nil {
		// What the server seals (second-factor secrets) is sealed under a
		// master key that lives as long as this server.
		if cfg.Sealer, err = secrets.Open(ctx, st, random()); err != nil {
			ln.Close()
			st.Close()
			return nil, fmt.Errorf("local server: %w", err)
		}
	}
	srv, invite, err := bootstrap(ctx, dir, cfg)
	if err != nil {
		ln.Close()
		st.Close()
		return nil, fmt.Errorf("local server: %w", err)
	}
	h := srv.Handler()
	if wrap != nil {
		h = wrap(h)
	}
	s := &Server{URL: cfg.Origin, AdminInvite: invite, LogKey: srv.LogVerifierKey(), DBPath: path, Store: st, API: srv,
		hs: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}, done: make(chan error, 1)}
	go func() { s.done <- s.hs.Serve(ln) }()
	return s, nil
}

// bootstrap creates the server for cfg and its first admin's one-time invite,
// which it writes to dir and returns.
func bootstrap(ctx context.Context, dir string, cfg server.Config) (*server.Server, string, error) {
	srv, err := server.New(cfg)
	if err != nil {
		return nil, "", err
	}
	if _, err := srv.Bootstrap(ctx, dir); err != nil {
		return nil, "", err
	}
	invite, err := os.ReadFile(filepath.Join(dir, server.BootstrapFile))
	if err != nil {
		return nil, "", err
	}
	return srv, strings.TrimSpace(string(invite)), nil
}

// Close stops the server and closes its store. Requests still running after
// five seconds have their connections closed.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.hs.Shutdown(ctx)
	if err != nil {
		s.hs.Close()
	}
	if serr := <-s.done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	err = errors.Join(err, s.Store.Close())
	if s.cleanup != nil {
		err = errors.Join(err, s.cleanup())
	}
	return err
}

func random() []byte {
	k := make([]byte, 32)
	rand.Read(k)
	return k
}
