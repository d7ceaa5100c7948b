//go:build !js

package sdk_test

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/servertest"
)

// readAccessors calls every exported accessor of c until stop is set. Under
// -race, an accessor that reads the client's state without its lock while an
// operation writes it fails the test.
func readAccessors(c *sdk.Client, stop *atomic.Bool, wg *sync.WaitGroup) {
	defer wg.Done()
	for !stop.Load() {
		_ = c.Handle()
		_ = c.Role()
		_ = c.AccountID()
		if k := c.Card(); k != nil {
			_ = k.Fingerprint()
		}
		_ = c.Server()
		_ = c.Checkpoint()
	}
}

// TestClient_AccessorsRace reads Handle, Role, Card, AccountID, Server and
// Checkpoint from other goroutines while Register, Login and Put change the
// client's profile: a Client is documented as safe for concurrent use.
func TestClient_AccessorsRace(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	ctx := t.Context()
	run := func(c *sdk.Client, op func()) {
		var stop atomic.Bool
		var wg sync.WaitGroup
		for range 2 {
			wg.Add(1)
			go readAccessors(c, &stop, &wg)
		}
		op()
		stop.Store(true)
		wg.Wait()
	}

	alice := newClient(t, srv, nil)
	run(alice, func() { register(t, alice, "alice", "", "", patientPass) })
	if alice.Handle() != "alice" || alice.Role() != "patient" || alice.Card() == nil || alice.AccountID() == [32]byte{} {
		t.Fatalf("after Register: handle %q role %q card %v", alice.Handle(), alice.Role(), alice.Card())
	}
	run(alice, func() {
		if _, err := alice.Put(ctx, strings.NewReader("note"), &sdk.PutOptions{Title: "n"}); err != nil {
			t.Errorf("Put: %v", err)
		}
	})

	other := newClient(t, srv, nil)
	run(other, func() {
		if _, err := other.Login(ctx, &sdk.LoginOptions{Handle: "alice", Passphrase: []byte(patientPass)}); err != nil {
			t.Errorf("Login: %v", err)
		}
	})
	if other.AccountID() != alice.AccountID() || other.Handle() != "alice" {
		t.Fatalf("after Login: account %x handle %q", other.AccountID(), other.Handle())
	}
}
