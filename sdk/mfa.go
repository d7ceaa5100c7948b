package sdk

import (
	"context"
	"fmt"
	"time"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/internal/backup"
)

// Second factors. Once an account has a confirmed TOTP factor, the server
// releases its key backup to the passphrase only with a current code
// (LoginOptions.OTP), and a new device enrols only after that release. The
// recovery code still restores the account without the factor: keep it safe,
// it is the way back in when the authenticator is lost. Devices that are
// already enrolled log in with their own keys and need no code.
//
// The factor is enforced by the server (docs/threat-model.md): it is defence
// in depth against someone who learned the passphrase, not a cryptographic
// key. Every enrolment, removal and refused code is an entry in the
// transparency log.

// SecondFactor is one second factor of the account.
type SecondFactor struct {
	Kind      string // "totp" or "passkey"
	Created   time.Time
	Confirmed bool   // false until ConfirmTOTP; a passkey is confirmed when enrolled
	ID        string // a passkey's credential id (base64url), for RemovePasskey
	Name      string // a passkey's name
}

// TOTPEnrolment is a new TOTP secret, shown once: the otpauth:// URI an
// authenticator app scans or opens, and the secret for typing in by hand.
type TOTPEnrolment struct {
	URI    string
	Secret string
}

// EnrollTOTP draws a new TOTP secret on the server (RFC 6238: SHA-1, six
// digits, 30 seconds). It is pending, and changes nothing, until ConfirmTOTP
// checks a code from it.
func (c *Client) EnrollTOTP(ctx context.Context) (_ *TOTPEnrolment, err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return nil, err
	}
	var out api.TOTPEnrolment
	err = c.call(ctx, "POST", "/v1/mfa/totp", nil, &out)
	if isCode(err, "second_factor_required") {
		return nil, fmt.Errorf("%w: the account has a passkey, which the server wants proved before a TOTP factor is added", ErrSecondFactor)
	}
	if err != nil {
		return nil, fmt.Errorf("enrol totp: %w", err)
	}
	return &TOTPEnrolment{URI: out.URI, Secret: out.Secret}, nil
}

// ConfirmTOTP turns the pending TOTP factor on with a current code from it.
// A wrong code is ErrSecondFactor.
func (c *Client) ConfirmTOTP(ctx context.Context, code string) (err error) {
	defer c.begin(&err)()
	return c.codeCall(ctx, "/v1/mfa/totp/confirm", api.CodeRequest{Code: code})
}

// RemoveTOTP turns the TOTP factor off. code is a current one-time code, or,
// when the authenticator is lost, the account's recovery code: a stolen
// session alone cannot remove the factor.
func (c *Client) RemoveTOTP(ctx context.Context, code string) (err error) {
	defer c.begin(&err)()
	if isOTP(code) {
		return c.codeCall(ctx, "/v1/mfa/totp/remove", api.CodeRequest{Code: code})
	}
	if err := c.ready(); err != nil {
		return err
	}
	nonce, sig, err := c.recoveryProof(ctx, code)
	if err != nil {
		return err
	}
	err = c.codeCall(ctx, "/v1/mfa/totp/remove", api.CodeRequest{Nonce: nonce, Signature: sig})
	if isCode(err, "recovery_proof_failed") {
		return fmt.Errorf("%w: the server did not accept it", ErrWrongRecoveryCode)
	}
	return err
}

// recoveryProof proves the recovery code to a session route: the recovery
// auth key's signature over a fresh backup challenge, exactly what would
// release the backup anyway.
func (c *Client) recoveryProof(ctx context.Context, code string) (nonce, sig []byte, err error) {
	acct := c.accountID()
	auth, err := backup.RecoveryAuth(acct, code)
	if err != nil {
		return nil, nil, err
	}
	var ch api.Challenge
	if err := c.call(ctx, "POST", fmt.Sprintf("/v1/backup/%x/challenge", acct), nil, &ch); err != nil {
		return nil, nil, fmt.Errorf("second factor: %w", err)
	}
	if len(ch.Nonce) != 32 {
		return nil, nil, fmt.Errorf("second factor: %w: nonce of %d bytes", ErrInvalid, len(ch.Nonce))
	}
	return ch.Nonce, backup.SignRelease(auth, acct, [32]byte(ch.Nonce)), nil
}

// isOTP reports whether code looks like a six-digit one-time code.
func isOTP(code string) bool {
	if len(code) != 6 {
		return false
	}
	for _, r := range code {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func (c *Client) codeCall(ctx context.Context, path string, req api.CodeRequest) error {
	if err := c.ready(); err != nil {
		return err
	}
	err := c.call(ctx, "POST", path, req, nil)
	switch {
	case isCode(err, "second_factor_failed"), isCode(err, "second_factor_required"):
		return fmt.Errorf("%w: the code is wrong or was already used; wait for the next one", ErrSecondFactor)
	case isCode(err, "no_second_factor"):
		return fmt.Errorf("%w: no TOTP factor to act on", ErrNotFound)
	case isCode(err, "recovery_proof_failed"):
		return err
	case err != nil:
		return fmt.Errorf("second factor: %w", err)
	}
	return nil
}

// SecondFactors lists the account's second factors.
func (c *Client) SecondFactors(ctx context.Context) (_ []SecondFactor, err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return nil, err
	}
	var out api.Factors
	if err := c.call(ctx, "GET", "/v1/mfa", nil, &out); err != nil {
		return nil, fmt.Errorf("second factors: %w", err)
	}
	fs := make([]SecondFactor, 0, len(out.Factors))
	for _, f := range out.Factors {
		fs = append(fs, SecondFactor{Kind: f.Kind, Created: f.Created, Confirmed: f.Confirmed, ID: f.ID, Name: f.Name})
	}
	return fs, nil
}
