package sdk

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"testing"
)

// BenchmarkProfile_Marshal is encoding the profile of an account with 10,000
// records (each in its chain, each with its log salt), which an operation
// that changes the profile does once, when it ends.
func BenchmarkProfile_Marshal(b *testing.B) {
	p := newProfile()
	st := &chainState{Seq: 10000, Records: map[string]*chainRecord{}}
	owner := hex.EncodeToString(make([]byte, 32))
	for range 10000 {
		var id, h [32]byte
		rand.Read(id[:])
		rand.Read(h[:])
		k := hex.EncodeToString(id[:])
		st.Records[k] = &chainRecord{Owner: owner, Version: 1, HeaderHash: hex.EncodeToString(h[:]), ACLSeq: 1, ACLHash: hex.EncodeToString(h[:])}
		p.Salts[k] = h[:]
	}
	p.Chains[owner] = st
	for b.Loop() {
		data, err := json.Marshal(p)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(data)))
	}
}

// BenchmarkProfile_WriteChange is what a write costs the profile of an
// account with 10,000 records now: one record's change appended to the
// journal (profile_journal.go), the base rewritten only when the journal
// outgrows half of it.
func BenchmarkProfile_WriteChange(b *testing.B) {
	p := newProfile()
	p.Account = hex.EncodeToString(make([]byte, 32))
	st := &chainState{Seq: 10000, Records: map[string]*chainRecord{}}
	var last string
	for range 10000 {
		var id, h [32]byte
		rand.Read(id[:])
		rand.Read(h[:])
		last = hex.EncodeToString(id[:])
		st.Records[last] = &chainRecord{Owner: p.Account, Version: 1, HeaderHash: hex.EncodeToString(h[:]), ACLSeq: 1, ACLHash: hex.EncodeToString(h[:])}
		p.Salts[last] = h[:]
	}
	p.Chains[p.Account] = st
	c := &Client{storage: &MemoryStorage{}, prof: p, profJournal: journal{name: profileJournalFile}}
	if err := c.writeProfile(b.Context()); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		st.Records[last].Version++
		st.Seq++
		st.unsaved, st.unsavedRecords = true, map[string]bool{last: true}
		if err := c.writeProfile(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}
