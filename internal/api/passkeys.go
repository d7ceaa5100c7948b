package api

import "encoding/json"

// PasskeyOptions answers the begin step of a WebAuthn ceremony: Options is
// {"publicKey": …}, the PublicKeyCredentialCreationOptions (enrolment) or
// PublicKeyCredentialRequestOptions (assertion) in their JSON form, for
// PublicKeyCredential.parseCreationOptionsFromJSON or
// parseRequestOptionsFromJSON. The challenge in it is single-use and
// expires after five minutes.
type PasskeyOptions struct {
	Options json.RawMessage `json:"options"`
}

// PasskeyRequest is the body of the session's passkey routes
// (POST /v1/mfa/passkey/{begin,finish,remove}). Where the account already
// has a second factor, begin and remove need a proof of one: Assertion (for
// the options of POST /v1/mfa/passkey/assert), Code (a current TOTP code),
// or Nonce and Signature (the recovery code, as CodeRequest).
type PasskeyRequest struct {
	// Name labels a new passkey (finish); ID names one to remove (base64url).
	Name string `json:"name,omitempty"`
	ID   string `json:"id,omitempty"`
	// Credential is the new credential, PublicKeyCredential.toJSON() of
	// navigator.credentials.create (finish).
	Credential json.RawMessage `json:"credential,omitempty"`
	Assertion  json.RawMessage `json:"assertion,omitempty"`
	Code       string          `json:"code,omitempty"`
	Nonce      []byte          `json:"nonce,omitempty"`
	Signature  []byte          `json:"signature,omitempty"`
}
