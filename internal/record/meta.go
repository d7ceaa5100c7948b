package record

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha512"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/cryptobyte"

	"github.com/blindvault/blindvault/internal/padding"
)

// Meta is what a reader learns about a version besides its body. It is encrypted
// under a key derived from the version's DEK and padded to a fixed bucket, so the
// server sees none of it, not even its length.
type Meta struct {
	Length   uint64 // true body length, before padding
	Created  time.Time
	Modified time.Time
	Type     string // FHIR resource type or MIME type
	Title    string
	Tags     []string
}

// Limits on metadata fields (format-v1 §5).
const (
	MaxType   = 127
	MaxTitle  = 1024
	MaxTags   = 32
	MaxTagLen = 64
	metaLabel = "blindvault.v1 meta"
	nonceSize = 12
)

var (
	ErrMetaInvalid = errors.New("metadata invalid")
	ErrMetaOpen    = errors.New("metadata does not decrypt")
)

// Check validates the user-supplied fields before anything is sealed.
func (m *Meta) Check() error {
	switch {
	case len(m.Type) > MaxType || !printable(m.Type):
		return fmt.Errorf("%w: type must be at most %d printable bytes", ErrMetaInvalid, MaxType)
	case len(m.Title) > MaxTitle || !utf8.ValidString(m.Title):
		return fmt.Errorf("%w: title must be at most %d bytes of UTF-8", ErrMetaInvalid, MaxTitle)
	case len(m.Tags) > MaxTags:
		return fmt.Errorf("%w: at most %d tags", ErrMetaInvalid, MaxTags)
	}
	for _, t := range m.Tags {
		if len(t) == 0 || len(t) > MaxTagLen || !utf8.ValidString(t) {
			return fmt.Errorf("%w: tags must be 1 to %d bytes of UTF-8", ErrMetaInvalid, MaxTagLen)
		}
	}
	return nil
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func metaKey(dek, bodyCtx []byte) []byte {
	k, err := hkdf.Key(sha512.New, dek, nil, metaLabel+string(bodyCtx), 32)
	if err != nil {
		panic("record: hkdf: " + err.Error()) // only for impossible lengths
	}
	return k
}

func gcm(key []byte) cipher.AEAD {
	b, err := aes.NewCipher(key)
	if err != nil {
		panic("record: aes: " + err.Error()) // keys are always 32 bytes here
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		panic("record: gcm: " + err.Error())
	}
	return a
}

func (m *Meta) encode() []byte {
	var b cryptobyte.Builder
	b.AddUint64(m.Length)
	b.AddUint64(unixOrZero(m.Created))
	b.AddUint64(unixOrZero(m.Modified))
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(m.Type)) })
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(m.Title)) })
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, t := range m.Tags {
			b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(t)) })
		}
	})
	return b.BytesOrPanic()
}

func unixOrZero(t time.Time) uint64 {
	if t.IsZero() || t.Unix() < 0 {
		return 0
	}
	return uint64(t.Unix())
}

func fromUnix(s uint64) time.Time {
	if s == 0 || s > 1<<40 {
		return time.Time{}
	}
	return time.Unix(int64(s), 0).UTC()
}

// sealMeta encrypts m into a fixed bucket under a random nonce drawn by the caller.
func sealMeta(dek, bodyCtx []byte, nonce [nonceSize]byte, m *Meta) ([]byte, error) {
	if err := m.Check(); err != nil {
		return nil, err
	}
	inner := m.encode()
	bucket, err := padding.MetaBucket(2 + len(inner))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMetaInvalid, err)
	}
	padded := make([]byte, bucket)
	padded[0], padded[1] = byte(len(inner)>>8), byte(len(inner))
	copy(padded[2:], inner)
	out := make([]byte, nonceSize, nonceSize+bucket+16)
	copy(out, nonce[:])
	return gcm(metaKey(dek, bodyCtx)).Seal(out, out[:nonceSize], padded, bodyCtx), nil
}

// openMeta decrypts and strictly parses sealed metadata.
func openMeta(dek, bodyCtx, sealed []byte) (*Meta, error) {
	if len(sealed) < nonceSize+16 {
		return nil, ErrMetaOpen
	}
	padded, err := gcm(metaKey(dek, bodyCtx)).Open(nil, sealed[:nonceSize], sealed[nonceSize:], bodyCtx)
	if err != nil {
		return nil, ErrMetaOpen
	}
	if !padding.IsMetaBucket(len(padded)) {
		return nil, fmt.Errorf("%w: %d bytes is not a bucket size", ErrMetaInvalid, len(padded))
	}
	s := cryptobyte.String(padded)
	var inner cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&inner) {
		return nil, fmt.Errorf("%w: bad length", ErrMetaInvalid)
	}
	for _, c := range s {
		if c != 0 {
			return nil, fmt.Errorf("%w: non-zero padding", ErrMetaInvalid)
		}
	}
	m, err := parseMeta(inner)
	if err != nil {
		return nil, err
	}
	return m, nil
}

func parseMeta(s cryptobyte.String) (*Meta, error) {
	m := new(Meta)
	var created, modified uint64
	var typ, title, tags cryptobyte.String
	if !s.ReadUint64(&m.Length) || !s.ReadUint64(&created) || !s.ReadUint64(&modified) ||
		!s.ReadUint8LengthPrefixed(&typ) || !s.ReadUint16LengthPrefixed(&title) ||
		!s.ReadUint16LengthPrefixed(&tags) || !s.Empty() {
		return nil, fmt.Errorf("%w: malformed", ErrMetaInvalid)
	}
	m.Created, m.Modified = fromUnix(created), fromUnix(modified)
	m.Type, m.Title = string(typ), string(title)
	for !tags.Empty() {
		var t cryptobyte.String
		if !tags.ReadUint8LengthPrefixed(&t) {
			return nil, fmt.Errorf("%w: malformed tags", ErrMetaInvalid)
		}
		m.Tags = append(m.Tags, string(t))
	}
	if err := m.Check(); err != nil {
		return nil, err
	}
	return m, nil
}

// SealedMetaSize is the length sealMeta will produce for m, whatever its Length.
func SealedMetaSize(m *Meta) (int, error) {
	if err := m.Check(); err != nil {
		return 0, err
	}
	bucket, err := padding.MetaBucket(2 + len(m.encode()))
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrMetaInvalid, err)
	}
	return nonceSize + bucket + 16, nil
}
