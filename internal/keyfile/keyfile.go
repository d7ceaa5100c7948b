// Package keyfile stores private key material in text files, optionally protected
// by a passphrase.
//
// A protected file holds Argon2id parameters, a salt and an AES-256-GCM ciphertext.
// The parameters are checked against a floor and a ceiling before anything is derived
// (a file cannot make a reader spend unbounded memory or accept a weak KDF), and they
// are bound to the ciphertext as additional data, so changing any of them fails
// decryption. The file format is in docs/spec/format-v1.md (§8).
package keyfile

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/cryptobyte"
)

// PEM block types.
const (
	PlainType     = "BLINDVAULT IDENTITY"
	EncryptedType = "BLINDVAULT ENCRYPTED IDENTITY"
)

const (
	version  = 1
	suite    = 1
	saltSize = 16
	// MaxFileSize bounds what a reader accepts before parsing anything.
	MaxFileSize = 64 << 10
	// MaxPassphrase bounds passphrases (docs/spec/format-v1.md §8).
	MaxPassphrase = 1024
	// MinPassphrase is the shortest passphrase accepted for new files.
	MinPassphrase = 12
	aadLabel      = "blindvault.v1 keyfile"
)

// Params are Argon2id parameters.
type Params struct {
	Time      uint32 // passes
	MemoryKiB uint32 // memory in KiB
	Threads   uint8  // lanes
}

// Floor is the weakest Argon2id accepted anywhere in Blindvault; it is also the default.
var Floor = Params{Time: 3, MemoryKiB: 64 << 10, Threads: 4}

// Ceiling bounds what a file or a server may ask a client to spend.
var Ceiling = Params{Time: 10, MemoryKiB: 1 << 20, Threads: 16}

var (
	ErrWeakParams       = errors.New("argon2id parameters below the floor (t=3, m=64 MiB, p=4)")
	ErrExcessiveParams  = errors.New("argon2id parameters above the ceiling (t=10, m=1 GiB, p=16)")
	ErrWrongPassphrase  = errors.New("wrong passphrase or corrupted key file")
	ErrNotKeyFile       = errors.New("not a blindvault identity file")
	ErrUnknownVersion   = errors.New("unknown key file version")
	ErrUnknownSuite     = errors.New("unknown key file suite")
	ErrWeakPassphrase   = fmt.Errorf("passphrase too weak: use at least %d characters, not one repeated character", MinPassphrase)
	ErrLongPassphrase   = fmt.Errorf("passphrase longer than %d bytes", MaxPassphrase)
	ErrPassphraseNeeded = errors.New("key file is protected by a passphrase")
)

// Check reports whether p lies between Floor and Ceiling.
func (p Params) Check() error {
	if p.Time < Floor.Time || p.MemoryKiB < Floor.MemoryKiB || p.Threads < Floor.Threads {
		return ErrWeakParams
	}
	if p.Time > Ceiling.Time || p.MemoryKiB > Ceiling.MemoryKiB || p.Threads > Ceiling.Threads {
		return ErrExcessiveParams
	}
	return nil
}

// Derive runs Argon2id after checking the parameters and the passphrase length.
func Derive(passphrase, salt []byte, p Params) ([]byte, error) {
	if err := p.Check(); err != nil {
		return nil, err
	}
	if len(passphrase) > MaxPassphrase {
		return nil, ErrLongPassphrase
	}
	return argon2.IDKey(passphrase, salt, p.Time, p.MemoryKiB, p.Threads, 32), nil
}

// CheckPassphrase refuses passphrases that are too short, too long or one repeated
// character. It is a floor, not a strength meter: the Argon2id cost does the rest.
func CheckPassphrase(passphrase []byte) error {
	if len(passphrase) > MaxPassphrase {
		return ErrLongPassphrase
	}
	if !utf8.Valid(passphrase) || utf8.RuneCount(passphrase) < MinPassphrase {
		return ErrWeakPassphrase
	}
	r, _ := utf8.DecodeRune(passphrase)
	if bytes.Count(passphrase, []byte(string(r))) == utf8.RuneCount(passphrase) {
		return ErrWeakPassphrase
	}
	return nil
}

// EncodePlain returns the unprotected text form of secret.
func EncodePlain(secret []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: PlainType, Bytes: secret})
}

// Encrypt returns the passphrase-protected text form of secret.
func Encrypt(secret, passphrase []byte, p Params) ([]byte, error) {
	if err := CheckPassphrase(passphrase); err != nil {
		return nil, err
	}
	var salt [saltSize]byte
	var nonce [12]byte
	rand.Read(salt[:])
	rand.Read(nonce[:])
	key, err := Derive(passphrase, salt[:], p)
	if err != nil {
		return nil, err
	}
	head := encodeHead(p, salt[:], nonce[:])
	aead := newGCM(key)
	ct := aead.Seal(nil, nonce[:], secret, additionalData(head))
	var b cryptobyte.Builder
	b.AddBytes(head)
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(ct) })
	return pem.EncodeToMemory(&pem.Block{Type: EncryptedType, Bytes: b.BytesOrPanic()}), nil
}

// IsEncrypted reports whether text is a passphrase-protected identity file.
func IsEncrypted(text []byte) bool {
	blk, _ := pem.Decode(text)
	return blk != nil && blk.Type == EncryptedType
}

// Decode returns the secret in text. passphrase is called only for protected files.
func Decode(text []byte, passphrase func() ([]byte, error)) ([]byte, error) {
	if len(text) > MaxFileSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrNotKeyFile, MaxFileSize)
	}
	blk, rest := pem.Decode(text)
	if blk == nil || len(bytes.TrimSpace(rest)) != 0 {
		return nil, ErrNotKeyFile
	}
	switch blk.Type {
	case PlainType:
		return blk.Bytes, nil
	case EncryptedType:
	default:
		return nil, fmt.Errorf("%w: PEM type %q", ErrNotKeyFile, blk.Type)
	}
	p, salt, nonce, ct, head, err := parseEncrypted(blk.Bytes)
	if err != nil {
		return nil, err
	}
	// Parameters are validated before the passphrase is even asked for.
	if err := p.Check(); err != nil {
		return nil, err
	}
	if passphrase == nil {
		return nil, ErrPassphraseNeeded
	}
	pass, err := passphrase()
	if err != nil {
		return nil, fmt.Errorf("reading passphrase: %w", err)
	}
	key, err := Derive(pass, salt, p)
	if err != nil {
		return nil, err
	}
	secret, err := newGCM(key).Open(nil, nonce, ct, additionalData(head))
	if err != nil {
		return nil, ErrWrongPassphrase
	}
	return secret, nil
}

func encodeHead(p Params, salt, nonce []byte) []byte {
	var b cryptobyte.Builder
	b.AddUint8(version)
	b.AddUint16(suite)
	b.AddUint32(p.Time)
	b.AddUint32(p.MemoryKiB)
	b.AddUint8(p.Threads)
	b.AddBytes(salt)
	b.AddBytes(nonce)
	return b.BytesOrPanic()
}

// additionalData binds the label, version, suite, parameters, salt and nonce.
func additionalData(head []byte) []byte {
	return append([]byte(aadLabel+"\x00"), head...)
}

func parseEncrypted(data []byte) (p Params, salt, nonce, ct, head []byte, err error) {
	s := cryptobyte.String(data)
	var v uint8
	var su uint16
	if !s.ReadUint8(&v) {
		return p, nil, nil, nil, nil, ErrNotKeyFile
	}
	if v != version {
		return p, nil, nil, nil, nil, fmt.Errorf("%w: %d", ErrUnknownVersion, v)
	}
	if !s.ReadUint16(&su) {
		return p, nil, nil, nil, nil, ErrNotKeyFile
	}
	if su != suite {
		return p, nil, nil, nil, nil, fmt.Errorf("%w: %d", ErrUnknownSuite, su)
	}
	var body cryptobyte.String
	if !s.ReadUint32(&p.Time) || !s.ReadUint32(&p.MemoryKiB) || !s.ReadUint8(&p.Threads) ||
		!s.ReadBytes(&salt, saltSize) || !s.ReadBytes(&nonce, 12) ||
		!s.ReadUint24LengthPrefixed(&body) || !s.Empty() {
		return p, nil, nil, nil, nil, ErrNotKeyFile
	}
	head = data[:len(data)-len(body)-3]
	return p, salt, nonce, body, head, nil
}

func newGCM(key []byte) cipher.AEAD {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic("keyfile: 32-byte key rejected: " + err.Error()) // programmer error only
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic("keyfile: " + err.Error())
	}
	return aead
}
