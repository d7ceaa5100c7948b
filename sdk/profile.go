package sdk

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"

	"golang.org/x/crypto/cryptobyte"

	"github.com/blindvault/blindvault/internal/keyfile"
)

// The profile is what a device remembers between runs, in two files:
//
//   - profile.json: public state: the server, the account, the device, pinned
//     contacts and organisations, and the highest state of every account chain
//     and record this device has verified, the rollback floor.
//   - keys: the identity's and the device's private keys, encrypted under the
//     passphrase (Argon2id at the floor and AES-256-GCM), or in the clear for a
//     service account that has none.
const (
	profileFile = "profile.json"
	keysFile    = "keys"
	profileV1   = 1
	keysVersion = 1
)

type profile struct {
	Version int    `json:"version"`
	Server  string `json:"server"`
	Account string `json:"account"`
	Handle  string `json:"handle"`
	Role    string `json:"role"`
	Device  string `json:"device"` // the device's Ed25519 public key

	// Pins maps an account id to the card this device verified for it.
	Pins map[string]*pin `json:"pins"`
	// Orgs maps an organisation to the admin whose attestations it trusts.
	Orgs map[string]*orgPin `json:"orgs"`
	// Chains holds the verified head of every account chain read.
	Chains map[string]*chainState `json:"chains"`
	// Shared holds the records shared with this account that it has read.
	Shared map[string]*sharedRecord `json:"shared"`
	// Log is the pinned transparency log and the last checkpoint verified.
	Log *logState `json:"log,omitempty"`
	// LogIndex is what this device has read of the log (logindex.go).
	LogIndex *logIndex `json:"log_index,omitempty"`
	// Salts are the log salts of records this account read (for audits).
	Salts map[string][]byte `json:"salts"`
	// Teams are the care teams this account administers, belongs to or
	// shared with, by key record id.
	Teams map[string]*teamPin `json:"teams,omitempty"`
	// Collections are this account's collections, by key record id.
	Collections map[string]*collectionPin `json:"collections,omitempty"`
	// Restricted are the records of this account its owner restricted
	// (restrict.go), by id.
	Restricted map[string]bool `json:"restricted,omitempty"`
	// SharedCollections are other accounts' collections this account reads
	// (itself, or through a team), by key record id: their owners' ids.
	SharedCollections map[string]string `json:"shared_collections,omitempty"`
	// Recovered are the threshold keys this account recovered as a
	// requester, sealed to its own X-Wing key (emergency_keep.go), by the
	// key's KeyID.
	Recovered map[string]*keptKey `json:"recovered,omitempty"`
	// Pending are the readers of this account's records that a transfer
	// left without keys until they are on this server (transfer_pending.go),
	// by the KeyID the ACLs list, hex.
	Pending map[string]*pendingReader `json:"pending,omitempty"`
	// AlertsFrom is the first log index Alerts has not looked at yet.
	AlertsFrom int64 `json:"alerts_from,omitempty"`
	// JournalID names this profile.json as the base its journal follows
	// (profile_journal.go); a profile written before journals has none.
	JournalID string `json:"journal_id,omitempty"`

	changes profileChanges // since the profile was last written
}

// pin is a contact's handle and the fingerprint of its newest verified card.
type pin struct {
	Handle      string `json:"handle"`
	Fingerprint string `json:"fingerprint"` // hex
	CardSeq     uint64 `json:"card_seq"`
}

// orgPin is an organisation admin's account and identity key.
type orgPin struct {
	Admin  string `json:"admin"`
	Handle string `json:"handle"`
	Key    string `json:"key"` // Ed25519 public key, hex
}

// sharedRecord is a record of another owner that this account could read.
type sharedRecord struct {
	Owner   string `json:"owner"`
	Version uint64 `json:"version"`
	ACLSeq  uint64 `json:"acl_seq"`
	// Via is the group (a care team) this account read the record through,
	// hex; empty for a record shared with the account itself.
	Via string `json:"via,omitempty"`
}

func newProfile() *profile {
	return &profile{Version: profileV1, Pins: map[string]*pin{}, Orgs: map[string]*orgPin{},
		Chains: map[string]*chainState{}, Shared: map[string]*sharedRecord{}, Salts: map[string][]byte{}}
}

func (c *Client) loadProfile(ctx context.Context) (*profile, error) {
	c.profJournal = journal{name: profileJournalFile}
	p, size, err := readProfile(ctx, c.storage, &c.profJournal)
	if err != nil {
		return nil, err
	}
	c.profBaseSize = size
	return p, nil
}

// normalize gives a field written as null its empty map.
func (p *profile) normalize() {
	q := newProfile()
	p.Pins, p.Orgs, p.Chains, p.Shared = orMap(p.Pins, q.Pins), orMap(p.Orgs, q.Orgs), orMap(p.Chains, q.Chains), orMap(p.Shared, q.Shared)
	p.Salts = orMap(p.Salts, q.Salts)
}

// check refuses a profile whose shape the client could not use: a null entry
// in any of its maps, or a log index whose frontier does not match its size.
// The profile is the device's own file, but a damaged one must give an error,
// never a panic later.
func (p *profile) check() error {
	bad := func(what, key string) error {
		return fmt.Errorf("%w: profile %s %q is null", ErrInvalid, what, key)
	}
	if k, ok := firstNull(p.Pins); ok {
		return bad("pin", k)
	}
	if k, ok := firstNull(p.Orgs); ok {
		return bad("organisation", k)
	}
	if k, ok := firstNull(p.Shared); ok {
		return bad("shared record", k)
	}
	if k, ok := firstNull(p.Chains); ok {
		return bad("chain", k)
	}
	if k, ok := firstNull(p.Recovered); ok {
		return bad("recovered key", k)
	}
	if k, ok := firstNull(p.Pending); ok {
		return bad("pending reader", k)
	}
	for _, st := range p.Chains {
		st.Records = orMap(st.Records, map[string]*chainRecord{})
		if r, ok := firstNull(st.Records); ok {
			return bad("chain record", r)
		}
	}
	if ix := p.LogIndex; ix != nil {
		if _, err := ix.frontier(); err != nil {
			return err
		}
		ix.Accounts = orMap(ix.Accounts, map[string]*accountLog{})
		if k, ok := firstNull(ix.Accounts); ok {
			return bad("log index account", k)
		}
	}
	return nil
}

// firstNull returns a key of m whose value is nil, if there is one.
func firstNull[V any](m map[string]*V) (string, bool) {
	for k, v := range m {
		if v == nil {
			return k, true
		}
	}
	return "", false
}

func orMap[K comparable, V any](m, d map[K]V) map[K]V {
	if m == nil {
		return d
	}
	return m
}

// saveProfile writes the profile's changes; it is called after every state
// change.
//
// Inside an operation (begin) the profile is written once, when the
// operation ends, however many records and chains it verified (issue 18:
// the profile grows with the records, and writing it per record made an
// operation's cost grow with their square).
func (c *Client) saveProfile(ctx context.Context) error {
	if c.inOperation {
		c.profileUnsaved = true
		return nil
	}
	c.profileUnsaved = true
	return c.flushProfile(ctx)
}

// flushProfile writes the profile if it changed since it was last written:
// what changed, once per operation (profile_journal.go).
func (c *Client) flushProfile(ctx context.Context) error {
	if !c.profileUnsaved || c.prof == nil {
		return nil
	}
	if err := c.writeProfile(ctx); err != nil {
		return err
	}
	c.profileUnsaved = false
	if checkWritten != nil {
		return checkWritten(ctx, c)
	}
	return nil
}

// checkWritten, set by the tests of package sdk, checks after each write that
// the profile read back from storage is the one in memory: a change the
// journal missed fails every test that makes it.
var checkWritten func(ctx context.Context, c *Client) error

// keysSecret is u8 version ‖ [32] device seed ‖ u16<identity>, identity as in
// an identity file. The identity's key history is its current key until
// identities rotate.
func keysSecret(id *Identity, device ed25519.PrivateKey) []byte {
	var b cryptobyte.Builder
	b.AddUint8(keysVersion)
	b.AddBytes(device.Seed())
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(id.secret()) })
	return b.BytesOrPanic()
}

func parseKeysSecret(secret []byte) (*Identity, ed25519.PrivateKey, error) {
	s := cryptobyte.String(secret)
	var v uint8
	var seed []byte
	var ident cryptobyte.String
	if !s.ReadUint8(&v) || v != keysVersion || !s.ReadBytes(&seed, ed25519.SeedSize) ||
		!s.ReadUint16LengthPrefixed(&ident) || !s.Empty() {
		return nil, nil, fmt.Errorf("%w: profile keys", ErrInvalid)
	}
	id, err := parseSecret(ident)
	if err != nil {
		return nil, nil, err
	}
	return id, ed25519.NewKeyFromSeed(seed), nil
}

// saveKeys writes the keys file, encrypted under passphrase unless it is nil.
func (c *Client) saveKeys(ctx context.Context, passphrase []byte) error {
	secret := keysSecret(c.id, c.device)
	defer clear(secret)
	var text []byte
	if passphrase == nil {
		text = keyfile.EncodePlain(secret)
	} else {
		var err error
		if text, err = keyfile.Encrypt(secret, passphrase, keyfile.Floor); err != nil {
			return err
		}
	}
	return c.storage.Save(ctx, keysFile, text)
}

// unlockKeys reads the keys file, asking for the passphrase if it is encrypted.
func (c *Client) unlockKeys(ctx context.Context) error {
	text, err := c.storage.Load(ctx, keysFile)
	if err != nil {
		return fmt.Errorf("profile keys: %w", err)
	}
	ask := c.cfg.Passphrase
	if ask == nil {
		ask = func() ([]byte, error) {
			return nil, fmt.Errorf("the profile keys are encrypted: %w", ErrWrongPassphrase)
		}
	}
	secret, err := keyfile.Decode(text, ask)
	if err != nil {
		return err
	}
	defer clear(secret)
	id, dev, err := parseKeysSecret(secret)
	if err != nil {
		return err
	}
	if id.card.AccountID().String() != c.prof.Account || hex.EncodeToString(dev.Public().(ed25519.PublicKey)) != c.prof.Device {
		return fmt.Errorf("%w: profile keys belong to another account or device", ErrInvalid)
	}
	c.id, c.device = id, dev
	return nil
}
