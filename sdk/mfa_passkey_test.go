//go:build !js

package sdk_test

import (
	"context"
	"errors"
	"testing"

	"github.com/blindvault/blindvault/internal/webauthntest"
	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/servertest"
)

const webOrigin = "https://vault.example"

func softPasskey(k *webauthntest.Passkey) (create, get sdk.PasskeyFunc) {
	return func(_ context.Context, o []byte) ([]byte, error) { return k.Create(o) },
		func(_ context.Context, o []byte) ([]byte, error) { return k.Get(o) }
}

func TestClient_Passkey_LoginNeedsPasskey(t *testing.T) {
	srv := servertest.Start(t, server.Config{WebAuthnOrigins: []string{webOrigin}})
	ctx := t.Context()
	alice := newClient(t, srv, nil)
	register(t, alice, "alice", "", "", patientPass)
	key := webauthntest.NewPasskey(webOrigin)
	create, get := softPasskey(key)
	if err := alice.EnrollPasskey(ctx, "laptop", create, nil, ""); err != nil {
		t.Fatalf("EnrollPasskey() = %v", err)
	}
	fs, err := alice.SecondFactors(ctx)
	if err != nil || len(fs) != 1 || fs[0].Kind != "passkey" || fs[0].Name != "laptop" || fs[0].ID == "" {
		t.Fatalf("SecondFactors() = %+v, %v; want the passkey", fs, err)
	}
	// A second passkey needs proof of the first.
	second := webauthntest.NewPasskey(webOrigin)
	create2, get2 := softPasskey(second)
	if err := alice.EnrollPasskey(ctx, "phone", create2, nil, ""); !errors.Is(err, sdk.ErrSecondFactor) {
		t.Fatalf("EnrollPasskey(no proof) = %v, want ErrSecondFactor", err)
	}
	if err := alice.EnrollPasskey(ctx, "phone", create2, get, ""); err != nil {
		t.Fatalf("EnrollPasskey(proved by the first) = %v", err)
	}

	// A new device: the passphrase alone is not enough; with a passkey it is.
	dev := newClient(t, srv, nil)
	if _, err := dev.Login(ctx, &sdk.LoginOptions{Handle: "alice", Passphrase: []byte(patientPass)}); !errors.Is(err, sdk.ErrSecondFactor) {
		t.Fatalf("Login(passphrase only) = %v, want ErrSecondFactor", err)
	}
	if _, err := dev.Login(ctx, &sdk.LoginOptions{Handle: "alice", Passphrase: []byte(patientPass), Passkey: get2}); err != nil {
		t.Fatalf("Login(passphrase, passkey) = %v", err)
	}
	// A passkey made for another site is refused.
	phished := *key
	phished.Origin = "https://vault.example.evil.test"
	_, evil := softPasskey(&phished)
	other := newClient(t, srv, nil)
	if _, err := other.Login(ctx, &sdk.LoginOptions{Handle: "alice", Passphrase: []byte(patientPass), Passkey: evil}); !errors.Is(err, sdk.ErrSecondFactor) {
		t.Fatalf("Login(assertion for another origin) = %v, want ErrSecondFactor", err)
	}

	// Remove both: one proved by a passkey, the last by the recovery code.
	fs, _ = dev.SecondFactors(ctx)
	if err := dev.RemovePasskey(ctx, fs[0].ID, nil, ""); !errors.Is(err, sdk.ErrSecondFactor) {
		t.Fatalf("RemovePasskey(no proof) = %v, want ErrSecondFactor", err)
	}
	if err := dev.RemovePasskey(ctx, fs[0].ID, get, ""); err != nil {
		t.Fatalf("RemovePasskey(proved) = %v", err)
	}
	if err := dev.RemovePasskey(ctx, fs[1].ID, get2, ""); err != nil {
		t.Fatalf("RemovePasskey(the last one, proved by itself) = %v", err)
	}
	if fs, err := dev.SecondFactors(ctx); err != nil || len(fs) != 0 {
		t.Fatalf("SecondFactors() after removal = %+v, %v; want none", fs, err)
	}
}
