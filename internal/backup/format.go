package backup

import (
	"fmt"

	"golang.org/x/crypto/cryptobyte"

	"github.com/blindvault/blindvault/internal/keyfile"
)

// Format constants (docs/spec/backup-v1.md §2).
const (
	version = 1
	suite   = 1

	// MaxBlobSize bounds a blob before anything is parsed. Base64 in a
	// registration request it stays well under the server's 64 KiB JSON bound.
	MaxBlobSize = 32 << 10
	// MaxSecret bounds the secret a blob holds.
	MaxSecret = MaxBlobSize - 1024

	saltSize    = 16
	nonceSize   = 12
	keySize     = 32
	tagSize     = 16
	wrappedSize = nonceSize + keySize + tagSize // a sealed backup key
	maxSlots    = 2
	maxSlotHead = 256
)

// Slot kinds.
const (
	slotPassphrase = 1 // Argon2id + VOPRF
	slotRecovery   = 2 // recovery code
)

// slot is one key slot: its kind, its header (bound in the AAD of its seal)
// and the sealed backup key.
type slot struct {
	kind    uint8
	head    []byte // kind 1: u32 t ‖ u32 m_KiB ‖ u8 p ‖ [16] salt; kind 2: empty
	wrapped []byte // [12] nonce ‖ AES-256-GCM(backup key) (48 bytes)
}

// blob is a parsed backup blob.
type blob struct {
	account [32]byte
	slots   []slot
	nonce   []byte
	body    []byte // AES-256-GCM(secret), tag appended
	prefix  []byte // every byte before u24<body>: the body's AAD
}

// passHead encodes a passphrase slot's header.
func passHead(p keyfile.Params, salt []byte) []byte {
	var b cryptobyte.Builder
	b.AddUint32(p.Time)
	b.AddUint32(p.MemoryKiB)
	b.AddUint8(p.Threads)
	b.AddBytes(salt)
	return b.BytesOrPanic()
}

// parsePassHead decodes a passphrase slot's header. It does not check the
// parameters against the floor and ceiling; the caller does, first.
func parsePassHead(head []byte) (p keyfile.Params, salt []byte, err error) {
	s := cryptobyte.String(head)
	if !s.ReadUint32(&p.Time) || !s.ReadUint32(&p.MemoryKiB) || !s.ReadUint8(&p.Threads) ||
		!s.ReadBytes(&salt, saltSize) || !s.Empty() {
		return p, nil, fmt.Errorf("%w: passphrase slot header", ErrMalformed)
	}
	return p, salt, nil
}

// encodePrefix writes everything before the body: version, suite, account,
// slots and the body nonce.
func encodePrefix(account [32]byte, slots []slot, nonce []byte) []byte {
	var b cryptobyte.Builder
	b.AddUint8(version)
	b.AddUint16(suite)
	b.AddBytes(account[:])
	b.AddUint8(uint8(len(slots)))
	for _, sl := range slots {
		b.AddUint8(sl.kind)
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(sl.head) })
		b.AddBytes(sl.wrapped)
	}
	b.AddBytes(nonce)
	return b.BytesOrPanic()
}

// encode writes a blob from its prefix and body.
func encode(prefix, body []byte) []byte {
	var b cryptobyte.Builder
	b.AddBytes(prefix)
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(body) })
	return b.BytesOrPanic()
}

// parse decodes a blob, checking in this order: size, version, suite, the
// slots (count, kinds, no repeated kind, header sizes), the body, nothing
// trailing. It never panics on any input; it checks no cryptography.
func parse(data []byte) (*blob, error) {
	if len(data) > MaxBlobSize {
		return nil, ErrTooLarge
	}
	s := cryptobyte.String(data)
	var ver uint8
	var su uint16
	if !s.ReadUint8(&ver) {
		return nil, fmt.Errorf("%w: empty", ErrMalformed)
	}
	if ver != version {
		return nil, fmt.Errorf("%w: %d", ErrUnknownVersion, ver)
	}
	if !s.ReadUint16(&su) {
		return nil, fmt.Errorf("%w: no suite", ErrMalformed)
	}
	if su != suite {
		return nil, fmt.Errorf("%w: %d", ErrUnknownSuite, su)
	}
	var b blob
	var acct []byte
	var n uint8
	if !s.ReadBytes(&acct, len(b.account)) || !s.ReadUint8(&n) {
		return nil, fmt.Errorf("%w: header", ErrMalformed)
	}
	copy(b.account[:], acct)
	if n == 0 || n > maxSlots {
		return nil, fmt.Errorf("%w: %d key slots", ErrMalformed, n)
	}
	seen := map[uint8]bool{}
	for range n {
		var sl slot
		var head cryptobyte.String
		if !s.ReadUint8(&sl.kind) {
			return nil, fmt.Errorf("%w: key slot", ErrMalformed)
		}
		if sl.kind != slotPassphrase && sl.kind != slotRecovery {
			return nil, fmt.Errorf("%w: %d", ErrUnknownSlot, sl.kind)
		}
		if seen[sl.kind] {
			return nil, fmt.Errorf("%w: key slot kind %d repeated", ErrMalformed, sl.kind)
		}
		seen[sl.kind] = true
		if !s.ReadUint16LengthPrefixed(&head) || len(head) > maxSlotHead || !s.ReadBytes(&sl.wrapped, wrappedSize) {
			return nil, fmt.Errorf("%w: key slot %d", ErrMalformed, sl.kind)
		}
		sl.head = head
		switch sl.kind {
		case slotPassphrase:
			if _, _, err := parsePassHead(sl.head); err != nil {
				return nil, err
			}
		case slotRecovery:
			if len(sl.head) != 0 {
				return nil, fmt.Errorf("%w: recovery slot header not empty", ErrMalformed)
			}
		}
		b.slots = append(b.slots, sl)
	}
	if !s.ReadBytes(&b.nonce, nonceSize) {
		return nil, fmt.Errorf("%w: body nonce", ErrMalformed)
	}
	b.prefix = data[:len(data)-len(s)]
	var body cryptobyte.String
	if !s.ReadUint24LengthPrefixed(&body) || len(body) < tagSize {
		return nil, fmt.Errorf("%w: body", ErrMalformed)
	}
	if !s.Empty() {
		return nil, fmt.Errorf("%w: trailing data", ErrMalformed)
	}
	b.body = body
	return &b, nil
}

// find returns the slot of a kind, or ErrNoSlot.
func (b *blob) find(kind uint8) (slot, error) {
	for _, sl := range b.slots {
		if sl.kind == kind {
			return sl, nil
		}
	}
	return slot{}, fmt.Errorf("%w: kind %d", ErrNoSlot, kind)
}
