// Package local runs a complete Blindvault server inside the calling program,
// on a loopback port over a bbolt file, for demos, examples and development.
// It serves plain HTTP, which is safe only because it listens on 127.0.0.1;
// production servers run `blindvault serve` with TLS.
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

	hs   *http.Server
	done chan error
}

// Start starts a server over DIR/blindvault.db with fresh random secrets.
func Start(ctx context.Context, dir string) (*Server, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "blindvault.db")
	st, err := bolt.Open(path, nil)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		st.Close()
		return nil, err
	}
	origin := "http://" + ln.Addr().String()
	// One machine's users share one address here: the per-address and
	// per-account limits are set for a crowd, not for a demo's bursts.
	srv, err := server.New(server.Config{Store: st, Origin: origin, Secrets: server.Secrets{
		OPRFSeed: random(), SessionPepper: random(), InvitePepper: random()},
		RateAddress: server.RateLimit{Rate: 1000, Burst: 2000}, RateAccount: server.RateLimit{Rate: 500, Burst: 1000}})
	if err == nil {
		_, err = srv.Bootstrap(ctx, dir)
	}
	var invite []byte
	if err == nil {
		invite, err = os.ReadFile(filepath.Join(dir, server.BootstrapFile))
	}
	if err != nil {
		ln.Close()
		st.Close()
		return nil, fmt.Errorf("local server: %w", err)
	}
	s := &Server{URL: origin, AdminInvite: strings.TrimSpace(string(invite)), LogKey: srv.LogVerifierKey(), DBPath: path, Store: st,
		hs: &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}, done: make(chan error, 1)}
	go func() { s.done <- s.hs.Serve(ln) }()
	return s, nil
}

// Close stops the server and closes its store.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.hs.Shutdown(ctx)
	if serr := <-s.done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return errors.Join(err, s.Store.Close())
}

func random() []byte {
	k := make([]byte, 32)
	rand.Read(k)
	return k
}
