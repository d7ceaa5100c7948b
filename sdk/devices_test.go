//go:build !js

package sdk_test

import (
	"errors"
	"testing"

	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/servertest"
)

func TestClient_Devices_ListAndRevoke(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	ctx := t.Context()
	laptop := newClient(t, srv, nil)
	register(t, laptop, "alice", "", "", patientPass)
	put(t, laptop, []byte("x-ray report"), "x-ray")
	phone := newClient(t, srv, nil)
	if _, err := phone.Login(ctx, &sdk.LoginOptions{Handle: "alice", Passphrase: []byte(patientPass)}); err != nil {
		t.Fatalf("Login: %v", err)
	}
	if _, err := phone.List(ctx); err != nil {
		t.Fatalf("phone List: %v", err)
	}

	devs, err := laptop.Devices(ctx)
	if err != nil || len(devs) != 2 {
		t.Fatalf("Devices() = %d devices, %v; want 2", len(devs), err)
	}
	var phoneDev sdk.Device
	for _, d := range devs {
		if !d.Certified || d.Enrolled.IsZero() || d.LastSeen.IsZero() || !d.Revoked.IsZero() || len(d.Name) != 8 {
			t.Fatalf("Devices() = %+v, want certified, enrolled, seen, not revoked, named", d)
		}
		if !d.Current {
			phoneDev = d
		}
	}
	if phoneDev.Name == "" {
		t.Fatalf("Devices() = %+v, want one device not current", devs)
	}

	if err := laptop.RevokeDevice(ctx, "00000000"); !errors.Is(err, sdk.ErrNotFound) {
		t.Fatalf("RevokeDevice(unknown) = %v, want ErrNotFound", err)
	}
	if err := laptop.RevokeDevice(ctx, phoneDev.Name); err != nil {
		t.Fatalf("RevokeDevice(%s) = %v", phoneDev.Name, err)
	}
	// The phone's session ended at once, and it cannot log in again.
	if _, err := phone.List(ctx); !errors.Is(err, sdk.ErrForbidden) {
		t.Fatalf("phone List after revocation = %v, want ErrForbidden", err)
	}
	if err := laptop.RevokeDevice(ctx, phoneDev.Name); !errors.Is(err, sdk.ErrConflict) {
		t.Fatalf("RevokeDevice(again) = %v, want ErrConflict", err)
	}
	devs, err = laptop.Devices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range devs {
		if d.Name == phoneDev.Name && d.Revoked.IsZero() {
			t.Fatalf("Devices() after revocation: %+v, want revoked", d)
		}
	}
	if list, err := laptop.List(ctx); err != nil || len(list) != 1 {
		t.Fatalf("laptop List after revoking the phone = %d, %v", len(list), err)
	}
}
