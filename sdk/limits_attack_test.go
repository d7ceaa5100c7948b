//go:build !js

package sdk_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"sync"
	"testing"

	"github.com/cloudflare/circl/oprf"

	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/servertest"
)

// The anonymous backup routes are an attacker's to call: an account id is
// public (the directory gives it). These tests play that attacker against a
// live server and check that the owner, at another address, notices nothing:
// no 429 on the owner's own requests, and a new-device login that works.
//
// The server believes X-Forwarded-For from loopback only because these tests
// configure it to (TrustedProxies); by default it believes no one.

var testLoopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// addrTransport sends every request as from one client address, and counts
// the 429s it sees.
type addrTransport struct {
	addr string
	next http.RoundTripper

	mu      sync.Mutex
	limited int
}

func (a *addrTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", a.addr)
	resp, err := a.next.RoundTrip(r)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests {
		a.mu.Lock()
		a.limited++
		a.mu.Unlock()
	}
	return resp, err
}

func (a *addrTransport) refusals() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.limited
}

// clientFrom connects a client whose requests come from addr.
func clientFrom(t testing.TB, srv *servertest.Server, addr string) (*sdk.Client, *addrTransport) {
	t.Helper()
	at := &addrTransport{addr: addr, next: srv.HTTP.Transport}
	c, err := sdk.Connect(t.Context(), sdk.Config{Server: srv.URL, Storage: &sdk.MemoryStorage{},
		Transport: sdk.NewHTTPTransport(srv.URL, &http.Client{Transport: at})})
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	return c, at
}

// attack sends n rounds of the anonymous backup requests for the account
// from addr, as fast as it can, and returns the statuses it got by route.
func attack(t *testing.T, srv *servertest.Server, addr string, acct sdk.AccountID, rounds int) map[string]map[int]int {
	t.Helper()
	hc := &http.Client{Transport: &addrTransport{addr: addr, next: srv.HTTP.Transport}}
	got := map[string]map[int]int{}
	blinded, _ := json.Marshal(map[string][]byte{"blinded": validBlinded(t)})
	for range rounds {
		for _, op := range []struct {
			method, route string
			body          []byte
		}{
			{http.MethodGet, "oprf-key", nil},
			{http.MethodPost, "evaluate", blinded},
			{http.MethodPost, "challenge", nil},
			{http.MethodPost, "release", []byte(`{"nonce":"` + b64(make([]byte, 32)) + `","signature":"` + b64(make([]byte, 64)) + `"}`)},
		} {
			req, _ := http.NewRequestWithContext(t.Context(), op.method, fmt.Sprintf("%s/v1/backup/%x/%s", srv.URL, acct, op.route), bytes.NewReader(op.body))
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got[op.route] == nil {
				got[op.route] = map[int]int{}
			}
			got[op.route][resp.StatusCode]++
		}
	}
	return got
}

func TestLimits_AttackerCannotSlowOwnersRequests(t *testing.T) {
	// A per-account allowance the owner's use fits in, but that the
	// attacker's requests alone would drain if they spent it.
	srv := servertest.Start(t, server.Config{TrustedProxies: testLoopback,
		RateAddress: server.RateLimit{Rate: 1000, Burst: 1000}, RateAccount: server.RateLimit{Rate: 1, Burst: 150}})
	owner, seen := clientFrom(t, srv, "192.0.2.10")
	register(t, owner, "alice", "", "", patientPass)
	put(t, owner, []byte("allergy: penicillin"), "allergies")

	// The attacker, at one address, runs into that address's limits.
	got := attack(t, srv, "198.51.100.66", owner.AccountID(), 60)
	if got["evaluate"][http.StatusTooManyRequests] == 0 || got["challenge"][http.StatusTooManyRequests] == 0 {
		t.Fatalf("attacker's statuses = %v, want the address limited (429)", got)
	}
	before := seen.refusals()
	for range 3 {
		if list, err := owner.List(t.Context()); err != nil || len(list) != 1 {
			t.Fatalf("owner's List under attack = %d records, %v", len(list), err)
		}
	}
	if n := seen.refusals() - before; n != 0 {
		t.Fatalf("the owner's requests drew %d answers 429 during the attack, want 0", n)
	}
}

func TestLimits_AttackerCannotStopOwnersLogin(t *testing.T) {
	srv := servertest.Start(t, server.Config{TrustedProxies: testLoopback})
	owner, _ := clientFrom(t, srv, "192.0.2.10")
	reg := register(t, owner, "alice", "", "", patientPass)

	// The attacker guesses until the server locks their address out.
	got := attack(t, srv, "198.51.100.66", owner.AccountID(), 10)
	if got["evaluate"][http.StatusTooManyRequests] == 0 {
		t.Fatalf("attacker's statuses = %v, want evaluations refused (429)", got)
	}
	// And holds every challenge it may.
	attack(t, srv, "198.51.100.66", owner.AccountID(), 10)

	// The owner, on a new device elsewhere, logs in with the passphrase…
	laptop, seen := clientFrom(t, srv, "203.0.113.20")
	if _, err := laptop.Login(t.Context(), &sdk.LoginOptions{Handle: "alice", Passphrase: []byte(patientPass)}); err != nil {
		t.Fatalf("owner's Login under attack: %v", err)
	}
	// …and with the recovery code.
	phone, _ := clientFrom(t, srv, "203.0.113.21")
	if _, err := phone.Login(t.Context(), &sdk.LoginOptions{Handle: "alice", RecoveryCode: reg.RecoveryCode, Passphrase: []byte("a new local passphrase 77")}); err != nil {
		t.Fatalf("owner's recovery-code Login under attack: %v", err)
	}
	if n := seen.refusals(); n != 0 {
		t.Fatalf("the owner's login drew %d answers 429, want 0", n)
	}
}

// Even once attackers at many addresses have locked passphrase guessing for
// the account as a whole, the recovery code restores it.
func TestLimits_RecoveryCodeWorksWhileLocked(t *testing.T) {
	srv := servertest.Start(t, server.Config{TrustedProxies: testLoopback})
	owner, _ := clientFrom(t, srv, "192.0.2.10")
	reg := register(t, owner, "alice", "", "", patientPass)
	for i := range 8 {
		attack(t, srv, fmt.Sprintf("198.51.100.%d", 100+i), owner.AccountID(), 3)
	}
	laptop, _ := clientFrom(t, srv, "203.0.113.20")
	_, err := laptop.Login(t.Context(), &sdk.LoginOptions{Handle: "alice", Passphrase: []byte(patientPass)})
	if err == nil {
		t.Fatal("passphrase Login while the account is locked succeeded, want it refused")
	}
	phone, _ := clientFrom(t, srv, "203.0.113.21")
	if _, err := phone.Login(t.Context(), &sdk.LoginOptions{Handle: "alice", RecoveryCode: reg.RecoveryCode, Passphrase: []byte("a new local passphrase 77")}); err != nil {
		t.Fatalf("recovery-code Login while the account is locked: %v", err)
	}
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// validBlinded is a valid blinded element, as any client would send.
func validBlinded(t testing.TB) []byte {
	t.Helper()
	_, req, err := oprf.NewClient(oprf.SuiteRistretto255).Blind([][]byte{[]byte("guess")})
	if err != nil {
		t.Fatal(err)
	}
	b, err := req.Elements[0].MarshalBinaryCompress()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
