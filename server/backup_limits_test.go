package server

import (
	"bytes"
	"crypto/rand"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/server/store"
)

func TestAddrKey_IPv6BySlash64(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"192.0.2.1", "192.0.2.1"},
		{"::ffff:192.0.2.1", "192.0.2.1"},
		{"2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"},
		{"2001:db8:1:2::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"not an address", "not an address"},
	} {
		if got := addrKey(c.in); got != c.want {
			t.Errorf("addrKey(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// Every address of one /64 shares one lockout: an IPv6 client cannot take a
// fresh count for each of its addresses.
func TestBackup_Evaluate_IPv6SharesSlash64(t *testing.T) {
	ts := newTestServer(t, Config{TrustedProxies: loopback})
	a := registerBackupAccount(t, ts)
	blinded := oprfTestBlinded(t)
	for i := range backupAddrFreeFailures {
		from := ts.from("2001:db8:5:6::" + string(rune('a'+i)))
		if resp := backupCall(t, from, http.MethodPost, backupPath(a.id, "evaluate"), api.EvaluateRequest{Blinded: blinded}, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("POST evaluate %d = %d, want 200", i+1, resp.StatusCode)
		}
	}
	if resp := backupCall(t, ts.from("2001:db8:5:6:ffff::1"), http.MethodPost, backupPath(a.id, "evaluate"), api.EvaluateRequest{Blinded: blinded}, nil); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("POST evaluate from the same /64 after %d = %d, want 429", backupAddrFreeFailures, resp.StatusCode)
	}
	if resp := backupCall(t, ts.from("2001:db8:5:7::1"), http.MethodPost, backupPath(a.id, "evaluate"), api.EvaluateRequest{Blinded: blinded}, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("POST evaluate from another /64 = %d, want 200", resp.StatusCode)
	}
}

// The account's own lockout bounds guesses from many addresses; while it
// holds, the recovery-code key still releases the backup, and resets it.
func TestBackup_AccountLockout_RecoveryStillWorks(t *testing.T) {
	clk := newTestClock()
	ts := newTestServer(t, Config{Now: clk.Now, TrustedProxies: loopback})
	a := registerBackupAccount(t, ts)
	blinded := oprfTestBlinded(t)
	evaluate := func(addr string) int {
		return backupCall(t, ts.from(addr), http.MethodPost, backupPath(a.id, "evaluate"), api.EvaluateRequest{Blinded: blinded}, nil).StatusCode
	}
	for i := range backupAccountFreeFailures {
		addr := "198.51.100." + string(rune('0'+i/backupAddrFreeFailures))
		if got := evaluate(addr); got != http.StatusOK {
			t.Fatalf("evaluation %d from %s = %d, want 200", i+1, addr, got)
		}
	}
	if got := backupLockout(t, ts, a.id); got.Failures != backupAccountFreeFailures || !got.Until.Equal(clk.Now().Add(time.Minute)) {
		t.Fatalf("account lockout after %d guesses = %+v, want locked for 1 min", backupAccountFreeFailures, got)
	}
	owner := ts.from("203.0.113.77")
	if got := evaluate("203.0.113.77"); got != http.StatusTooManyRequests {
		t.Fatalf("evaluation from a fresh address while the account is locked = %d, want 429", got)
	}
	if resp, _ := backupRelease(t, owner, a.id, nil); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("bad release while the account is locked = %d, want 429", resp.StatusCode)
	}
	if got := backupLockout(t, ts, a.id); got.Failures != backupAccountFreeFailures {
		t.Fatalf("account lockout after refused attempts = %+v, want them not counted", got)
	}
	if resp, blob := backupRelease(t, owner, a.id, a.recovery); resp.StatusCode != http.StatusOK || !bytes.Equal(blob, a.blob) {
		t.Fatalf("recovery-code release while the account is locked = %d, want 200 and the blob", resp.StatusCode)
	}
	if got := backupLockout(t, ts, a.id); got != (store.Lockout{}) {
		t.Fatalf("account lockout after a recovery-code release = %+v, want zero", got)
	}
	if got := evaluate("198.51.100.0"); got != http.StatusOK {
		t.Fatalf("evaluation after a recovery-code release = %d, want 200 (counts forgotten)", got)
	}
	// Operators see the attempts in /metrics.
	resp, err := ts.HTTP.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, series := range []string{
		`blindvault_auth_attempts_total{kind="oprf_evaluation",outcome="counted"} 21`,
		`blindvault_auth_attempts_total{kind="backup_release",outcome="released"} 1`,
	} {
		if !strings.Contains(string(body), series) {
			t.Errorf("/metrics lacks %s", series)
		}
	}
}

// Evaluations for an id that is not registered are counted per address, and
// limited per address across ids.
func TestBackup_Evaluate_UnknownIDsCounted(t *testing.T) {
	ts := newTestServer(t, Config{TrustedProxies: loopback, RateUnknownEvaluations: RateLimit{Rate: 0.001, Burst: 8}})
	blinded := oprfTestBlinded(t)
	var unknown store.AccountID
	rand.Read(unknown[:])
	for i := range backupAddrFreeFailures {
		if resp := backupCall(t, ts, http.MethodPost, backupPath(unknown, "evaluate"), api.EvaluateRequest{Blinded: blinded}, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("POST evaluate %d (unknown id) = %d, want 200", i+1, resp.StatusCode)
		}
	}
	if resp := backupCall(t, ts, http.MethodPost, backupPath(unknown, "evaluate"), api.EvaluateRequest{Blinded: blinded}, nil); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("POST evaluate %d (unknown id) = %d, want 429", backupAddrFreeFailures+1, resp.StatusCode)
	}
	codes := []int{}
	for range 4 {
		var id store.AccountID
		rand.Read(id[:])
		codes = append(codes, backupCall(t, ts, http.MethodPost, backupPath(id, "evaluate"), api.EvaluateRequest{Blinded: blinded}, nil).StatusCode)
	}
	if want := []int{200, 200, 200, 429}; !slices.Equal(codes, want) {
		t.Fatalf("evaluations for fresh unknown ids after 5 = %v, want %v (burst 8 per address)", codes, want)
	}
	// Another address has its own allowance.
	var id store.AccountID
	rand.Read(id[:])
	if resp := backupCall(t, ts.from("198.51.100.9"), http.MethodPost, backupPath(id, "evaluate"), api.EvaluateRequest{Blinded: blinded}, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("POST evaluate (unknown id, another address) = %d, want 200", resp.StatusCode)
	}
}
