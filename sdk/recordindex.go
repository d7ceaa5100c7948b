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
	"maps"
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

// recordIndexFile is the sealed index in the profile's storage, the base of
// its journal recordJournalFile, which holds one sealed change per list
// that indexed anything (journal.go): a list writes what it indexed, not the
// whole index.
const (
	recordIndexFile   = "records.sealed"
	recordJournalFile = "records.journal"
)

// recordIndex is the index's content.
type recordIndex struct {
	Records map[string]*indexedRecord `json:"records"` // by record id, hex
	Cards   map[string][]byte         `json:"cards"`   // key cards by fingerprint, hex
	// JournalID names the base its journal follows (journal.go).
	JournalID string `json:"journal_id,omitempty"`

	parsed   map[string]*KeyCard // Cards, parsed and verified once per run
	journal  journal
	baseSize int
	// changed are the records and cards put since the index was last
	// written.
	changedRecords, changedCards map[string]bool
}

// indexChange is what a list indexed, sealed in a frame of the journal.
type indexChange struct {
	Records map[string]*indexedRecord `json:"records,omitempty"`
	Cards   map[string][]byte         `json:"cards,omitempty"`
}

func newRecordIndex() *recordIndex {
	return &recordIndex{Records: map[string]*indexedRecord{}, Cards: map[string][]byte{}, journal: journal{name: recordJournalFile}}
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

// loadIndex reads the sealed index and its journal, or starts an empty one
// when there is none or it does not open: the index is a cache.
func (c *Client) loadIndex(ctx context.Context) *recordIndex {
	idx, err := c.readIndex(ctx)
	if err != nil {
		return newRecordIndex() // with no JournalID: the next save writes a base
	}
	return idx
}

func (c *Client) readIndex(ctx context.Context) (*recordIndex, error) {
	sealed, err := c.storage.Load(ctx, recordIndexFile)
	if err != nil {
		return nil, err
	}
	idx := newRecordIndex()
	plain, err := c.openIndex(sealed, []byte(c.prof.Account))
	if err != nil {
		return nil, err
	}
	err = json.Unmarshal(plain, idx)
	clear(plain)
	if err != nil || idx.Records == nil || idx.Cards == nil {
		return nil, fmt.Errorf("%w: record index", ErrInvalid)
	}
	idx.baseSize = len(sealed)
	changes, err := idx.journal.load(ctx, c.storage, idx.JournalID)
	if err != nil {
		return nil, err
	}
	for _, frame := range changes {
		plain, err := c.openIndex(frame, c.changeAD(idx))
		if err != nil {
			return nil, err
		}
		var ch indexChange
		err = json.Unmarshal(plain, &ch)
		clear(plain)
		if err != nil {
			return nil, fmt.Errorf("%w: record index journal: %w", ErrInvalid, err)
		}
		for id, r := range ch.Records {
			if r == nil {
				return nil, fmt.Errorf("%w: record index journal: record %q is null", ErrInvalid, id)
			}
			idx.Records[id] = r
		}
		maps.Copy(idx.Cards, ch.Cards)
	}
	return idx, nil
}

// changeAD binds a change to the account and to the base it follows:
// account id in hex ‖ "/journal/" ‖ the base's JournalID.
func (c *Client) changeAD(idx *recordIndex) []byte {
	return []byte(c.prof.Account + "/journal/" + idx.JournalID)
}

// saveIndex writes what the operation indexed, once per operation, if it
// indexed anything: a warm list that fetched nothing writes nothing, one that
// fetched a few records appends those (at 10,000 records, encoding and
// sealing the whole index was most of such a list's time).
func (c *Client) saveIndex(ctx context.Context, idx *recordIndex) error {
	if len(idx.changedRecords) == 0 && len(idx.changedCards) == 0 {
		return nil
	}
	if idx.JournalID != "" && idx.JournalID == idx.journal.base && !idx.journal.due(idx.baseSize) {
		ch := indexChange{Records: map[string]*indexedRecord{}, Cards: map[string][]byte{}}
		for id := range idx.changedRecords {
			ch.Records[id] = idx.Records[id]
		}
		for fp := range idx.changedCards {
			ch.Cards[fp] = idx.Cards[fp]
		}
		sealed, err := c.sealIndex(ch, c.changeAD(idx))
		if err != nil {
			return err
		}
		if err := idx.journal.add(ctx, c.storage, sealed); err != nil {
			return err
		}
		idx.changedRecords, idx.changedCards = nil, nil
		return nil
	}
	old := idx.JournalID
	idx.JournalID = newJournalID()
	sealed, err := c.sealIndex(idx, []byte(c.prof.Account))
	if err == nil {
		err = c.storage.Save(ctx, recordIndexFile, sealed)
	}
	if err != nil {
		idx.JournalID = old
		return err
	}
	idx.baseSize = len(sealed)
	idx.changedRecords, idx.changedCards = nil, nil
	return idx.journal.rebase(ctx, c.storage, idx.JournalID)
}

// sealIndex encodes v and seals it: nonce ‖ AES-256-GCM(JSON, ad).
func (c *Client) sealIndex(v any, ad []byte) ([]byte, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	return c.indexAEAD(func(a cipher.AEAD) ([]byte, error) {
		nonce := make([]byte, a.NonceSize())
		rand.Read(nonce)
		return a.Seal(nonce, nonce, plain, ad), nil
	})
}

// openIndex opens what sealIndex sealed.
func (c *Client) openIndex(sealed, ad []byte) ([]byte, error) {
	return c.indexAEAD(func(a cipher.AEAD) ([]byte, error) {
		n := a.NonceSize()
		if len(sealed) < n {
			return nil, fmt.Errorf("%w: record index of %d bytes", ErrInvalid, len(sealed))
		}
		return a.Open(nil, sealed[:n], sealed[n:], ad)
	})
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
	idx.changedRecords = markKey(idx.changedRecords, info.RecordID.String())
	idx.changedCards = markKey(markKey(idx.changedCards, hex.EncodeToString(ownerFP[:])), hex.EncodeToString(authorFP[:]))
	idx.Records[info.RecordID.String()] = &indexedRecord{
		Version: info.Version, HeaderHash: hex.EncodeToString(headerHash[:]), ACLSeq: info.ACLSeq,
		ACLHash: hex.EncodeToString(aclHash[:]), Owner: hex.EncodeToString(ownerFP[:]), Author: hex.EncodeToString(authorFP[:]),
		Title: info.Title, Type: info.Type, Tags: info.Tags, Length: info.Length, Created: info.Created,
		Modified: info.Modified, Stored: info.StoredBytes, Epoch: info.Epoch,
	}
}
