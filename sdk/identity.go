package sdk

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/internal/grant"
	"github.com/blindvault/blindvault/internal/keyfile"
)

// Identity is a person's or a service's private keys: an Ed25519 signing key and an
// X-Wing (X25519 + ML-KEM-768) decryption key, stored as 32-byte seeds, with the
// signed key card that publishes them.
type Identity struct {
	sign  ed25519.PrivateKey
	xwing []byte            // 32-byte X-Wing seed, as stored
	xkey  *grant.PrivateKey // the key it expands to, which opens grants
	card  *KeyCard
}

// errNotIdentity means the data is not a Blindvault identity.
var errNotIdentity = fmt.Errorf("%w: not a blindvault identity", ErrInvalid)

// NewIdentity generates an identity with a fresh random account id and a
// self-signed key card for handle.
func NewIdentity(handle string) (*Identity, error) {
	_, sign, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	seed, xpk, err := grant.GenerateXWing()
	if err != nil {
		return nil, err
	}
	c := &format.KeyCard{Handle: handle, Seq: 1, Created: uint64(time.Now().Unix()), XWingPK: xpk}
	rand.Read(c.AccountID[:])
	copy(c.Ed25519PK[:], sign.Public().(ed25519.PublicKey))
	if err := c.Sign(sign); err != nil {
		return nil, fmt.Errorf("new identity: %w", err)
	}
	// Round-trip through the parser so that every constraint (handle, sizes) holds.
	parsed, err := format.ParseKeyCard(c.Marshal())
	if err != nil {
		return nil, fmt.Errorf("new identity: %w", err)
	}
	xkey, err := grant.NewPrivateKey(seed)
	if err != nil {
		return nil, fmt.Errorf("new identity: %w", err)
	}
	return &Identity{sign: sign, xwing: seed, xkey: xkey, card: &KeyCard{c: parsed}}, nil
}

// Card returns the identity's public key card.
func (id *Identity) Card() *KeyCard { return id.card }

// MarshalText returns the identity as an unprotected text file. Prefer
// MarshalProtected for anything a person keeps on disk.
func (id *Identity) MarshalText() []byte { return keyfile.EncodePlain(id.secret()) }

// MarshalProtected returns the identity encrypted under passphrase with Argon2id at
// the floor parameters (t=3, m=64 MiB, p=4) and AES-256-GCM.
func (id *Identity) MarshalProtected(passphrase []byte) (_ []byte, err error) {
	defer inModel(&err)
	return keyfile.Encrypt(id.secret(), passphrase, keyfile.Floor)
}

// IdentityIsProtected reports whether an identity file needs a passphrase.
func IdentityIsProtected(text []byte) bool { return keyfile.IsEncrypted(text) }

// ParseIdentity reads an identity file. passphrase is called only if the file is
// protected; it may be nil for unprotected files.
func ParseIdentity(text []byte, passphrase func() ([]byte, error)) (_ *Identity, err error) {
	defer inModel(&err)
	secret, err := keyfile.Decode(text, passphrase)
	if err != nil {
		return nil, err
	}
	defer clear(secret)
	return parseSecret(secret)
}

const identityVersion = 1

// secret is u8 version ‖ u16 suite ‖ [32] ed25519 seed ‖ [32] X-Wing seed ‖ u16<card>.
func (id *Identity) secret() []byte {
	var b cryptobyte.Builder
	b.AddUint8(identityVersion)
	b.AddUint16(format.Suite)
	b.AddBytes(id.sign.Seed())
	b.AddBytes(id.xwing)
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(id.card.c.Marshal()) })
	return b.BytesOrPanic()
}

func parseSecret(secret []byte) (*Identity, error) {
	s := cryptobyte.String(secret)
	var v uint8
	var suite uint16
	var edSeed, xSeed []byte
	var card cryptobyte.String
	if !s.ReadUint8(&v) || !s.ReadUint16(&suite) {
		return nil, errNotIdentity
	}
	if v != identityVersion {
		return nil, fmt.Errorf("%w: identity version %d", format.ErrUnknownVersion, v)
	}
	if suite != format.Suite {
		return nil, fmt.Errorf("%w: identity suite %d", format.ErrUnknownSuite, suite)
	}
	if !s.ReadBytes(&edSeed, ed25519.SeedSize) || !s.ReadBytes(&xSeed, 32) || !s.ReadUint16LengthPrefixed(&card) || !s.Empty() {
		return nil, errNotIdentity
	}
	c, err := format.ParseKeyCard(card)
	if err != nil {
		return nil, fmt.Errorf("identity key card: %w", err)
	}
	sign := ed25519.NewKeyFromSeed(edSeed)
	xkey, err := grant.NewPrivateKey(xSeed)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errNotIdentity, err)
	}
	// The seeds must be the ones the card publishes, or the file was stitched together.
	if [32]byte(sign.Public().(ed25519.PublicKey)) != c.Ed25519PK || string(xkey.Public()) != string(c.XWingPK) {
		return nil, fmt.Errorf("%w: keys do not match the key card", errNotIdentity)
	}
	return &Identity{sign: sign, xwing: append([]byte(nil), xSeed...), xkey: xkey, card: &KeyCard{c: c}}, nil
}
