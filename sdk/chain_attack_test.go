//go:build !js

package sdk_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/blindvault/blindvault/internal/backup"
	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/servertest"
	"github.com/blindvault/blindvault/server/store"
)

// chainWorld is alice, with her profile's keys at hand, and a second device of
// hers behind a proxy.
func chainWorld(t *testing.T) (*servertest.Server, *sdk.Client, sdk.Storage, *proxy, string) {
	t.Helper()
	srv := servertest.Start(t, server.Config{})
	keys := &sdk.MemoryStorage{}
	alice := newClient(t, srv, keys)
	register(t, alice, "alice", "", "", patientPass)
	put(t, alice, []byte("one"), "one")
	put(t, alice, []byte("two"), "two")
	id := alice.AccountID()
	return srv, alice, keys, newProxy(t, srv.URL), "/v1/chains/" + hex.EncodeToString(id[:])
}

// An account-chain entry the account did not sign is refused.
func TestAttack_ChainEntryForged(t *testing.T) {
	srv, _, _, p, path := chainWorld(t)
	p.attack(t, "GET", path, editJSON(t, func(m map[string]json.RawMessage) {
		var es []struct {
			Seq   uint64 `json:"seq"`
			Entry []byte `json:"entry"`
		}
		if err := json.Unmarshal(m["entries"], &es); err != nil || len(es) == 0 {
			t.Errorf("proxy: chain: %v", err)
			return
		}
		es[0].Entry[len(es[0].Entry)-1] ^= 1 // the signature's last byte
		m["entries"] = toJSON(es)
	}))
	if _, err := login(t, srv, p, "alice", patientPass); !errors.Is(err, sdk.CheckChain) {
		t.Fatalf("Login over a chain with a forged entry: %v, want CheckChain", err)
	}
}

// A chain that does not continue the history this device verified (the
// server accepted two entries for one seq and shows each device its own) is
// equivocation.
func TestAttack_ChainForked(t *testing.T) {
	srv, _, keys, p, path := chainWorld(t)
	laptop, err := login(t, srv, p, "alice", patientPass)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := laptop.List(t.Context()); err != nil {
		t.Fatal(err)
	}
	chain, err := srv.Store.Chain(t.Context(), store.AccountID(laptop.AccountID()), 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	// An entry alice's other device might have signed, on another branch.
	sign, _ := identityKeys(t, keys, patientPass)
	e := &format.AccountEntry{Account: laptop.AccountID(), Seq: uint64(len(chain)) + 1, Created: uint64(time.Now().Unix()),
		SignerPK: [32]byte(sign.Public().(ed25519.PublicKey)), Event: format.EventTombstone, Number: 1}
	rand.Read(e.PrevHash[:])
	rand.Read(e.Record[:])
	if err := e.Sign(sign); err != nil {
		t.Fatal(err)
	}
	body := toJSON(map[string]any{"account": path[len("/v1/chains/"):],
		"entries": []map[string]any{{"seq": e.Seq, "entry": e.Marshal()}}})
	p.attack(t, "GET", path, replay(body))
	if _, err := laptop.List(t.Context()); !errors.Is(err, sdk.CheckEquivocation) {
		t.Fatalf("List over a forked chain: %v, want CheckEquivocation", err)
	}
}

// A well-formed recovery code that is not the account's is refused as such.
func TestClient_WrongRecoveryCode(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	register(t, newClient(t, srv, nil), "alice", "", "", patientPass)
	code := make([]byte, 16)
	rand.Read(code)
	phone := newClient(t, srv, nil)
	_, err := phone.Login(t.Context(), &sdk.LoginOptions{Handle: "alice", RecoveryCode: backup.FormatRecoveryCode(code),
		Passphrase: []byte("a new local passphrase 77")})
	if !errors.Is(err, sdk.ErrWrongRecoveryCode) {
		t.Fatalf("Login with another recovery code: %v, want ErrWrongRecoveryCode", err)
	}
}

// A device whose view of its own chain is behind because another device
// appended in the meantime loses the compare-and-swap, reads the log and its
// chain again, and writes at the next seq.
func TestClient_ChainRaceRetried(t *testing.T) {
	srv, alice, _, p, path := chainWorld(t)
	laptop, err := login(t, srv, p, "alice", patientPass)
	if err != nil {
		t.Fatal(err)
	}
	once := true
	p.attack(t, "GET", path, func(req []byte, status int, body []byte) (int, []byte) {
		if once {
			once = false
			// The phone writes after the laptop read its chain (and the log).
			put(t, alice, []byte("three"), "three")
		}
		return status, body
	})
	if _, err := laptop.Put(t.Context(), bytes.NewReader([]byte("four")), nil); err != nil {
		t.Fatalf("Put from a device behind on its chain: %v", err)
	}
	if once {
		t.Fatal("the laptop never read its chain")
	}
}

// A device shown its own chain short of what the log holds (the server
// hides an entry another device wrote) refuses to write, and writes once the
// server shows the whole chain.
func TestAttack_OwnChainCutShortOfLog(t *testing.T) {
	srv, alice, _, p, path := chainWorld(t)
	laptop, err := login(t, srv, p, "alice", patientPass)
	if err != nil {
		t.Fatal(err)
	}
	put(t, alice, []byte("three"), "three") // the laptop has not seen this entry
	p.attack(t, "GET", path, func(req []byte, status int, body []byte) (int, []byte) {
		return 200, []byte(`{"entries":[]}`) // hide it
	})
	_, err = laptop.Put(t.Context(), bytes.NewReader([]byte("four")), nil)
	if !errors.Is(err, sdk.CheckRollback) {
		t.Fatalf("Put on a chain cut short of the log: %v, want CheckRollback", err)
	}
	if _, err := laptop.VerifyLog(t.Context()); !errors.Is(err, sdk.CheckRollback) {
		t.Fatalf("VerifyLog on a chain cut short of the log: %v, want CheckRollback", err)
	}
	p.attack(t, "GET", path, nil)
	if _, err := laptop.Put(t.Context(), bytes.NewReader([]byte("four")), nil); err != nil {
		t.Fatalf("Put once the server behaves: %v", err)
	}
}

// A device with no state of the chain is shown one whose newest entry is
// validly signed and linked, but is not the entry the log holds at that seq
// (the server kept two): the log decides, and it is equivocation.
func TestAttack_ChainEntrySwappedForNewDevice(t *testing.T) {
	srv, alice, keys, p, path := chainWorld(t)
	chain, err := srv.Store.Chain(t.Context(), store.AccountID(alice.AccountID()), 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	last, err := format.ParseAccountEntry(chain[len(chain)-1].Entry)
	if err != nil {
		t.Fatal(err)
	}
	sign, _ := identityKeys(t, keys, patientPass)
	e := *last
	e.Number++ // another version than the logged entry says
	if err := e.Sign(sign); err != nil {
		t.Fatal(err)
	}
	var entries []map[string]any
	for _, c := range chain[:len(chain)-1] {
		entries = append(entries, map[string]any{"seq": c.Seq, "entry": c.Entry})
	}
	entries = append(entries, map[string]any{"seq": e.Seq, "entry": e.Marshal()})
	body := toJSON(map[string]any{"account": path[len("/v1/chains/"):], "entries": entries})
	p.attack(t, "GET", path, replay(body))
	dev, err := login(t, srv, p, "alice", patientPass)
	if err == nil {
		_, err = dev.List(t.Context())
	}
	if !errors.Is(err, sdk.CheckEquivocation) {
		t.Fatalf("a new device shown a swapped chain entry: %v, want CheckEquivocation", err)
	}
}
