package testkit

import (
	"crypto/ed25519"
	"encoding/hex"

	"golang.org/x/crypto/cryptobyte"

	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/internal/grant"
	"github.com/blindvault/blindvault/internal/keyfile"
)

// cardCreated is the created time of every card in the kit (2026-01-01).
const cardCreated = 1767225600

// An identity is a test party: its keys, derived from its name, and its card.
type identity struct {
	name  string
	priv  ed25519.PrivateKey
	xSeed []byte
	card  *format.KeyCard
}

func newIdentity(name, handle string) (*identity, error) {
	id := &identity{name: name, priv: ed25519.NewKeyFromSeed(derive(name + " ed25519")), xSeed: derive(name + " xwing")}
	xpk, err := grant.XWingPublic(id.xSeed)
	if err != nil {
		return nil, err
	}
	id.card = &format.KeyCard{AccountID: [32]byte(derive(name + " account")), Handle: handle,
		Ed25519PK: [32]byte(id.priv.Public().(ed25519.PublicKey)), XWingPK: xpk, Seq: 1, Created: cardCreated}
	if err := id.card.Sign(id.priv); err != nil {
		return nil, err
	}
	return id, nil
}

func (id *identity) account() [32]byte { return id.card.AccountID }
func (id *identity) keyID() [32]byte   { return format.KeyID(id.card.XWingPK) }

func (id *identity) fingerprint() string {
	fp := id.card.Fingerprint()
	return hex.EncodeToString(fp[:])
}

// keyFile is the unprotected identity file of format-v1 §8.
func (id *identity) keyFile() []byte {
	var b cryptobyte.Builder
	b.AddUint8(1)
	b.AddUint16(format.Suite)
	b.AddBytes(id.priv.Seed())
	b.AddBytes(id.xSeed)
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(id.card.Marshal()) })
	return keyfile.EncodePlain(b.BytesOrPanic())
}

// cast is every party of the kit: alice writes, bob, carol and dave read,
// mallory is in no ACL.
type cast struct {
	alice, bob, carol, dave, mallory *identity
}

func newCast() (*cast, error) {
	c := new(cast)
	for _, p := range []struct {
		to           **identity
		name, handle string
	}{
		{&c.alice, "alice", "alice"},
		{&c.bob, "bob", "Dr. Bob Example"},
		{&c.carol, "carol", "carol"},
		{&c.dave, "dave", "dave"},
		{&c.mallory, "mallory", "mallory"},
	} {
		id, err := newIdentity(p.name, p.handle)
		if err != nil {
			return nil, err
		}
		*p.to = id
	}
	return c, nil
}

func (c *cast) all() []*identity { return []*identity{c.alice, c.bob, c.carol, c.dave, c.mallory} }
