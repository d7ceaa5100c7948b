package secrets

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/tink-crypto/tink-go/v2/aead"
	"github.com/tink-crypto/tink-go/v2/keyset"

	"github.com/blindvault/blindvault/server/store"
)

// Names of the server-wide secrets in the store's secrets bucket.
const (
	OPRFSeedName      = "oprf-seed"
	SessionPepperName = "session-pepper"
	InvitePepperName  = "invite-pepper"
)

// secretSize is the length of every generated server secret.
const secretSize = 32

// ServerSecrets are the server's own secrets, in the clear. They map field by
// field onto server.Secrets. Never log them.
type ServerSecrets struct {
	OPRFSeed      []byte // 32 bytes; per-account OPRF keys derive from it
	SessionPepper []byte // 32 bytes; session tokens are stored as HMAC(pepper, token)
	InvitePepper  []byte // 32 bytes; invite codes are stored as HMAC(pepper, code)
}

// fields lists the secrets with their names, in a fixed order.
func (s *ServerSecrets) fields() []struct {
	name string
	v    *[]byte
} {
	return []struct {
		name string
		v    *[]byte
	}{
		{OPRFSeedName, &s.OPRFSeed},
		{SessionPepperName, &s.SessionPepper},
		{InvitePepperName, &s.InvitePepper},
	}
}

// LoadOrCreate opens the server's secrets from st, generating and storing
// (sealed by box) each one that does not exist yet: 32 random bytes. A secret
// that exists but does not open is an error, never a reason to make a new one,
// since a new OPRF seed would make every passphrase backup unrecoverable.
func LoadOrCreate(ctx context.Context, st store.Secrets, box *Box) (ServerSecrets, error) {
	var out ServerSecrets
	for _, f := range out.fields() {
		v, err := loadOrCreate(ctx, st, box, f.name)
		if err != nil {
			return ServerSecrets{}, err
		}
		*f.v = v
	}
	return out, nil
}

func loadOrCreate(ctx context.Context, st store.Secrets, box *Box, name string) ([]byte, error) {
	sealed, err := st.Secret(ctx, name)
	if err == nil {
		v, err := box.Open(Bucket, name, nil, sealed)
		if err != nil {
			return nil, fmt.Errorf("secret %s: %w", name, err)
		}
		if len(v) != secretSize {
			return nil, fmt.Errorf("secret %s: %d bytes, want %d", name, len(v), secretSize)
		}
		return v, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("secret %s: %w", name, err)
	}
	v := make([]byte, secretSize)
	rand.Read(v)
	sealed, err = box.Seal(Bucket, name, nil, v)
	if err != nil {
		return nil, err
	}
	if err := st.PutSecret(ctx, name, sealed); err != nil {
		return nil, fmt.Errorf("secret %s: %w", name, err)
	}
	return v, nil
}

// RotateMasterKey re-encrypts the stored keyset under newKey. The sealed
// secrets stay as they are: they are sealed by the keyset, not by the master
// key. After it returns, oldKey opens nothing and newKey must be used; keep
// the old key until the new one is safely stored. It returns
// [ErrWrongMasterKey] if oldKey does not open the keyset.
func RotateMasterKey(ctx context.Context, st store.Secrets, oldKey, newKey []byte) error {
	oldKEK, err := newKEK(oldKey)
	if err != nil {
		return fmt.Errorf("old key: %w", err)
	}
	newKEK, err := newKEK(newKey)
	if err != nil {
		return fmt.Errorf("new key: %w", err)
	}
	enc, err := st.Secret(ctx, KeysetName)
	if err != nil {
		return fmt.Errorf("secrets: read keyset: %w", err)
	}
	h, err := readKeyset(enc, oldKEK)
	if err != nil {
		return err
	}
	return writeKeyset(ctx, st, h, newKEK)
}

// RotateKeyset adds a new AES-256-GCM key to the keyset, makes it the
// primary, and seals the three server secrets again under it. Older keys stay
// in the keyset, so values sealed under them (per-account secrets, or a server
// secret if the rotation is interrupted) still open. Each step is durable on
// its own, so a crash leaves every secret readable.
func RotateKeyset(ctx context.Context, st store.Secrets, masterKey []byte) error {
	kek, err := newKEK(masterKey)
	if err != nil {
		return err
	}
	enc, err := st.Secret(ctx, KeysetName)
	if err != nil {
		return fmt.Errorf("secrets: read keyset: %w", err)
	}
	h, err := readKeyset(enc, kek)
	if err != nil {
		return err
	}
	m := keyset.NewManagerFromHandle(h)
	id, err := m.Add(aead.AES256GCMKeyTemplate())
	if err != nil {
		return fmt.Errorf("secrets: add key: %w", err)
	}
	if err := m.SetPrimary(id); err != nil {
		return fmt.Errorf("secrets: set primary: %w", err)
	}
	if h, err = m.Handle(); err != nil {
		return fmt.Errorf("secrets: new keyset: %w", err)
	}
	box, err := newBox(h)
	if err != nil {
		return err
	}
	if err := writeKeyset(ctx, st, h, kek); err != nil {
		return err
	}
	for _, f := range (&ServerSecrets{}).fields() {
		name := f.name
		sealed, err := st.Secret(ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("secret %s: %w", name, err)
		}
		v, err := box.Open(Bucket, name, nil, sealed)
		if err != nil {
			return fmt.Errorf("secret %s: %w", name, err)
		}
		if sealed, err = box.Seal(Bucket, name, nil, v); err != nil {
			return err
		}
		if err := st.PutSecret(ctx, name, sealed); err != nil {
			return fmt.Errorf("secret %s: %w", name, err)
		}
	}
	return nil
}
