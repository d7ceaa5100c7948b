package sdk

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/blindvault/blindvault/internal/api"
)

// The record index: what this device verified of each record it listed, so
// that a list reads again only what changed. An entry is used only while the
// server's head of the record and its owner's chain, itself checked against
// the transparency log, both still show the version and ACL the entry was
// verified at; anything else is fetched and verified again. The index holds
// titles and types, so it is sealed at rest (AES-256-GCM under a key derived
// from the identity); a lost, damaged or older index only costs fetches.

// recordIndexFile is the sealed index in the profile's storage.
const recordIndexFile = "records.sealed"

// recordIndex is the index's content.
type recordIndex struct {
	Records map[string]*indexedRecord `json:"records"` // by record id, hex
	Cards   map[string][]byte         `json:"cards"`   // key cards by fingerprint, hex

	parsed  map[string]*KeyCard // Cards, parsed and verified once per run
	changed bool                // put since it was loaded: to be written
}

// indexedRecord is a verified record's listing: its RecordInfo and what it
// was verified at.
type indexedRecord struct {
	Version    uint64    `json:"version"`
	HeaderHash string    `json:"header_hash"`
	ACLSeq     uint64    `json:"acl_seq"`
	ACLHash    string    `json:"acl_hash"`
	Owner      string    `json:"owner"`  // fingerprint of the owner's card
	Author     string    `json:"author"` // fingerprint of the author's card
	Title      string    `json:"title,omitempty"`
	Type       string    `json:"type,omitempty"`
	Tags       []string  `json:"tags,omitempty"`
	Length     uint64    `json:"length"`
	Created    time.Time `json:"created"`
	Modified   time.Time `json:"modified"`
	Stored     uint64    `json:"stored"`
	Epoch      uint32    `json:"epoch"`
}

// indexKey derives the index's sealing key from the identity.
func (c *Client) indexKey() ([]byte, error) {
	return hkdf.Key(sha256.New, c.id.sign.Seed(), []byte(c.prof.Account), "blindvault record index v1", 32)
}

// loadIndex reads the sealed index, or starts an empty one when there is none
// or it does not open.
func (c *Client) loadIndex(ctx context.Context) *recordIndex {
	idx := &recordIndex{Records: map[string]*indexedRecord{}, Cards: map[string][]byte{}}
	sealed, err := c.storage.Load(ctx, recordIndexFile)
	if err != nil {
		return idx
	}
	plain, err := c.indexAEAD(func(a cipher.AEAD) ([]byte, error) {
		n := a.NonceSize()
		if len(sealed) < n {
			return nil, fmt.Errorf("%w: record index of %d bytes", ErrInvalid, len(sealed))
		}
		return a.Open(nil, sealed[:n], sealed[n:], []byte(c.prof.Account))
	})
	if err != nil || json.Unmarshal(plain, idx) != nil || idx.Records == nil || idx.Cards == nil {
		return &recordIndex{Records: map[string]*indexedRecord{}, Cards: map[string][]byte{}}
	}
	return idx
}

// saveIndex seals and writes the index, once per operation, if the
// operation indexed anything: a warm list that fetched nothing writes
// nothing (at 10,000 records, encoding and sealing the index was most of
// such a list's time).
func (c *Client) saveIndex(ctx context.Context, idx *recordIndex) error {
	if !idx.changed {
		return nil
	}
	plain, err := json.Marshal(idx)
	if err != nil {
		return err
	}
	sealed, err := c.indexAEAD(func(a cipher.AEAD) ([]byte, error) {
		nonce := make([]byte, a.NonceSize())
		rand.Read(nonce)
		return a.Seal(nonce, nonce, plain, []byte(c.prof.Account)), nil
	})
	clear(plain)
	if err != nil {
		return err
	}
	if err := c.storage.Save(ctx, recordIndexFile, sealed); err != nil {
		return err
	}
	idx.changed = false
	return nil
}

// indexAEAD runs f with the index's AEAD.
func (c *Client) indexAEAD(f func(cipher.AEAD) ([]byte, error)) ([]byte, error) {
	key, err := c.indexKey()
	if err != nil {
		return nil, err
	}
	defer clear(key)
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	a, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return f(a)
}

// current returns the indexed listing of a record if it is still current:
// the server's head and the owner's chain both show the version and ACL it
// was verified at.
func (idx *recordIndex) current(id string, h api.Head, chain *chainRecord) (*RecordInfo, bool) {
	e := idx.Records[id]
	if e == nil || chain == nil || h.Version != e.Version || h.HeaderHash != e.HeaderHash || h.ACLSeq != e.ACLSeq ||
		chain.Version != e.Version || chain.HeaderHash != e.HeaderHash {
		return nil, false
	}
	// A chain that logged no ACL change holds the record's first ACL, the
	// one its first version carried.
	if chain.ACLSeq == 0 && e.ACLSeq != 1 || chain.ACLSeq != 0 && (chain.ACLSeq != e.ACLSeq || chain.ACLHash != e.ACLHash) {
		return nil, false
	}
	owner, ok1 := idx.card(e.Owner)
	author, ok2 := idx.card(e.Author)
	if !ok1 || !ok2 {
		return nil, false
	}
	recordID, err := ParseRecordID(id)
	if err != nil {
		return nil, false
	}
	return &RecordInfo{RecordID: recordID, Version: e.Version, Author: author, AuthorVerified: true,
		Title: e.Title, Type: e.Type, Tags: e.Tags, Length: e.Length, Created: e.Created, Modified: e.Modified,
		Owner: owner, StoredBytes: e.Stored, Epoch: e.Epoch, ACLSeq: e.ACLSeq}, true
}

// card returns an indexed key card by fingerprint, parsed and verified once
// per run.
func (idx *recordIndex) card(fp string) (*KeyCard, bool) {
	if k, ok := idx.parsed[fp]; ok {
		return k, true
	}
	raw, ok := idx.Cards[fp]
	if !ok {
		return nil, false
	}
	k, err := ParseKeyCard(raw)
	if err != nil {
		return nil, false
	}
	if got := k.Fingerprint(); hex.EncodeToString(got[:]) != fp {
		return nil, false
	}
	if idx.parsed == nil {
		idx.parsed = map[string]*KeyCard{}
	}
	idx.parsed[fp] = k
	return k, true
}

// put indexes a version that verified.
func (idx *recordIndex) put(v *version) {
	info := v.info()
	ownerFP, authorFP := info.Owner.Fingerprint(), info.Author.Fingerprint()
	idx.Cards[hex.EncodeToString(ownerFP[:])] = info.Owner.Bytes()
	idx.Cards[hex.EncodeToString(authorFP[:])] = info.Author.Bytes()
	aclHash := v.acl.Hash()
	headerHash := v.header.Hash()
	idx.changed = true
	idx.Records[info.RecordID.String()] = &indexedRecord{
		Version: info.Version, HeaderHash: hex.EncodeToString(headerHash[:]), ACLSeq: info.ACLSeq,
		ACLHash: hex.EncodeToString(aclHash[:]), Owner: hex.EncodeToString(ownerFP[:]), Author: hex.EncodeToString(authorFP[:]),
		Title: info.Title, Type: info.Type, Tags: info.Tags, Length: info.Length, Created: info.Created,
		Modified: info.Modified, Stored: info.StoredBytes, Epoch: info.Epoch,
	}
}
