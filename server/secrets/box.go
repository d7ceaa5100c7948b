package secrets

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tink-crypto/tink-go/v2/aead"
	"github.com/tink-crypto/tink-go/v2/aead/subtle"
	"github.com/tink-crypto/tink-go/v2/keyset"
	"github.com/tink-crypto/tink-go/v2/tink"

	"github.com/blindvault/blindvault/server/store"
)

// Bucket is the associated-data bucket of the server-wide secrets, which the
// store keeps in its secrets bucket.
const Bucket = "secrets"

// KeysetName is the name under which the encrypted keyset is stored.
const KeysetName = "tink-keyset"

// maxName bounds a bucket or key name in associated data.
const maxName = 255

var (
	// ErrWrongMasterKey is returned when the master key does not open the
	// stored keyset: it is the wrong key, or the keyset was altered.
	ErrWrongMasterKey = errors.New("secrets: the master key does not open the stored keyset (wrong master key, or the keyset was altered)")
	// ErrCannotOpen is returned when a sealed value does not open: it was
	// sealed under another name or account, by another keyset, or altered.
	ErrCannotOpen = errors.New("secrets: sealed value does not open (wrong name or account, other keyset, or altered)")
	// ErrBadName is returned for a bucket or key that is empty, longer than
	// 255 bytes or holds a 0x00 byte, or an account that is neither empty nor
	// 32 bytes.
	ErrBadName = errors.New("secrets: bad bucket, key or account")
)

// Box seals and opens values with the server's keyset. It is safe for
// concurrent use.
type Box struct {
	handle *keyset.Handle
	aead   tink.AEAD
}

// Open reads the keyset from st and decrypts it with masterKey, or, when st
// holds no keyset yet, creates one (a single AES-256-GCM key) and stores it
// encrypted under masterKey.
func Open(ctx context.Context, st store.Secrets, masterKey []byte) (*Box, error) {
	kek, err := newKEK(masterKey)
	if err != nil {
		return nil, err
	}
	enc, err := st.Secret(ctx, KeysetName)
	if errors.Is(err, store.ErrNotFound) {
		h, err := keyset.NewHandle(aead.AES256GCMKeyTemplate())
		if err != nil {
			return nil, fmt.Errorf("secrets: new keyset: %w", err)
		}
		if err := writeKeyset(ctx, st, h, kek); err != nil {
			return nil, err
		}
		return newBox(h)
	}
	if err != nil {
		return nil, fmt.Errorf("secrets: read keyset: %w", err)
	}
	h, err := readKeyset(enc, kek)
	if err != nil {
		return nil, err
	}
	return newBox(h)
}

func newBox(h *keyset.Handle) (*Box, error) {
	a, err := aead.New(h)
	if err != nil {
		return nil, fmt.Errorf("secrets: keyset is not an AEAD keyset: %w", err)
	}
	return &Box{handle: h, aead: a}, nil
}

// Seal encrypts plaintext for storage under (bucket, key, account); account is
// empty for a server-wide secret and the 32-byte account id otherwise.
func (b *Box) Seal(bucket, key string, account, plaintext []byte) ([]byte, error) {
	ad, err := AssociatedData(bucket, key, account)
	if err != nil {
		return nil, err
	}
	ct, err := b.aead.Encrypt(plaintext, ad)
	if err != nil {
		return nil, fmt.Errorf("secrets: seal %s/%s: %w", bucket, key, err)
	}
	return ct, nil
}

// Open decrypts a value that Seal sealed under the same (bucket, key,
// account). It returns [ErrCannotOpen] for anything else.
func (b *Box) Open(bucket, key string, account, sealed []byte) ([]byte, error) {
	ad, err := AssociatedData(bucket, key, account)
	if err != nil {
		return nil, err
	}
	pt, err := b.aead.Decrypt(sealed, ad)
	if err != nil {
		return nil, fmt.Errorf("open %s/%s: %w", bucket, key, ErrCannotOpen)
	}
	return pt, nil
}

// AssociatedData returns bucket ‖ 0x00 ‖ key ‖ 0x00 ‖ account, the associated
// data of a value stored under (bucket, key, account). Bucket and key must be
// 1 to 255 bytes without 0x00, so that the encoding is unambiguous; account is
// empty or 32 bytes.
func AssociatedData(bucket, key string, account []byte) ([]byte, error) {
	for _, s := range []string{bucket, key} {
		if s == "" || len(s) > maxName || strings.IndexByte(s, 0) >= 0 {
			return nil, fmt.Errorf("%w: %q", ErrBadName, s)
		}
	}
	if len(account) != 0 && len(account) != len(store.AccountID{}) {
		return nil, fmt.Errorf("%w: account of %d bytes", ErrBadName, len(account))
	}
	ad := make([]byte, 0, len(bucket)+len(key)+2+len(account))
	ad = append(ad, bucket...)
	ad = append(ad, 0)
	ad = append(ad, key...)
	ad = append(ad, 0)
	return append(ad, account...), nil
}

// keysetAD is the associated data of the encrypted keyset itself.
func keysetAD() []byte {
	ad, _ := AssociatedData(Bucket, KeysetName, nil)
	return ad
}

// newKEK returns the AEAD that encrypts the keyset: AES-256-GCM under the
// master key, with a random 96-bit nonce per encryption.
func newKEK(masterKey []byte) (tink.AEAD, error) {
	if len(masterKey) != MasterKeySize {
		return nil, fmt.Errorf("%w (got %d bytes)", ErrBadMasterKey, len(masterKey))
	}
	kek, err := subtle.NewAESGCM(masterKey)
	if err != nil {
		return nil, fmt.Errorf("secrets: master key: %w", err)
	}
	return kek, nil
}

// failureRecorder remembers whether a Decrypt failed, so that a failed
// keyset.Read can be told apart: the master key did not open the keyset, or
// what it opened is not a keyset.
type failureRecorder struct {
	tink.AEAD
	failed bool
}

func (f *failureRecorder) Decrypt(ct, ad []byte) ([]byte, error) {
	pt, err := f.AEAD.Decrypt(ct, ad)
	if err != nil {
		f.failed = true
	}
	return pt, err
}

func readKeyset(enc []byte, kek tink.AEAD) (*keyset.Handle, error) {
	rec := &failureRecorder{AEAD: kek}
	h, err := keyset.ReadWithAssociatedData(keyset.NewBinaryReader(bytes.NewReader(enc)), rec, keysetAD())
	switch {
	case err != nil && rec.failed:
		return nil, ErrWrongMasterKey
	case err != nil:
		return nil, fmt.Errorf("secrets: stored keyset is corrupt: %w", err)
	}
	return h, nil
}

func writeKeyset(ctx context.Context, st store.Secrets, h *keyset.Handle, kek tink.AEAD) error {
	var buf bytes.Buffer
	if err := h.WriteWithAssociatedData(keyset.NewBinaryWriter(&buf), kek, keysetAD()); err != nil {
		return fmt.Errorf("secrets: encrypt keyset: %w", err)
	}
	if err := st.PutSecret(ctx, KeysetName, buf.Bytes()); err != nil {
		return fmt.Errorf("secrets: store keyset: %w", err)
	}
	return nil
}
