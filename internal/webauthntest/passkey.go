// Package webauthntest is a software WebAuthn authenticator for tests.
package webauthntest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
)

// Passkey is a software WebAuthn authenticator for tests: one ES256
// credential with a sign counter, answering the server's options as a
// browser's navigator.credentials would (PublicKeyCredential.toJSON()),
// with "none" attestation. Origin is the origin its client data names;
// a test that plays a phishing page sets another.
type Passkey struct {
	Origin string
	// Counter is the sign counter of the next answer (incremented before
	// each); a test sets it back to play a cloned key.
	Counter uint32
	ID      []byte
	key     *ecdsa.PrivateKey
	rpID    string
	user    []byte
}

// NewPasskey returns an authenticator whose client data names origin.
func NewPasskey(origin string) *Passkey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	id := make([]byte, 16)
	rand.Read(id)
	return &Passkey{Origin: origin, ID: id, key: k}
}

var b64url = base64.RawURLEncoding

type options struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		RPID string `json:"rpId"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	} `json:"publicKey"`
}

func (p *Passkey) clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": p.Origin, "crossOrigin": false})
	return b
}

func (p *Passkey) authData(flags byte) []byte {
	h := sha256.Sum256([]byte(p.rpID))
	b := append(h[:], flags)
	return binary.BigEndian.AppendUint32(b, p.Counter)
}

// Create answers creation options ({"publicKey": …}) with a new credential.
func (p *Passkey) Create(optionsJSON []byte) ([]byte, error) {
	var o options
	if err := json.Unmarshal(optionsJSON, &o); err != nil {
		return nil, fmt.Errorf("passkey: creation options: %w", err)
	}
	p.rpID = o.PublicKey.RP.ID
	user, err := b64url.DecodeString(o.PublicKey.User.ID)
	if err != nil {
		return nil, fmt.Errorf("passkey: user id: %w", err)
	}
	p.user = user
	p.Counter++
	x, y := make([]byte, 32), make([]byte, 32)
	p.key.X.FillBytes(x)
	p.key.Y.FillBytes(y)
	cose, err := webauthncbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: x, -3: y})
	if err != nil {
		return nil, fmt.Errorf("passkey: %w", err)
	}
	ad := p.authData(0x45) // UP, UV, AT
	ad = append(ad, make([]byte, 16)...)
	ad = binary.BigEndian.AppendUint16(ad, uint16(len(p.ID)))
	ad = append(append(ad, p.ID...), cose...)
	att, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": ad})
	if err != nil {
		return nil, fmt.Errorf("passkey: %w", err)
	}
	return json.Marshal(map[string]any{
		"id": b64url.EncodeToString(p.ID), "rawId": b64url.EncodeToString(p.ID), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64url.EncodeToString(p.clientData("webauthn.create", o.PublicKey.Challenge)),
			"attestationObject": b64url.EncodeToString(att),
			"transports":        []string{"internal"},
		},
		"clientExtensionResults": map[string]any{},
	})
}

// Get answers request options ({"publicKey": …}) with an assertion.
func (p *Passkey) Get(optionsJSON []byte) ([]byte, error) {
	var o options
	if err := json.Unmarshal(optionsJSON, &o); err != nil {
		return nil, fmt.Errorf("passkey: request options: %w", err)
	}
	if o.PublicKey.RPID != "" {
		p.rpID = o.PublicKey.RPID
	}
	p.Counter++
	ad := p.authData(0x05) // UP, UV
	cd := p.clientData("webauthn.get", o.PublicKey.Challenge)
	h := sha256.Sum256(cd)
	d := sha256.Sum256(append(append([]byte(nil), ad...), h[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, p.key, d[:])
	if err != nil {
		return nil, fmt.Errorf("passkey: %w", err)
	}
	return json.Marshal(map[string]any{
		"id": b64url.EncodeToString(p.ID), "rawId": b64url.EncodeToString(p.ID), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64url.EncodeToString(cd),
			"authenticatorData": b64url.EncodeToString(ad),
			"signature":         b64url.EncodeToString(sig),
			"userHandle":        b64url.EncodeToString(p.user),
		},
		"clientExtensionResults": map[string]any{},
	})
}
