package sdk

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/blindvault/blindvault/internal/auditlog"
	"github.com/blindvault/blindvault/internal/format"
)

// After a key rotation, the replaced card signs only the chain entries the
// log held before its successor card was logged: entry 3 under the old key
// is accepted, entry 4 is CheckChain, and under the new key it is accepted.
func TestCardSignsOnlyBeforeItsSuccessor(t *testing.T) {
	var account [32]byte
	rand.Read(account[:])
	oldPK, oldKey, _ := ed25519.GenerateKey(rand.Reader)
	newPK, newKey, _ := ed25519.GenerateKey(rand.Reader)
	card := func(n byte) [32]byte { return [32]byte{n} } // card hashes
	al := &accountLog{}
	al.observe(&auditlog.Entry{Type: auditlog.KeyCard, Subject: account, Number: 1, Object: card(1)})
	for seq := uint64(1); seq <= 3; seq++ {
		al.observe(&auditlog.Entry{Type: auditlog.ChainEntry, Subject: account, Number: seq})
	}
	al.observe(&auditlog.Entry{Type: auditlog.KeyCard, Subject: account, Number: 2, Object: card(2)})
	oldBound, ok1 := al.cardSigns(card(1))
	newBound, ok2 := al.cardSigns(card(2))
	if _, ok := al.cardSigns(card(3)); ok || !ok1 || !ok2 || oldBound != 3 {
		t.Fatalf("cardSigns: old card to %d (%v), new card %v, unlogged card %v", oldBound, ok1, ok2, ok)
	}
	signers := map[[32]byte]uint64{[32]byte(oldPK): oldBound, [32]byte(newPK): newBound}

	st := &chainState{Records: map[string]*chainRecord{}}
	next := func(key ed25519.PrivateKey) *format.AccountEntry {
		e := &format.AccountEntry{Account: account, Seq: st.Seq + 1, Event: format.EventTombstone, Number: 1,
			SignerPK: [32]byte(key.Public().(ed25519.PublicKey))}
		if st.Head != "" {
			h, _ := hex.DecodeString(st.Head)
			e.PrevHash = [32]byte(h)
		}
		rand.Read(e.Record[:])
		if err := e.Sign(key); err != nil {
			t.Fatal(err)
		}
		return e
	}
	for range 3 {
		if err := st.apply(next(oldKey), account, signers, false); err != nil {
			t.Fatalf("entry %d under the old key: %v", st.Seq+1, err)
		}
	}
	if err := st.apply(next(oldKey), account, signers, false); !errors.Is(err, CheckChain) {
		t.Fatalf("entry 4 under the replaced key: %v, want CheckChain", err)
	}
	if err := st.apply(next(newKey), account, signers, false); err != nil {
		t.Fatalf("entry 4 under the new key: %v", err)
	}
}
