package sdk

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/internal/auditlog"
	"github.com/blindvault/blindvault/internal/format"
)

// Device is one device of this account: a key that the identity certified
// to open sessions. Devices hold the identity's keys too, so a lost one
// should be revoked at once: its sessions end and it can log in no more.
type Device struct {
	ID [32]byte // its Ed25519 public key
	// Name is the first 8 hex digits of ID, what RevokeDevice takes.
	Name     string
	Enrolled time.Time
	LastSeen time.Time // its last login, as the server saw it; zero if never
	Revoked  time.Time // zero while it may log in
	Current  bool      // the device this client runs on
	// Certified is false for a device whose certificate this account's
	// identity key did not sign: the server added it. Revoke it, and treat
	// it as a security incident.
	Certified bool
}

// deviceNameLen is how many hex digits of a device key make its name.
const deviceNameLen = 8

// Devices lists this account's devices, revoked ones included, each checked
// against the identity key.
func (c *Client) Devices(ctx context.Context) (_ []Device, err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return nil, err
	}
	return c.devices(ctx)
}

func (c *Client) devices(ctx context.Context) ([]Device, error) {
	devs, _, err := c.deviceCerts(ctx)
	return devs, err
}

// deviceCerts returns the devices and the hashes of their certificates (what
// DeviceCertified log entries name).
func (c *Client) deviceCerts(ctx context.Context) ([]Device, map[[32]byte]*Device, error) {
	var out struct {
		Devices []struct {
			ID       string     `json:"device_id"`
			Cert     []byte     `json:"device_cert"`
			Added    *time.Time `json:"added"`
			Revoked  *time.Time `json:"revoked"`
			LastSeen *time.Time `json:"last_seen"`
		} `json:"devices"`
	}
	if err := c.call(ctx, "GET", "/v1/devices", nil, &out); err != nil {
		return nil, nil, fmt.Errorf("devices: %w", err)
	}
	me := c.device.Public().(ed25519.PublicKey)
	devs := make([]Device, 0, len(out.Devices))
	hashes := make([][32]byte, 0, len(out.Devices))
	for _, d := range out.Devices {
		cert, err := format.ParseDeviceCert(d.Cert)
		if err != nil || hex.EncodeToString(cert.DevicePK[:]) != d.ID {
			return nil, nil, fmt.Errorf("devices: %w: a device certificate does not parse or names another key", CheckWrongRecord)
		}
		hashes = append(hashes, cert.Hash())
		dev := Device{ID: cert.DevicePK, Name: d.ID[:deviceNameLen], Enrolled: time.Unix(int64(cert.Created), 0).UTC(),
			Current: bytes.Equal(cert.DevicePK[:], me), Certified: cert.AccountID == c.accountID() && cert.VerifyIssuer(c.id.card.c) == nil}
		if d.LastSeen != nil {
			dev.LastSeen = *d.LastSeen
		}
		if d.Revoked != nil {
			dev.Revoked = *d.Revoked
		}
		devs = append(devs, dev)
	}
	byHash := make(map[[32]byte]*Device, len(devs))
	for i := range devs {
		byHash[hashes[i]] = &devs[i]
	}
	return devs, byHash, nil
}

// RevokeDevice ends one of this account's devices, named by its Name (or a
// longer prefix of its hex id): the identity key signs a revocation, the
// server ends the device's sessions at once and refuses its later logins,
// and the revocation is in the transparency log.
func (c *Client) RevokeDevice(ctx context.Context, name string) (err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return err
	}
	devs, err := c.devices(ctx)
	if err != nil {
		return err
	}
	name = strings.ToLower(name)
	var found *Device
	for i, d := range devs {
		if len(name) >= deviceNameLen && strings.HasPrefix(hex.EncodeToString(d.ID[:]), name) {
			if found != nil {
				return fmt.Errorf("%w: %q names more than one device; give more of its id", ErrInvalid, name)
			}
			found = &devs[i]
		}
	}
	switch {
	case found == nil:
		return fmt.Errorf("%w: no device of this account is named %q", ErrNotFound, name)
	case !found.Revoked.IsZero():
		return fmt.Errorf("%w: device %s is already revoked", ErrConflict, found.Name)
	}
	rev := &format.DeviceRevocation{DevicePK: found.ID, AccountID: c.accountID(), IdentityFP: c.id.card.c.Fingerprint(),
		RevokedAt: uint64(time.Now().Unix())}
	if err := rev.Sign(c.id.sign); err != nil {
		return err
	}
	var out api.Receipts
	if err := c.call(ctx, "POST", fmt.Sprintf("/v1/devices/%x/revoke", found.ID), map[string][]byte{"revocation": rev.Marshal()}, &out); err != nil {
		return fmt.Errorf("revoke device: %w", err)
	}
	h := rev.Hash()
	return c.expectLogged(ctx, out.Receipts, func(e *auditlog.Entry) bool {
		return e.Type == auditlog.DeviceRevoked && e.Subject == c.accountID() && e.Object == h
	})
}
