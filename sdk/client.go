package sdk

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/internal/bridge"
	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/internal/grant"
)

// Config says where a Client keeps its profile and which server it talks to.
type Config struct {
	// Server is the server's base URL, such as https://vault.example. It is
	// also the origin that session logins are bound to. It may be empty when
	// the stored profile names the server.
	Server string
	// Storage keeps the profile between runs: DirStorage for a directory of
	// 0600 files. Nil keeps it in memory only.
	Storage Storage
	// Transport carries requests: nil means net/http, NewHTTPTransport one
	// with another http.Client. The browser build passes its fetch bridge.
	Transport bridge.Transport
	// Passphrase is asked for when the stored keys are encrypted.
	Passphrase func() ([]byte, error)
	// Workers bounds the cores that seal and open bodies; 0 means all.
	Workers int
	// LogKey, if set, is the transparency log's verifier key (a note vkey,
	// as `blindvault serve` prints it); otherwise the server's is pinned on
	// first use.
	LogKey string
	// Witnesses are log witnesses (URL and cosignature/v1 verifier key); a
	// new checkpoint is accepted only once WitnessQuorum of them cosigned it.
	Witnesses     []Witness
	WitnessQuorum int
	// MaxCheckpointAge bounds how old a witness cosignature of the client's
	// checkpoint may be when it trusts an account chain (default 24 h). It
	// applies only with witnesses: they are the clock the log's signer
	// cannot set.
	MaxCheckpointAge time.Duration
}

// Client is one account on one device, talking to one server. Every answer of
// the server is verified before it is used; see the package documentation for
// the checks. A Client is safe for concurrent use; its operations run one at a
// time, and its accessors (Handle, Role, Card, AccountID, Checkpoint) wait for
// a running operation to finish. Its methods must not be called from a
// BodySealer the client is running.
type Client struct {
	cfg       Config
	transport transport
	storage   Storage
	origin    string

	mu         sync.Mutex
	prof       *profile
	id         *Identity
	device     ed25519.PrivateKey
	token      string
	cardCache  map[[32]byte][]*KeyCard
	fresh      map[[32]byte]*chainState       // chains synced in this operation
	logSynced  bool                           // the log index was synced in this operation
	logSweep   *logSweep                      // every account's log state, from a read of the whole log
	verifiedCP *verifiedCheckpoint            // the stored checkpoint, as last opened
	groupKeys  map[[32]byte]*grant.PrivateKey // group keys derived in this operation, by KeyID
	groupDepth int                            // groups being followed to open a grant (group_keys.go)
	// thresholdKeys are threshold keys this client recovered (emergency.go),
	// by KeyID, kept in memory only.
	thresholdKeys map[[32]byte]*grant.PrivateKey
	// openedGrants and aclWalks are the client's caches of verified work
	// (opencache.go), kept across operations.
	openedGrants map[[32]byte][]byte
	aclWalks     map[[32]byte]*aclWalk
	noCache      bool             // tests: do without them, for side-by-side figures
	now          func() time.Time // the clock for delays; nil: time.Now
	// profileDirty: pins or organisations changed since the profile record
	// was last written.
	profileDirty bool
	// inOperation is set between begin and its end; profileUnsaved says that
	// the profile changed in it, to be written once when it ends.
	inOperation, profileUnsaved bool
	// profJournal is the profile's journal, profBaseSize the size of the
	// base it follows (profile_journal.go).
	profJournal  journal
	profBaseSize int
}

// Connect opens the profile in cfg.Storage, if there is one, unlocking its keys
// and logging the device in; otherwise the client is ready for Register or
// Login.
func Connect(ctx context.Context, cfg Config) (_ *Client, err error) {
	defer inModel(&err)
	c := &Client{cfg: cfg, storage: cfg.Storage}
	if c.storage == nil {
		c.storage = &MemoryStorage{}
	}
	p, err := c.loadProfile(ctx)
	switch {
	case err == nil:
		if cfg.Server != "" && normalizeURL(cfg.Server) != p.Server {
			return nil, fmt.Errorf("sdk: this profile belongs to %s, not %s", p.Server, cfg.Server)
		}
		cfg.Server = p.Server
	case isNotExist(err):
		p = nil
	default:
		return nil, err
	}
	if cfg.Server == "" {
		return nil, fmt.Errorf("%w: and no server URL configured", ErrNoProfile)
	}
	c.origin = normalizeURL(cfg.Server)
	c.transport = cfg.Transport
	if c.transport == nil {
		if c.transport, err = defaultTransport(c.origin); err != nil {
			return nil, err
		}
	}
	if p == nil {
		c.prof = newProfile()
		return c, nil
	}
	c.prof = p
	if err := c.unlockKeys(ctx); err != nil {
		return nil, err
	}
	if err := c.startSession(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

func normalizeURL(u string) string { return strings.TrimRight(u, "/") }

// ready reports ErrNoProfile until the client holds an account.
func (c *Client) ready() error {
	if c.id == nil {
		return ErrNoProfile
	}
	return nil
}

func (c *Client) accountID() [32]byte { return c.id.card.c.AccountID }

// AccountID returns the account's id, or zero before Register or Login.
func (c *Client) AccountID() AccountID {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.id == nil {
		return [32]byte{}
	}
	return c.accountID()
}

// Server returns the server's URL. It is fixed by Connect, so it needs no
// lock.
func (c *Client) Server() string { return c.origin }

// Handle returns the account's handle, or "" before Register or Login.
func (c *Client) Handle() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.prof.Handle
}

// Role returns the account's server role (patient, clinician, service,
// admin), or "" before Register or Login.
func (c *Client) Role() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.prof.Role
}

// Card returns the account's key card, or nil before Register or Login.
func (c *Client) Card() *KeyCard {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.id == nil {
		return nil
	}
	return c.id.card
}

// startSession logs the device in: it signs the server's nonce, bound to the
// configured origin, and keeps the session token in memory only.
func (c *Client) startSession(ctx context.Context) error {
	c.token = ""
	auth, err := c.signedAuth(ctx)
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	var s api.Session
	if err := c.call(ctx, "POST", "/v1/auth/session", api.SessionRequest{Auth: auth}, &s); err != nil {
		return fmt.Errorf("login: %w", err)
	}
	c.token = s.Token
	return nil
}

// signedAuth is a fresh auth object (format-v1 §2.8) of this device over a
// new server challenge: what a login sends, and what re-authenticates an act
// such as deleting the account.
func (c *Client) signedAuth(ctx context.Context) ([]byte, error) {
	acct := c.accountID()
	dev := [32]byte(c.device.Public().(ed25519.PublicKey))
	var ch api.Challenge
	if err := c.call(ctx, "POST", "/v1/auth/challenge", map[string]string{
		"account_id": hex.EncodeToString(acct[:]), "device_id": hex.EncodeToString(dev[:]),
	}, &ch); err != nil {
		return nil, err
	}
	if len(ch.Nonce) != 32 {
		return nil, fmt.Errorf("%w: nonce of %d bytes", ErrInvalid, len(ch.Nonce))
	}
	a := &format.Auth{Origin: c.origin, AccountID: acct, DevicePK: dev, Nonce: [32]byte(ch.Nonce),
		Expiry: uint64(time.Now().Add(time.Minute).Unix())}
	if err := a.Sign(c.device); err != nil {
		return nil, err
	}
	return a.Marshal(), nil
}

// Logout ends the session on the server. The profile stays.
func (c *Client) Logout(ctx context.Context) (err error) {
	defer c.begin(&err)()
	if c.token == "" {
		return nil
	}
	err = c.call(ctx, "POST", "/v1/auth/logout", nil, nil)
	c.token = ""
	return err
}

// newDevice makes a device key and its certificate, valid for five years.
func newDevice(id *Identity) (ed25519.PrivateKey, *format.DeviceCert, error) {
	_, dev, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	cert, err := certifyDevice(id, dev)
	return dev, cert, err
}

// certifyDevice makes the certificate of the device key dev, valid for five
// years.
func certifyDevice(id *Identity, dev ed25519.PrivateKey) (*format.DeviceCert, error) {
	now := uint64(time.Now().Unix())
	cert := &format.DeviceCert{DevicePK: [32]byte(dev.Public().(ed25519.PublicKey)), AccountID: id.card.c.AccountID,
		IdentityFP: id.card.c.Fingerprint(), Created: now, NotAfter: now + 5*365*24*3600}
	if err := cert.Sign(id.sign); err != nil {
		return nil, err
	}
	return cert, nil
}

// Invite creates an invite code for role (admins only). The server shows it once.
func (c *Client) Invite(ctx context.Context, role string, ttl time.Duration) (_ string, err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return "", err
	}
	in := api.InviteRequest{Role: role, TTLSeconds: int64(max(ttl, 0) / time.Second)}
	var out api.Invite
	if err := c.call(ctx, "POST", "/v1/admin/invites", in, &out); err != nil {
		return "", err
	}
	return out.Code, nil
}
