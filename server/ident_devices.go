package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/internal/auditlog"
	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/server/store"
)

// Devices: enrolment and revocation, both signed by the account's current
// identity key (the key of its current key card).
//
//	POST /v1/devices                   {device_cert}  → 201 {device_id}
//	POST /v1/devices/{device}/revoke   {revocation}   → 204

// postDevice enrols a device. The certificate is the credential: it must be
// signed by the current identity key of the account it names. A session is
// optional, because a device restored from the key backup holds the identity
// key but has no enrolled device key to log in with yet; when a session is
// sent it must be valid and of the account the certificate names. Without a
// session, an account with a second factor also needs the enrolment ticket
// of a backup release (mfa_tickets.go).
func (s *Server) postDevice(w http.ResponseWriter, r *http.Request) error {
	var caller *Caller
	if r.Header.Get("Authorization") != "" {
		c, err := s.authenticate(r)
		if err != nil {
			return err
		}
		caller = c
	}
	var req api.EnrolRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	cert, err := format.ParseDeviceCert(req.DeviceCert)
	if err != nil {
		return identBadRequest("bad_device_cert", "device certificate: %v", err)
	}
	acctID := store.AccountID(cert.AccountID)
	if caller != nil && caller.Account.ID != acctID {
		return errForbidden
	}
	ctx, now := r.Context(), s.now()
	var acct store.Account
	if caller != nil {
		acct = caller.Account
	} else {
		acct, err = s.store.Account(ctx, acctID)
		if isNotFound(err) {
			return identBadRequest("bad_device_cert", "device certificate: no such account")
		}
		if err != nil {
			return fmt.Errorf("enrol device: %w", err)
		}
		if acct.Status != store.StatusActive {
			return errorf(http.StatusForbidden, "suspended", "the account is suspended")
		}
		mfa, err := s.hasSecondFactor(ctx, acctID)
		if err != nil {
			return fmt.Errorf("enrol device: %w", err)
		}
		if mfa && !s.mfa.tickets.take(acctID, req.EnrolTicket, now) {
			return errorf(http.StatusUnauthorized, "second_factor_required",
				"this account has a second factor: enrol with the ticket of a backup release that checked it, or from a logged-in device")
		}
	}
	card, err := parseStoredCard(acct)
	if err != nil {
		return fmt.Errorf("enrol device: %w", err)
	}
	if err := checkDeviceCert(cert, card, now); err != nil {
		return err
	}
	dev := store.Device{ID: store.DeviceID(cert.DevicePK), Cert: req.DeviceCert, Added: now}
	rcs, err := s.logged(ctx, []*auditlog.Entry{s.deviceEntry(cert)}, func(ctx context.Context) error { return s.store.AddDevice(ctx, acctID, dev) })
	switch {
	case errors.Is(err, store.ErrExists):
		return errorf(http.StatusConflict, "device_exists", "the device is already enrolled (or was revoked)")
	case err != nil:
		return fmt.Errorf("enrol device: %w", err)
	}
	writeJSON(w, http.StatusCreated, api.Enrolled{AccountID: acctID.String(), DeviceID: dev.ID.String(), Receipts: rcs})
	return nil
}

// checkDeviceCert checks a new device certificate against the account's
// current card: the card's identity key signed it for the card's account, it
// names a device key, and it is valid now.
func checkDeviceCert(cert *format.DeviceCert, card *format.KeyCard, now time.Time) error {
	if err := cert.VerifyIssuer(card); err != nil {
		return identBadRequest("bad_device_cert", "device certificate: not signed by the account's current identity key for this account")
	}
	if cert.DevicePK == [32]byte{} {
		return identBadRequest("bad_device_cert", "device certificate: zero device key")
	}
	if uint64(max(now.Unix(), 0)) >= cert.NotAfter {
		return identBadRequest("bad_device_cert", "device certificate: expired")
	}
	return nil
}

// postRevokeDevice stores a signed revocation of one of the caller's devices;
// the store deletes the device's sessions with it. Any device of the account
// may send it (the signature is the identity key's), including the device
// being revoked.
func (s *Server) postRevokeDevice(w http.ResponseWriter, r *http.Request, c *Caller) error {
	dev, err := identPathDevice(r)
	if err != nil {
		return err
	}
	var req api.RevokeDeviceRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	rev, err := format.ParseDeviceRevocation(req.Revocation)
	if err != nil {
		return identBadRequest("bad_revocation", "device revocation: %v", err)
	}
	if store.AccountID(rev.AccountID) != c.Account.ID {
		return errForbidden
	}
	if store.DeviceID(rev.DevicePK) != dev {
		return identBadRequest("bad_revocation", "the revocation names another device")
	}
	card, err := parseStoredCard(c.Account)
	if err != nil {
		return fmt.Errorf("revoke device: %w", err)
	}
	if err := rev.VerifyIssuer(card); err != nil {
		return identBadRequest("bad_revocation", "device revocation: not signed by the account's current identity key")
	}
	rcs, err := s.logged(r.Context(), []*auditlog.Entry{s.revocationEntry(rev)}, func(ctx context.Context) error {
		return s.store.RevokeDevice(ctx, c.Account.ID, dev, req.Revocation, s.now())
	})
	switch {
	case isNotFound(err):
		return errNotFound
	case errors.Is(err, store.ErrConflict):
		return errorf(http.StatusConflict, "already_revoked", "the device is already revoked")
	case err != nil:
		return fmt.Errorf("revoke device: %w", err)
	}
	writeJSON(w, http.StatusOK, api.DeviceRevoked{DeviceID: dev.String(), Receipts: rcs})
	return nil
}
