//go:build !js

package sdk_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/servertest"
)

// stepClock is the server's clock in these tests: fixed, moved by hand.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *stepClock) next() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(30 * time.Second)
	return c.t
}

func TestClient_TOTP_LoginNeedsCode(t *testing.T) {
	// The server's clock starts three minutes behind the client's and ends
	// about level with it (six steps), within what the client's signed auth
	// objects tolerate (they expire a minute after the client's now, and may
	// not be more than five minutes ahead of the server's).
	clk := &stepClock{t: time.Now().Add(-3 * time.Minute).Truncate(time.Second)}
	srv := servertest.Start(t, server.Config{Now: clk.Now})
	ctx := t.Context()
	alice := newClient(t, srv, nil)
	reg := register(t, alice, "alice", "", "", patientPass)

	enrol, err := alice.EnrollTOTP(ctx)
	if err != nil || !strings.HasPrefix(enrol.URI, "otpauth://totp/") || !strings.Contains(enrol.URI, "secret="+enrol.Secret) {
		t.Fatalf("EnrollTOTP() = %+v, %v; want an otpauth://totp/ URI with the secret", enrol, err)
	}
	code := func(at time.Time) string {
		c, err := totp.GenerateCode(enrol.Secret, at)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	used := code(clk.Now())
	if err := alice.ConfirmTOTP(ctx, used); err != nil {
		t.Fatalf("ConfirmTOTP(current code) = %v", err)
	}
	fs, err := alice.SecondFactors(ctx)
	if err != nil || len(fs) != 1 || fs[0].Kind != "totp" || !fs[0].Confirmed {
		t.Fatalf("SecondFactors() = %+v, %v; want one confirmed totp", fs, err)
	}

	login := func(opts *sdk.LoginOptions) error {
		_, err := newClient(t, srv, nil).Login(ctx, opts)
		return err
	}
	err = login(&sdk.LoginOptions{Handle: "alice", Passphrase: []byte(patientPass)})
	if !errors.Is(err, sdk.ErrSecondFactor) || sdk.ErrorCode(err) != "SECOND_FACTOR" {
		t.Fatalf("Login without a code = %v (%s), want ErrSecondFactor (SECOND_FACTOR)", err, sdk.ErrorCode(err))
	}
	if err := login(&sdk.LoginOptions{Handle: "alice", Passphrase: []byte(patientPass), OTP: used}); !errors.Is(err, sdk.ErrSecondFactor) {
		t.Fatalf("Login with the code already used = %v, want ErrSecondFactor", err)
	}
	now := clk.next()
	if err := login(&sdk.LoginOptions{Handle: "alice", Passphrase: []byte(patientPass), OTP: code(now)}); err != nil {
		t.Fatalf("Login with passphrase and a current code = %v", err)
	}
	if err := login(&sdk.LoginOptions{Handle: "alice", Passphrase: []byte(patientPass), OTP: code(now)}); !errors.Is(err, sdk.ErrSecondFactor) {
		t.Fatalf("Login replaying that code = %v, want ErrSecondFactor", err)
	}
	if err := login(&sdk.LoginOptions{Handle: "alice", Passphrase: []byte("not the passphrase at all 9"), OTP: code(clk.next())}); !errors.Is(err, sdk.ErrWrongPassphrase) {
		t.Fatalf("Login with a wrong passphrase and a good code = %v, want ErrWrongPassphrase", err)
	}
	// The recovery code is the way back in when the authenticator is lost.
	if err := login(&sdk.LoginOptions{Handle: "alice", RecoveryCode: reg.RecoveryCode, Passphrase: []byte("a new local passphrase 77")}); err != nil {
		t.Fatalf("Login with the recovery code and no second factor = %v", err)
	}

	if err := alice.RemoveTOTP(ctx, "123456"); !errors.Is(err, sdk.ErrSecondFactor) {
		t.Fatalf("RemoveTOTP(bad code) = %v, want ErrSecondFactor", err)
	}
	if err := alice.RemoveTOTP(ctx, code(clk.next())); err != nil {
		t.Fatalf("RemoveTOTP(current code) = %v", err)
	}
	if err := login(&sdk.LoginOptions{Handle: "alice", Passphrase: []byte(patientPass)}); err != nil {
		t.Fatalf("Login after the factor was removed = %v", err)
	}

	// A lost authenticator: the recovery code removes the factor.
	enrol, err = alice.EnrollTOTP(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := alice.ConfirmTOTP(ctx, code(clk.next())); err != nil {
		t.Fatalf("ConfirmTOTP(again) = %v", err)
	}
	other := newClient(t, srv, nil)
	otherReg := register(t, other, "bob", "", "", "bob's long passphrase, 2026")
	if err := alice.RemoveTOTP(ctx, otherReg.RecoveryCode); !errors.Is(err, sdk.ErrWrongRecoveryCode) {
		t.Fatalf("RemoveTOTP(another account's recovery code) = %v, want ErrWrongRecoveryCode", err)
	}
	if err := alice.RemoveTOTP(ctx, reg.RecoveryCode); err != nil {
		t.Fatalf("RemoveTOTP(recovery code) = %v", err)
	}
	if fs, err := alice.SecondFactors(ctx); err != nil || len(fs) != 0 {
		t.Fatalf("SecondFactors() after removal with the recovery code = %+v, %v; want none", fs, err)
	}
}
