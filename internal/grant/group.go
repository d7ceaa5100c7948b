package grant

import (
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
)

// groupLabel starts the HKDF info of a group key.
const groupLabel = "blindvault.v1 group key"

// GroupSeed derives the X-Wing seed of a group (a care team or a collection)
// at one epoch from the epoch key of the group's key record:
// HKDF-SHA256(ikm = epochKey, salt = empty, info = "blindvault.v1 group key" ‖
// group_id ‖ u32 epoch), 32 bytes (format-v1 §2.10). Whoever holds the key
// record's epoch key (its members, through their grants, and its owner) holds
// the group's key of that epoch, and no one else.
func GroupSeed(epochKey []byte, groupID [32]byte, epoch uint32) ([]byte, error) {
	info := make([]byte, 0, len(groupLabel)+36)
	info = append(info, groupLabel...)
	info = append(info, groupID[:]...)
	info = binary.BigEndian.AppendUint32(info, epoch)
	return hkdf.Key(sha256.New, epochKey, nil, string(info), SeedSize)
}
