package sdk

import (
	"encoding/hex"
	"io"
	"time"

	"github.com/blindvault/blindvault/internal/format"
)

// FileInfo is what anyone can learn from a record file without a key: the JSON view
// that `blindvault inspect` prints. It holds no secret; the metadata stays sealed.
type FileInfo struct {
	RecordID RecordID   `json:"record_id"`
	Version  uint64     `json:"version"`
	Epoch    uint32     `json:"epoch"`
	Created  time.Time  `json:"created"`
	Author   AuthorInfo `json:"author"`
	// SignaturesValid is true: Inspect refuses files whose signatures fail.
	SignaturesValid bool        `json:"signatures_valid"`
	Readers         []ReaderACL `json:"readers"`
	Grants          int         `json:"grants"`
	Body            BodyInfo    `json:"body"`
	SealedMetaBytes int         `json:"sealed_metadata_bytes"`
}

// AuthorInfo names the author as the file claims; it is verified only by fingerprint.
type AuthorInfo struct {
	Handle      string      `json:"handle"`
	AccountID   AccountID   `json:"account_id"`
	Fingerprint Fingerprint `json:"fingerprint"`
}

// ReaderACL is one ACL entry: a reader's key id and rights.
type ReaderACL struct {
	KeyID  string   `json:"key_id"`
	Rights []string `json:"rights"`
}

// BodyInfo describes the sealed body; its padded size is all the server learns.
type BodyInfo struct {
	CiphertextBytes uint64 `json:"ciphertext_bytes"`
	Chunks          uint64 `json:"chunks"`
	MerkleRoot      string `json:"merkle_root"`
	Commitment      string `json:"commitment"`
}

// Inspect reads the signed part of a record file and verifies its signatures. It
// needs no key and decrypts nothing.
func Inspect(src io.Reader) (_ *FileInfo, err error) {
	defer inModel(&err)
	b, err := readBundle(src)
	if err != nil {
		return nil, err
	}
	h, card := b.header, &KeyCard{c: b.card}
	fi := &FileInfo{
		RecordID: h.RecordID, Version: h.Version, Epoch: h.Epoch,
		Created: time.Unix(int64(h.Created), 0).UTC(),
		Author: AuthorInfo{Handle: card.Handle(), AccountID: card.AccountID(),
			Fingerprint: card.Fingerprint()},
		SignaturesValid: true,
		Grants:          len(b.grants),
		Body: BodyInfo{CiphertextBytes: h.CiphertextLen, Chunks: h.ChunkCount,
			MerkleRoot: hex.EncodeToString(h.Root[:]), Commitment: hex.EncodeToString(h.Commitment[:])},
		SealedMetaBytes: len(h.SealedMeta),
	}
	for _, e := range b.acl.Entries {
		fi.Readers = append(fi.Readers, ReaderACL{KeyID: hex.EncodeToString(e.Reader[:]), Rights: rightNames(e.Rights)})
	}
	return fi, nil
}

func rightNames(r format.Rights) []string {
	var out []string
	for _, x := range []struct {
		bit  format.Rights
		name string
	}{{format.RightRead, "read"}, {format.RightWrite, "write"}, {format.RightShare, "share"}} {
		if r&x.bit != 0 {
			out = append(out, x.name)
		}
	}
	return out
}
