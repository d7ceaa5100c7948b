package sdk

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/internal/backup"
)

// Passkeys. A WebAuthn passkey is the other second factor: once an account
// has one, the server releases its key backup to the passphrase only with a
// passkey assertion (or a TOTP code, if the account also has TOTP). The
// ceremony itself belongs to the platform (navigator.credentials in a
// browser); the SDK carries the server's options to a PasskeyFunc and its
// answer back, and never sees a key. The server checks the answer
// (docs/backup-protocol.md): it is defence in depth, like TOTP.

// PasskeyFunc answers a WebAuthn ceremony: it gets the server's options,
// {"publicKey": …} in their JSON form (creation options to enrol, request
// options to assert), and returns the credential as
// PublicKeyCredential.toJSON() gives it. In a browser: parse the options with
// PublicKeyCredential.parseCreationOptionsFromJSON (or
// parseRequestOptionsFromJSON), call navigator.credentials.create (or get),
// and return its toJSON().
type PasskeyFunc func(ctx context.Context, options []byte) ([]byte, error)

// passkeyAssertion asks for the options of a release's passkey assertion
// (proving the passphrase with auth over a backup challenge) and has get
// answer them. No passkey on the account (or none on the server) is no
// assertion, and no error: the release then says what it needs.
func (c *Client) passkeyAssertion(ctx context.Context, acct [32]byte, auth ed25519.PrivateKey, get PasskeyFunc) ([]byte, error) {
	var ch api.Challenge
	if err := c.call(ctx, "POST", fmt.Sprintf("/v1/backup/%x/challenge", acct), nil, &ch); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	if len(ch.Nonce) != 32 {
		return nil, fmt.Errorf("backup: %w: nonce of %d bytes", ErrInvalid, len(ch.Nonce))
	}
	var out api.PasskeyOptions
	err := c.call(ctx, "POST", fmt.Sprintf("/v1/backup/%x/passkey", acct), api.ReleaseRequest{
		Nonce: ch.Nonce, Signature: backup.SignRelease(auth, acct, [32]byte(ch.Nonce)),
	}, &out)
	switch {
	case isCode(err, "no_second_factor"), isCode(err, "passkeys_unavailable"):
		return nil, nil
	case isStatus(err, statusUnauthorized):
		return nil, fmt.Errorf("%w (the server counts this failure toward its lockout)", ErrWrongPassphrase)
	case err != nil:
		return nil, fmt.Errorf("passkey: %w", err)
	}
	return answerPasskey(ctx, get, out.Options)
}

// answerPasskey has fn answer options, and checks the answer is one JSON
// object of bounded size before it goes to the server.
func answerPasskey(ctx context.Context, fn PasskeyFunc, options []byte) ([]byte, error) {
	a, err := fn(ctx, options)
	if err != nil {
		return nil, fmt.Errorf("%w: the passkey did not answer: %w", ErrSecondFactor, err)
	}
	var obj map[string]json.RawMessage
	if len(a) > 32<<10 || json.Unmarshal(a, &obj) != nil {
		return nil, fmt.Errorf("%w: the passkey's answer is not a JSON object of at most 32 KiB", ErrInvalid)
	}
	return a, nil
}

// EnrollPasskey enrols a new passkey named name: create answers the
// server's creation options (navigator.credentials.create). If the account
// already has a second factor, the server wants proof of it first: get
// answers an assertion with an enrolled passkey, or, if get is nil, code
// is a current TOTP code or the recovery code.
func (c *Client) EnrollPasskey(ctx context.Context, name string, create, get PasskeyFunc, code string) (err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return err
	}
	if create == nil {
		return fmt.Errorf("%w: enrolling a passkey needs a function that creates one", ErrInvalid)
	}
	proof, err := c.factorProof(ctx, get, code)
	if err != nil {
		return err
	}
	var out api.PasskeyOptions
	if err := c.passkeyCall(ctx, "/v1/mfa/passkey/begin", proof, &out); err != nil {
		return err
	}
	cred, err := answerPasskey(ctx, create, out.Options)
	if err != nil {
		return err
	}
	return c.passkeyCall(ctx, "/v1/mfa/passkey/finish", &api.PasskeyRequest{Name: name, Credential: cred}, nil)
}

// RemovePasskey removes the passkey with id (SecondFactor.ID). A stolen
// session alone cannot: get answers an assertion with any enrolled passkey,
// or, if get is nil, code is a current TOTP code or the recovery code (the
// way out of a lost passkey).
func (c *Client) RemovePasskey(ctx context.Context, id string, get PasskeyFunc, code string) (err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return err
	}
	proof, err := c.factorProof(ctx, get, code)
	if err != nil {
		return err
	}
	proof.ID = id
	err = c.passkeyCall(ctx, "/v1/mfa/passkey/remove", proof, nil)
	if isCode(err, "recovery_proof_failed") {
		return fmt.Errorf("%w: the server did not accept it", ErrWrongRecoveryCode)
	}
	return err
}

// factorProof makes the proof of a second factor a session route wants:
// an assertion by get, a TOTP code, the recovery code's signature, or, with
// none of them, nothing (the server then asks, if it needs one).
func (c *Client) factorProof(ctx context.Context, get PasskeyFunc, code string) (*api.PasskeyRequest, error) {
	switch {
	case get != nil:
		var out api.PasskeyOptions
		err := c.passkeyCall(ctx, "/v1/mfa/passkey/assert", nil, &out)
		if isCode(err, "no_second_factor") || isCode(err, "passkeys_unavailable") {
			return c.factorProof(ctx, nil, code)
		}
		if err != nil {
			return nil, err
		}
		a, err := answerPasskey(ctx, get, out.Options)
		if err != nil {
			return nil, err
		}
		return &api.PasskeyRequest{Assertion: a}, nil
	case isOTP(code):
		return &api.PasskeyRequest{Code: code}, nil
	case code != "":
		nonce, sig, err := c.recoveryProof(ctx, code)
		if err != nil {
			return nil, err
		}
		return &api.PasskeyRequest{Nonce: nonce, Signature: sig}, nil
	}
	return &api.PasskeyRequest{}, nil
}

func (c *Client) passkeyCall(ctx context.Context, path string, req *api.PasskeyRequest, out any) error {
	var body any
	if req != nil {
		body = req
	}
	err := c.call(ctx, "POST", path, body, out)
	switch {
	case isCode(err, "second_factor_required"):
		return fmt.Errorf("%w: the account has a second factor: prove it with a passkey, a current code or the recovery code", ErrSecondFactor)
	case isCode(err, "second_factor_failed"):
		return fmt.Errorf("%w: the server refused the proof (refusals count toward a lockout)", ErrSecondFactor)
	case isCode(err, "passkey_failed"):
		return fmt.Errorf("%w: the server refused the new passkey (another origin, or an expired challenge)", ErrSecondFactor)
	case isCode(err, "no_second_factor"):
		return fmt.Errorf("%w: no such passkey", ErrNotFound)
	case isCode(err, "recovery_proof_failed"):
		return err
	case err != nil:
		return fmt.Errorf("passkey: %w", err)
	}
	return nil
}
