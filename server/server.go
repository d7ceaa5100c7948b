package server

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/gorilla/mux"
	"golang.org/x/mod/sumdb/note"

	"github.com/blindvault/blindvault/server/store"
)

// Config configures a Server. Zero values take the defaults noted.
type Config struct {
	Store store.Store
	// Origin is the server's public URL ("https://vault.example:8443"); device
	// signatures bind it, so a signature made for one server is useless at another.
	Origin string
	Logger *slog.Logger // default: discard
	// MaxBody bounds record bodies (default 1 GiB); JSON bodies are bounded at 64 KiB.
	MaxBody int64
	// NoPatientSignup turns off self-registration of patients.
	NoPatientSignup bool
	// SessionIdle and SessionAbsolute bound sessions (defaults 30 min and 12 h).
	SessionIdle, SessionAbsolute time.Duration
	// DeletionRetention is how long a deleted account waits, cancellable by
	// its owner, before it is purged (account_deletion.go): default
	// DefaultDeletionRetention, at most MaxDeletionRetention; NoRetention
	// purges it at the next maintenance run.
	DeletionRetention time.Duration
	// CORSOrigins are the web origins ("https://portal.example") whose pages
	// may call this API across origins (cors.go); none by default.
	CORSOrigins []string
	// AlertWebhook, if set, receives operator alerts (alerts_webhook.go,
	// docs/alerts.md); DeliverAlerts posts them.
	AlertWebhook *WebhookConfig
	// Secrets are the server's own secrets, decrypted at start-up.
	Secrets Secrets
	// Sealer seals per-account secrets (TOTP second factors) in the store's
	// secrets bucket; *secrets.Box is one. Nil turns second factors off:
	// enrolment answers 501.
	Sealer Sealer
	// RateAddress and RateAccount limit requests per client address and per
	// account (defaults 50/s burst 100, and 20/s burst 60); a negative Rate
	// turns the limit off. A Store that is a store.RateLimiter keeps the
	// buckets, so that they hold across the servers sharing it.
	RateAddress, RateAccount RateLimit
	// RatePerRecord is the operation allowance an account has beyond
	// RateAccount, in requests per record it owns or reads, refilled over
	// an hour (default 16; negative: none): one list, export or share of
	// everything goes through in one go (ratelimit_allowance.go).
	RatePerRecord int
	// RateAnonymous limits the anonymous backup requests (oprf-key,
	// evaluate, challenge, release) per account and client address together
	// (default 2/s burst 20). They never spend an account's own allowance
	// (RateAccount), so no one can slow the owner's requests by naming the
	// owner's account.
	RateAnonymous RateLimit
	// RateUnknownEvaluations limits, per client address, OPRF evaluations
	// for ids that are not registered (default one every 10 s, burst 20): a
	// client evaluates once before it registers.
	RateUnknownEvaluations RateLimit
	// TrustedProxies may set X-Forwarded-For; no one else can.
	TrustedProxies []netip.Prefix
	// Now is the clock (default time.Now).
	Now func() time.Time
	// LogSigner signs the transparency log's checkpoints, and LogVerifierKey
	// is its public half (a note verifier key). Keep the log key apart from
	// the other secrets. Nil makes an ephemeral key, for tests only.
	LogSigner      note.Signer
	LogVerifierKey string
	// LogOrigin names the log in its checkpoints (default LogOrigin(Origin)).
	LogOrigin string
	// WebAuthnOrigins are the web origins passkeys are enrolled and used at
	// (default Origin); the first one's host name is the WebAuthn relying
	// party id. With the default, an Origin whose host is an IP address
	// turns passkeys off (their routes answer 501).
	WebAuthnOrigins []string
}

// Secrets are what the server must keep to itself. They are stored encrypted
// (see package secrets) and never logged.
type Secrets struct {
	OPRFSeed      []byte // per-account OPRF keys derive from it
	SessionPepper []byte // session tokens are stored as HMAC(pepper, token)
	InvitePepper  []byte // invite codes are stored as HMAC(pepper, code)
}

// Server serves API v1.
type Server struct {
	cfg          Config
	store        store.Store
	log          *slog.Logger
	router       *mux.Router
	handler      http.Handler
	metrics      *metrics
	rates        atomic.Pointer[rateLimits] // per address and per account (ratelimit_allowance.go)
	holdings     holdings                   // accounts' records, counted for their allowances
	anonLimit    *limiters                  // anonymous backup requests, per account and address
	unknownEvals *limiters                  // evaluations for unregistered ids, per address
	challenges   *challenges                // session nonces (ident_challenge.go)
	mfa          *mfaState                  // second factors (mfa.go)
	backup       *backupAPI                 // backup routes and their challenges (backup.go)
	checkpoints  *checkpoints
	alerts       *alerter                                       // operator alerts (alerts_webhook.go); nil without a webhook
	approved     *boundedCache[approvedKey, bool]               // emergency requests k holders approved (rec_threshold.go)
	requests     *boundedCache[store.AccountID, *chainRequests] // recent requests by account (rec_threshold.go)
	// noLog turns the transparency log off, for the benchmark that measures
	// what it costs; nothing else sets it.
	noLog bool
}

// New checks cfg and builds a Server.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("server: no store")
	}
	if cfg.Origin == "" {
		return nil, errors.New("server: no origin")
	}
	if len(cfg.Secrets.OPRFSeed) < 32 || len(cfg.Secrets.SessionPepper) < 32 || len(cfg.Secrets.InvitePepper) < 32 {
		return nil, errors.New("server: secrets missing or shorter than 32 bytes")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 1 << 30
	}
	if cfg.SessionIdle <= 0 {
		cfg.SessionIdle = 30 * time.Minute
	}
	if cfg.SessionAbsolute <= 0 {
		cfg.SessionAbsolute = 12 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	retention, err := deletionRetention(cfg.DeletionRetention)
	if err != nil {
		return nil, err
	}
	cfg.DeletionRetention = retention
	if cfg.RateAddress == (RateLimit{}) {
		cfg.RateAddress = RateLimit{Rate: 50, Burst: 100}
	}
	if cfg.RateAccount == (RateLimit{}) {
		cfg.RateAccount = RateLimit{Rate: 20, Burst: 60}
	}
	if cfg.RatePerRecord == 0 {
		cfg.RatePerRecord = 16
	}
	if cfg.RateAnonymous == (RateLimit{}) {
		cfg.RateAnonymous = RateLimit{Rate: 2, Burst: 20}
	}
	if cfg.RateUnknownEvaluations == (RateLimit{}) {
		cfg.RateUnknownEvaluations = RateLimit{Rate: 0.1, Burst: 20}
	}
	if cfg.LogOrigin == "" {
		cfg.LogOrigin = LogOrigin(cfg.Origin)
	}
	if cfg.LogSigner == nil {
		skey, vkey, err := note.GenerateKey(rand.Reader, cfg.LogOrigin)
		if err != nil {
			return nil, err
		}
		if cfg.LogSigner, err = note.NewSigner(skey); err != nil {
			return nil, err
		}
		cfg.LogVerifierKey = vkey
	}
	if cfg.LogSigner.Name() != cfg.LogOrigin {
		return nil, errors.New("server: the log key's name is not the log origin")
	}
	rp, err := newRelyingParty(&cfg)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	if rp == nil {
		cfg.Logger.Warn("passkeys off: the origin's host is an address, and a WebAuthn relying party needs a host name (serve --webauthn-origin https://HOST)")
	}
	s := &Server{cfg: cfg, store: cfg.Store, log: cfg.Logger, metrics: newMetrics(),
		anonLimit:    sharedLimiters(cfg.RateAnonymous, cfg.Store, "anon:", cfg.Logger),
		unknownEvals: sharedLimiters(cfg.RateUnknownEvaluations, cfg.Store, "unknown:", cfg.Logger),
		checkpoints:  &checkpoints{origin: cfg.LogOrigin, signer: cfg.LogSigner}, mfa: newMFAState(rp),
		approved: newBoundedCache[approvedKey, bool](cacheLimit), requests: newBoundedCache[store.AccountID, *chainRequests](cacheLimit)}
	if cfg.AlertWebhook != nil && cfg.AlertWebhook.URL != "" {
		s.alerts = newAlerter(*cfg.AlertWebhook, cfg.Now, s.metrics.reg)
	}
	s.rates.Store(newRateLimits(cfg.RateAddress, cfg.RateAccount, cfg.Store, &s.cfg))
	s.metrics.watchCommits(cfg.Store)
	s.router = s.routes()
	s.handler = s.observe(cors(cfg.CORSOrigins, s.router))
	return s, nil
}

// Handler returns the HTTP handler of the whole API.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) now() time.Time { return s.cfg.Now() }

// LogVerifierKey returns the note verifier key of the log's checkpoints,
// which clients pin.
func (s *Server) LogVerifierKey() string { return s.cfg.LogVerifierKey }
