package backup

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"

	"golang.org/x/crypto/cryptobyte"
)

// AAD labels (docs/spec/backup-v1.md §4).
const (
	slotLabel = "blindvault.v1 backup-slot"
	bodyLabel = "blindvault.v1 backup-body"
)

func newGCM(key []byte) cipher.AEAD {
	blk, err := aes.NewCipher(key)
	if err != nil {
		panic(err) // keys are always 32 bytes here
	}
	g, err := cipher.NewGCM(blk)
	if err != nil {
		panic(err)
	}
	return g
}

// slotAAD binds a slot's seal to the version, the suite, the account, the
// slot's kind and its header:
//
//	"blindvault.v1 backup-slot" ‖ 0x00 ‖ u8 version ‖ u16 suite ‖ [32] account ‖ u8 kind ‖ u16<head>
func slotAAD(account [32]byte, kind uint8, head []byte) []byte {
	var b cryptobyte.Builder
	b.AddBytes([]byte(slotLabel))
	b.AddUint8(0)
	b.AddUint8(version)
	b.AddUint16(suite)
	b.AddBytes(account[:])
	b.AddUint8(kind)
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(head) })
	return b.BytesOrPanic()
}

// bodyAAD binds the body to every byte before it in the blob (version, suite,
// account, all slots and the body nonce).
func bodyAAD(prefix []byte) []byte {
	aad := make([]byte, 0, len(bodyLabel)+1+len(prefix))
	aad = append(append(aad, bodyLabel...), 0)
	return append(aad, prefix...)
}

// sealSlot wraps the backup key under a slot key.
func sealSlot(account [32]byte, kind uint8, head, slotKey, backupKey []byte) slot {
	var nonce [nonceSize]byte
	rand.Read(nonce[:])
	w := newGCM(slotKey).Seal(nonce[:], nonce[:], backupKey, slotAAD(account, kind, head))
	return slot{kind: kind, head: head, wrapped: w}
}

// openSlot unwraps the backup key; ok is false if the slot does not open.
func openSlot(account [32]byte, sl slot, slotKey []byte) (backupKey []byte, ok bool) {
	if len(slotKey) != keySize || len(sl.wrapped) != wrappedSize {
		return nil, false
	}
	k, err := newGCM(slotKey).Open(nil, sl.wrapped[:nonceSize], sl.wrapped[nonceSize:], slotAAD(account, sl.kind, sl.head))
	return k, err == nil
}
