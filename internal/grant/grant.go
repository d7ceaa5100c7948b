// Package grant seals and opens epoch-key grants: an [RFC 9180] base-mode,
// single-shot HPKE seal of a record's 32-byte epoch key to a recipient's X-Wing
// key, with KEM X-Wing (0x647a), KDF HKDF-SHA256 and AEAD AES-256-GCM
// (docs/spec/format-v1.md §2.6).
//
// # Key management
//
// An X-Wing private key is always its 32-byte seed, expanded with the scheme's
// private-key unmarshal. Seeds interoperate between circl and Go's crypto/hpke
// (MLKEM768X25519().NewPrivateKey); DeriveKeyPair does not, and is never used.
//
// [RFC 9180]: https://www.rfc-editor.org/rfc/rfc9180.html
package grant

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/blindvault/blindvault/internal/format"
	"github.com/cloudflare/circl/hpke"
	"github.com/cloudflare/circl/kem"
	"github.com/cloudflare/circl/kem/xwing"
)

// Sizes of keys and grant parts.
const (
	SeedSize      = xwing.SeedSize      // 32
	PublicKeySize = xwing.PublicKeySize // 1216
	EpochKeySize  = 32
	EncSize       = format.GrantEncSize // 1120
	CTSize        = format.GrantCTSize  // 48
)

var (
	// ErrInvalidKey: a seed or public key has the wrong size or is not a valid
	// X-Wing key.
	ErrInvalidKey = errors.New("grant: invalid key")
	// ErrOpen: the grant does not open with this key for this record and epoch.
	ErrOpen = errors.New("grant: cannot open")
)

// suite is the HPKE suite of every grant.
var suite = hpke.NewSuite(hpke.KEM_XWING, hpke.KDF_HKDF_SHA256, hpke.AEAD_AES256GCM)

// infoLabel starts the HPKE info of a grant.
const infoLabel = "blindvault.v1 grant"

// Info returns the HPKE info of a grant: "blindvault.v1 grant" ‖ record_id ‖
// u32 epoch ‖ recipient, where recipient is the KeyID of the recipient's X-Wing
// public key. It binds the sealed key to its record, epoch and recipient.
func Info(recordID [32]byte, epoch uint32, recipient [32]byte) []byte {
	info := make([]byte, 0, len(infoLabel)+32+4+32)
	info = append(info, infoLabel...)
	info = append(info, recordID[:]...)
	info = binary.BigEndian.AppendUint32(info, epoch)
	return append(info, recipient[:]...)
}

// GenerateXWing returns a new X-Wing key: the 32-byte seed to store and the
// 1216-byte public key.
func GenerateXWing() (seed, pk []byte, err error) {
	_, sk, err := xwing.Scheme().GenerateKeyPair()
	if err != nil {
		return nil, nil, fmt.Errorf("grant: generate X-Wing key: %w", err)
	}
	seed, err = sk.MarshalBinary()
	if err != nil {
		return nil, nil, fmt.Errorf("grant: generate X-Wing key: %w", err)
	}
	pk, err = XWingPublic(seed)
	if err != nil {
		return nil, nil, err
	}
	return seed, pk, nil
}

// PrivateKey is an X-Wing decryption key, expanded from its seed once (the
// expansion is an ML-KEM-768 and an X25519 key generation).
type PrivateKey struct {
	sk kem.PrivateKey
	pk []byte
}

// NewPrivateKey expands an X-Wing private key seed.
func NewPrivateKey(seed []byte) (*PrivateKey, error) {
	sk, err := privateKey(seed)
	if err != nil {
		return nil, err
	}
	pk, err := sk.Public().MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	return &PrivateKey{sk: sk, pk: pk}, nil
}

// Public returns the key's X-Wing public key.
func (k *PrivateKey) Public() []byte { return k.pk }

// XWingPublic returns the public key of the X-Wing private key seed.
func XWingPublic(seed []byte) ([]byte, error) {
	k, err := NewPrivateKey(seed)
	if err != nil {
		return nil, err
	}
	return k.pk, nil
}

func privateKey(seed []byte) (kem.PrivateKey, error) {
	if len(seed) != SeedSize {
		return nil, fmt.Errorf("%w: X-Wing seed is %d bytes, want %d", ErrInvalidKey, len(seed), SeedSize)
	}
	sk, err := xwing.Scheme().UnmarshalBinaryPrivateKey(seed)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	return sk, nil
}

// Seal seals the 32-byte epochKey of (recordID, epoch) to the X-Wing public key
// recipientPK and returns the encapsulation (1120 bytes) and ciphertext (48
// bytes) to put in a format.Grant.
func Seal(recipientPK []byte, recordID [32]byte, epoch uint32, epochKey []byte) (enc, ct []byte, err error) {
	return SealWith(nil, recipientPK, recordID, epoch, epochKey)
}

// SealWith is [Seal] with the encapsulation randomness read from rnd (64
// bytes), for deterministic test vectors only (internal/testkit); nil means
// crypto/rand.
func SealWith(rnd io.Reader, recipientPK []byte, recordID [32]byte, epoch uint32, epochKey []byte) (enc, ct []byte, err error) {
	if len(epochKey) != EpochKeySize {
		return nil, nil, fmt.Errorf("grant: epoch key is %d bytes, want %d", len(epochKey), EpochKeySize)
	}
	if epoch == 0 {
		return nil, nil, errors.New("grant: epoch 0")
	}
	if len(recipientPK) != PublicKeySize {
		return nil, nil, fmt.Errorf("%w: X-Wing public key is %d bytes, want %d", ErrInvalidKey, len(recipientPK), PublicKeySize)
	}
	pk, err := xwing.Scheme().UnmarshalBinaryPublicKey(recipientPK)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	sender, err := suite.NewSender(pk, Info(recordID, epoch, format.KeyID(recipientPK)))
	if err != nil {
		return nil, nil, fmt.Errorf("grant: seal: %w", err)
	}
	enc, sealer, err := sender.Setup(rnd) // nil: crypto/rand
	if err != nil {
		return nil, nil, fmt.Errorf("grant: seal: %w", err)
	}
	ct, err = sealer.Seal(epochKey, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("grant: seal: %w", err)
	}
	return enc, ct, nil
}

// Open opens a grant of (recordID, epoch) with the recipient's X-Wing seed and
// returns the 32-byte epoch key.
func Open(seed []byte, recordID [32]byte, epoch uint32, enc, ct []byte) ([]byte, error) {
	k, err := NewPrivateKey(seed)
	if err != nil {
		return nil, err
	}
	return k.Open(recordID, epoch, enc, ct)
}

// Open opens a grant of (recordID, epoch) made for this key and returns the
// 32-byte epoch key. The recipient in the HPKE info is the KeyID of the key's
// own public key, so a grant made for another key never opens.
func (k *PrivateKey) Open(recordID [32]byte, epoch uint32, enc, ct []byte) ([]byte, error) {
	if len(enc) != EncSize || len(ct) != CTSize {
		return nil, fmt.Errorf("%w: enc and ct are %d and %d bytes, want %d and %d", ErrOpen, len(enc), len(ct), EncSize, CTSize)
	}
	receiver, err := suite.NewReceiver(k.sk, Info(recordID, epoch, format.KeyID(k.pk)))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOpen, err)
	}
	opener, err := receiver.Setup(enc)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOpen, err)
	}
	key, err := opener.Open(ct, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOpen, err)
	}
	return key, nil
}
