package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/secrets"
	"github.com/blindvault/blindvault/server/web"
)

// serveConfig is what the serve flags say.
type serveConfig struct {
	data, addr, origin       string
	store, blobs, logKeyFile string
	tlsCert, tlsKey          string
	devTLS, insecureHTTP     bool
	masterKeyFile            string
	web                      string
	maxBody                  int64
	storeCommitters          int
	noPatientSignup          bool
	trustedProxies           listFlag
	webauthnOrigins          listFlag
	corsOrigins, webConnect  listFlag
	shutdownGrace, idleTime  time.Duration
	headerTimeout            time.Duration
	sweepEvery, compactEvery time.Duration
	deletionRetention        time.Duration
	alertWebhook             string
	alertSecretFile          string
	rateAddress, rateAccount rateFlag
}

func runServe(ctx context.Context, args []string, s stdio) error {
	var c serveConfig
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.StringVar(&c.data, "data", "", "data `directory` (created 0700 if missing)")
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8443", "listen `address` HOST:PORT")
	fs.StringVar(&c.origin, "origin", "", "public `URL` clients use (default https://ADDR, or http:// with --insecure-http)")
	fs.StringVar(&c.tlsCert, "tls-cert", "", "TLS certificate `file` (PEM)")
	fs.StringVar(&c.tlsKey, "tls-key", "", "TLS private key `file` (PEM)")
	fs.BoolVar(&c.devTLS, "dev-tls", false, "serve TLS with a fresh self-signed certificate and print its fingerprint")
	fs.BoolVar(&c.insecureHTTP, "insecure-http", false, "serve plain HTTP (only on a loopback address)")
	fs.StringVar(&c.store, "store", "", "storage `URL`: postgres://USER@HOST/DB for PostgreSQL, shared by any number of servers (default: $"+storeEnv+", or bbolt in DATA/blindvault.db)")
	fs.StringVar(&c.blobs, "blobs", "", "with --store postgres: keep bodies in an S3-compatible bucket, s3://BUCKET[/PREFIX]?endpoint=URL&region=R (default: $"+blobsEnv+"; credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)")
	fs.IntVar(&c.storeCommitters, "store-committers", 0, "with --store postgres: how many group commits this server runs at once (default 2); servers sharing one database share its committers, about one per database core in all (docs/operations.md)")
	fs.StringVar(&c.logKeyFile, "log-key-file", "", "transparency log signing key `file` (default DATA/log-key, created on first start); every server over one store needs the same one")
	fs.StringVar(&c.masterKeyFile, "master-key-file", "", "master key `file` (default: $BLINDVAULT_MASTER_KEY, or DATA.master-key created on first start)")
	fs.Int64Var(&c.maxBody, "max-body", 1<<30, "largest record body in `bytes`")
	fs.BoolVar(&c.noPatientSignup, "no-patient-signup", false, "refuse self-registration of patients")
	fs.DurationVar(&c.headerTimeout, "header-timeout", 10*time.Second, "time a client has to send its request headers")
	fs.DurationVar(&c.sweepEvery, "sweep-every", 10*time.Minute, "how often expired sessions, invites and abandoned uploads are removed")
	fs.DurationVar(&c.compactEvery, "compact-every", 24*time.Hour, "how often the database is compacted, purging deleted data (0: never)")
	fs.DurationVar(&c.deletionRetention, "deletion-retention", server.DefaultDeletionRetention,
		"how long a deleted account can be restored by its owner before it is purged (at most 2160h, 90 days; 0: purge at the next sweep)")
	fs.StringVar(&c.web, "web", "", "serve the browser app (the patient portal: examples/browser, after make portal) from `directory` beside the API, under a strict Content-Security-Policy")
	fs.StringVar(&c.alertWebhook, "alert-webhook", "", "post operator alerts (docs/alerts.md) to this `URL`, signed with --alert-webhook-secret-file")
	fs.StringVar(&c.alertSecretFile, "alert-webhook-secret-file", "", "`file` holding the webhook's HMAC secret (at least 32 bytes)")
	fs.Var(&c.webauthnOrigins, "webauthn-origin", "web `origin` (https://HOST[:PORT]) where passkeys are enrolled and used (repeatable; default --origin); the first one's host is the WebAuthn relying party id, so it must be a host name, not an address")
	fs.Var(&c.corsOrigins, "cors-origin", "web `origin` (https://HOST[:PORT]) whose pages may call this API from their own origin, such as another server's portal moving a patient here (repeatable; default none)")
	fs.Var(&c.webConnect, "web-connect", "with --web: an `origin` the portal's pages may also connect to, such as a server patients may move to, which must name this server with --cors-origin (repeatable)")
	fs.Var(&c.rateAddress, "rate-address", "requests a second per client address and their burst, `RATE/BURST`, or off (default 50/100)")
	fs.Var(&c.rateAccount, "rate-account", "requests a second per account and their burst, `RATE/BURST`, or off (default 20/60; each account also has an allowance per record it holds)")
	fs.Var(&c.trustedProxies, "trusted-proxy", "`CIDR` of a reverse proxy allowed to set X-Forwarded-For (repeatable)")
	c.shutdownGrace, c.idleTime = 30*time.Second, 2*time.Minute
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || c.data == "" {
		return usagef("usage: blindvault serve --data DIR [--addr HOST:PORT] (--tls-cert F --tls-key F | --dev-tls | --insecure-http)")
	}
	if c.web != "" {
		if _, err := os.Stat(filepath.Join(c.web, "index.html")); err != nil {
			return usagef("--web %s: %v", c.web, err)
		}
	}
	if c.origin == "" && listensEverywhere(c.addr) {
		// The default origin would be the listener's own address ([::]:PORT):
		// no client could sign for it, and it names the log for good.
		return usagef("--addr %s listens on every address: give --origin, the URL clients use (such as https://vault.example:8443); it also names the transparency log, for good", c.addr)
	}
	return serve(ctx, c, s)
}

// listensEverywhere reports whether addr binds every interface (no host, or
// an unspecified address).
func listensEverywhere(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false // net.Listen says what is wrong with it
	}
	ip, err := netip.ParseAddr(host)
	return host == "" || (err == nil && ip.IsUnspecified())
}

func serve(ctx context.Context, c serveConfig, s stdio) error {
	tlsConf, scheme, err := c.transport(s)
	if err != nil {
		return err
	}
	var proxies []netip.Prefix
	for _, p := range c.trustedProxies {
		pfx, err := netip.ParsePrefix(p)
		if err != nil {
			return usagef("--trusted-proxy %q: %v", p, err)
		}
		proxies = append(proxies, pfx)
	}
	for _, o := range append(append([]string(nil), c.corsOrigins...), c.webConnect...) {
		if err := checkWebOrigin(o); err != nil {
			return usagef("--cors-origin or --web-connect %q: %v", o, err)
		}
	}
	if err := os.MkdirAll(c.data, 0o700); err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(s.err, nil))
	st, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	masterKey, err := c.masterKey(s)
	if err != nil {
		return err
	}
	var sealer *secrets.Box // declared before the variable that shadows the package
	var secrets server.Secrets
	err = exclusive(ctx, st, func() (err error) {
		secrets, sealer, err = loadServerSecrets(ctx, st, masterKey)
		return err
	})
	clear(masterKey)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	origin := c.origin
	if origin == "" {
		origin = scheme + "://" + ln.Addr().String()
	}
	logKeyFile := c.logKeyFile
	if logKeyFile == "" {
		logKeyFile = filepath.Join(c.data, logKeyFileName)
	}
	logSigner, logKey, err := loadLogKey(logKeyFile, server.LogOrigin(origin))
	if err != nil {
		ln.Close()
		return err
	}
	webhook, err := c.webhookConfig()
	if err != nil {
		ln.Close()
		return err
	}
	srv, err := server.New(server.Config{Store: st, Origin: origin, Logger: log, MaxBody: c.maxBody,
		NoPatientSignup: c.noPatientSignup, Secrets: secrets, Sealer: sealer, TrustedProxies: proxies,
		LogSigner: logSigner, LogVerifierKey: logKey, LogOrigin: logSigner.Name(), WebAuthnOrigins: c.webauthnOrigins, CORSOrigins: c.corsOrigins,
		DeletionRetention: retentionConfig(c.deletionRetention), AlertWebhook: webhook,
		RateAddress: server.RateLimit(c.rateAddress), RateAccount: server.RateLimit(c.rateAccount)})
	if err != nil {
		ln.Close()
		return err
	}
	var created bool
	err = exclusive(ctx, st, func() (err error) {
		if err := checkLogKey(ctx, st, logKey); err != nil {
			return err
		}
		created, err = srv.Bootstrap(ctx, c.data)
		return err
	})
	if err != nil {
		ln.Close()
		return err
	} else if created {
		fmt.Fprintf(s.err, "First start: a one-time admin invite is in %s (mode 0600).\n", filepath.Join(c.data, "bootstrap-invite"))
	}

	handler := srv.Handler()
	if c.web != "" {
		handler = web.Handler(handler, c.web, c.webConnect...)
	}
	hs := &http.Server{
		Handler:           handler,
		TLSConfig:         tlsConf,
		ReadHeaderTimeout: c.headerTimeout,
		// Bodies up to 1 GiB must fit; a client slower than ~2 MB/s over the
		// whole upload is cut off.
		ReadTimeout:    10 * time.Minute,
		WriteTimeout:   10 * time.Minute,
		IdleTimeout:    c.idleTime,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go srv.Maintain(ctx, c.sweepEvery, c.compactEvery)
	go srv.DeliverAlerts(ctx)
	fmt.Fprintf(s.err, "Transparency log key (clients pin it): %s\n", logKey)
	fmt.Fprintf(s.err, "Blindvault listening on %s://%s (origin %s)\n", scheme, ln.Addr(), origin)
	errc := make(chan error, 1)
	go func() {
		if tlsConf != nil {
			errc <- hs.ServeTLS(ln, "", "")
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(s.err, "Shutting down: finishing requests in flight.")
	sctx, cancel := context.WithTimeout(context.Background(), c.shutdownGrace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// transport decides between TLS 1.3 (given or development certificate) and plain
// HTTP, which is allowed only on a loopback address.
func (c *serveConfig) transport(s stdio) (*tls.Config, string, error) {
	modes := 0
	for _, on := range []bool{c.tlsCert != "" || c.tlsKey != "", c.devTLS, c.insecureHTTP} {
		if on {
			modes++
		}
	}
	if modes != 1 {
		return nil, "", usagef("choose exactly one of --tls-cert/--tls-key, --dev-tls and --insecure-http")
	}
	host, _, err := net.SplitHostPort(c.addr)
	if err != nil {
		return nil, "", usagef("--addr %q: %v", c.addr, err)
	}
	conf := &tls.Config{MinVersion: tls.VersionTLS13}
	switch {
	case c.insecureHTTP:
		ip := net.ParseIP(host)
		if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return nil, "", usagef("--insecure-http is allowed only on a loopback address, not %q", host)
		}
		return nil, "http", nil
	case c.devTLS:
		cert, fp, err := devCertificate(host)
		if err != nil {
			return nil, "", err
		}
		conf.Certificates = []tls.Certificate{cert}
		fmt.Fprintf(s.err, "Development TLS certificate, SHA-256 fingerprint:\n  %s\n", fp)
	default:
		if c.tlsCert == "" || c.tlsKey == "" {
			return nil, "", usagef("--tls-cert and --tls-key go together")
		}
		cert, err := tls.LoadX509KeyPair(c.tlsCert, c.tlsKey)
		if err != nil {
			return nil, "", err
		}
		conf.Certificates = []tls.Certificate{cert}
	}
	return conf, "https", nil
}

// masterKey reads the master key (masterKeyFile), creating the default key file
// on first start.
func (c *serveConfig) masterKey(s stdio) ([]byte, error) {
	file, isDefault := masterKeyFile(c.data, c.masterKeyFile)
	if isDefault {
		if _, err := os.Stat(file); errors.Is(err, os.ErrNotExist) {
			if err := secrets.GenerateMasterKey(file); err != nil {
				return nil, err
			}
			fmt.Fprintf(s.err, "Created the master key %s (mode 0600). Keep it out of data backups.\n", file)
		}
	}
	return secrets.LoadMasterKey(file, nil)
}

// masterKeyFile says where the master key comes from: the --master-key-file flag;
// or, if BLINDVAULT_MASTER_KEY is set, the environment ("" for secrets.LoadMasterKey);
// or else DATA.master-key beside the data directory (isDefault), so that copying
// the data directory does not copy the key.
func masterKeyFile(data, flag string) (file string, isDefault bool) {
	if flag != "" || os.Getenv(secrets.MasterKeyEnv) != "" {
		return flag, false
	}
	return filepath.Clean(data) + ".master-key", true
}

// webhookConfig reads the operator-alert webhook's flags: none, or a URL
// and a secret of at least 32 bytes.
func (c *serveConfig) webhookConfig() (*server.WebhookConfig, error) {
	if c.alertWebhook == "" {
		if c.alertSecretFile != "" {
			return nil, usagef("--alert-webhook-secret-file needs --alert-webhook")
		}
		return nil, nil
	}
	u, err := url.Parse(c.alertWebhook)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, usagef("--alert-webhook: %q is not an http(s) URL", c.alertWebhook)
	}
	if c.alertSecretFile == "" {
		return nil, usagef("--alert-webhook needs --alert-webhook-secret-file")
	}
	secret, err := readSmallFile(c.alertSecretFile)
	if err != nil {
		return nil, fmt.Errorf("alert webhook secret: %w", err)
	}
	secret = bytes.TrimSpace(secret)
	if len(secret) < 32 {
		return nil, usagef("the alert webhook secret in %s is shorter than 32 bytes", c.alertSecretFile)
	}
	return &server.WebhookConfig{URL: c.alertWebhook, Secret: secret}, nil
}

// checkWebOrigin accepts a web origin as browsers send it: http or https,
// a host, an optional port, and nothing else.
func checkWebOrigin(o string) error {
	u, err := url.Parse(o)
	switch {
	case err != nil:
		return err
	case u.Scheme != "https" && u.Scheme != "http", u.Host == "", u.User != nil, u.Path != "", u.RawQuery != "", u.Fragment != "":
		return errors.New("want an origin: https://HOST[:PORT], with no path")
	case strings.ContainsAny(o, " ;,'"):
		return errors.New("an origin has no spaces, commas, semicolons or quotes")
	}
	return nil
}
