package format

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"

	"golang.org/x/crypto/cryptobyte"
)

// Version and Suite are the only version and suite of the format (§2); there is no
// negotiation.
const (
	Version = 1
	Suite   = 1
)

// Kind is the kind byte of a signed object's body. Each kind has its own purpose
// string, so a signature made for one kind never verifies as another.
type Kind uint8

const (
	KindKeyCard          Kind = 1
	KindRole             Kind = 2
	KindDeviceCert       Kind = 3
	KindDeviceRevocation Kind = 4
	KindACL              Kind = 5
	KindGrant            Kind = 6
	KindHeader           Kind = 7
	KindAccountEntry     Kind = 8
	KindAuth             Kind = 9
)

// PurposeAuth is the purpose of a session challenge response (KindAuth).
const PurposeAuth = "auth"

// Purpose returns the purpose string that domain-separates signatures over bodies
// of kind k, or "" for an unknown kind.
func (k Kind) Purpose() string {
	switch k {
	case KindKeyCard:
		return "key-card"
	case KindRole:
		return "role"
	case KindDeviceCert:
		return "device-cert"
	case KindDeviceRevocation:
		return "device-revoke"
	case KindACL:
		return "acl"
	case KindGrant:
		return "grant"
	case KindHeader:
		return "record-header"
	case KindAccountEntry:
		return "account-entry"
	case KindAuth:
		return PurposeAuth
	}
	return ""
}

func (k Kind) String() string {
	if p := k.Purpose(); p != "" {
		return p
	}
	return fmt.Sprintf("kind %d", uint8(k))
}

// maxSize is the size bound of the signed form of kind k, checked before
// anything is parsed.
func (k Kind) maxSize() int {
	switch k {
	case KindKeyCard, KindGrant:
		return 4 << 10
	case KindRole, KindDeviceCert, KindDeviceRevocation, KindAuth:
		return 1 << 10
	case KindACL:
		return 64 << 10
	case KindHeader:
		return 16 << 10
	case KindAccountEntry:
		return MaxAccountEntrySize
	}
	return 0
}

// messagePrefix starts every signed message and every object hash.
const messagePrefix = "blindvault.v1 "

// Message returns the bytes that are signed and hashed for body under purpose:
// "blindvault.v1 " ‖ purpose ‖ 0x00 ‖ body.
func Message(purpose string, body []byte) []byte {
	m := make([]byte, 0, len(messagePrefix)+len(purpose)+1+len(body))
	m = append(m, messagePrefix...)
	m = append(m, purpose...)
	m = append(m, 0)
	return append(m, body...)
}

// hashBody is hash(object): it covers the body, not the signature.
func hashBody(k Kind, body []byte) [32]byte {
	return sha256.Sum256(Message(k.Purpose(), body))
}

// signBody signs body as kind k. It checks the key length so that a caller's
// mistake is an error, not a panic inside crypto/ed25519.
func signBody(priv ed25519.PrivateKey, k Kind, body []byte) ([]byte, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("format: sign %s: private key is %d bytes, want %d", k, len(priv), ed25519.PrivateKeySize)
	}
	if body == nil {
		return nil, fmt.Errorf("format: sign %s: %w: field too long to encode", k, ErrMalformed)
	}
	return ed25519.Sign(priv, Message(k.Purpose(), body)), nil
}

// checkSigner reports an error unless priv is the private half of want, for
// objects that name their own signer.
func checkSigner(priv ed25519.PrivateKey, want [32]byte, k Kind) error {
	if len(priv) != ed25519.PrivateKeySize {
		return fmt.Errorf("format: sign %s: private key is %d bytes, want %d", k, len(priv), ed25519.PrivateKeySize)
	}
	if [32]byte(priv[32:]) != want {
		return fmt.Errorf("format: sign %s: private key does not match the signer key in the object", k)
	}
	return nil
}

// verifyBody checks sig over body as kind k under pub.
func verifyBody(pub [32]byte, k Kind, body, sig []byte) error {
	if body == nil || len(sig) != ed25519.SignatureSize ||
		!ed25519.Verify(pub[:], Message(k.Purpose(), body), sig) {
		return fmt.Errorf("%w: %s", ErrBadSignature, k)
	}
	return nil
}

// newBody starts a body of kind k: u8 version ‖ u8 kind ‖ u16 suite.
func newBody(k Kind) *cryptobyte.Builder {
	b := cryptobyte.NewBuilder(make([]byte, 0, 256))
	b.AddUint8(Version)
	b.AddUint8(uint8(k))
	b.AddUint16(Suite)
	return b
}

// finish returns the builder's bytes, or nil if a field overflowed its length
// prefix (only possible for objects built by hand, never for parsed ones).
func finish(b *cryptobyte.Builder) []byte {
	out, err := b.Bytes()
	if err != nil {
		return nil
	}
	return out
}

// SignedForm encodes u24<body> ‖ u8<sig>, and u8<endorsement> for key cards,
// without any check (nil for a nil body). The objects' Sign methods use it after
// their checks; test vector generators use it to build invalid objects whose
// signatures are good.
func SignedForm(body, sig []byte, endorsed bool, endorsement []byte) []byte {
	if body == nil {
		return nil
	}
	b := cryptobyte.NewBuilder(make([]byte, 0, 3+len(body)+1+len(sig)+1+len(endorsement)))
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(body) })
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(sig) })
	if endorsed {
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(endorsement) })
	}
	return finish(b)
}

// envelope is a signed form split into its parts. body is the whole body;
// fields is what follows version, kind and suite.
type envelope struct {
	body        []byte
	fields      cryptobyte.String
	sig         []byte
	endorsement []byte
}

// parseEnvelope applies the rules shared by every object, in this order: the size
// bound; u24<body> present; version, kind, suite; u8<signature> (and
// u8<endorsement>) present; nothing after them; a 64-byte signature and a 0- or
// 64-byte endorsement. The returned slices are copies, never aliases of b.
func parseEnvelope(b []byte, k Kind, endorsed bool) (*envelope, error) {
	if n, limit := len(b), k.maxSize(); n > limit {
		return nil, fmt.Errorf("%w: %s is %d bytes, limit %d (%w)", ErrTooLarge, k, n, limit, ErrMalformed)
	}
	s := cryptobyte.String(b)
	var body cryptobyte.String
	if !s.ReadUint24LengthPrefixed(&body) {
		return nil, malformed(k, "truncated body")
	}
	env := &envelope{body: clone(body)}
	fields := cryptobyte.String(env.body)
	var version, kind uint8
	var suite uint16
	if !fields.ReadUint8(&version) {
		return nil, malformed(k, "empty body")
	}
	if version != Version {
		return nil, fmt.Errorf("%w: %s: version %d", ErrUnknownVersion, k, version)
	}
	if !fields.ReadUint8(&kind) {
		return nil, malformed(k, "truncated kind")
	}
	if Kind(kind) != k {
		return nil, fmt.Errorf("%w: got %s, want %s", ErrUnknownKind, Kind(kind), k)
	}
	if !fields.ReadUint16(&suite) {
		return nil, malformed(k, "truncated suite")
	}
	if suite != Suite {
		return nil, fmt.Errorf("%w: %s: suite %d", ErrUnknownSuite, k, suite)
	}
	env.fields = fields

	var sig, end cryptobyte.String
	if !s.ReadUint8LengthPrefixed(&sig) {
		return nil, malformed(k, "truncated signature")
	}
	if endorsed && !s.ReadUint8LengthPrefixed(&end) {
		return nil, malformed(k, "truncated endorsement")
	}
	if !s.Empty() {
		return nil, fmt.Errorf("%w: %s: %d bytes after the signature", ErrTrailingData, k, len(s))
	}
	if len(sig) != ed25519.SignatureSize {
		return nil, malformed(k, fmt.Sprintf("signature is %d bytes, want %d", len(sig), ed25519.SignatureSize))
	}
	if len(end) != 0 && len(end) != ed25519.SignatureSize {
		return nil, malformed(k, fmt.Sprintf("endorsement is %d bytes, want 0 or %d", len(end), ed25519.SignatureSize))
	}
	env.sig = clone(sig)
	if len(end) > 0 {
		env.endorsement = clone(end)
	}
	return env, nil
}

// done reports trailing bytes after the last field of a body.
func (e *envelope) done(k Kind) error {
	if !e.fields.Empty() {
		return fmt.Errorf("%w: %s: %d bytes after the last field", ErrTrailingData, k, len(e.fields))
	}
	return nil
}

func malformed(k Kind, what string) error {
	return fmt.Errorf("%w: %s: %s", ErrMalformed, k, what)
}

func clone(b []byte) []byte {
	return append([]byte(nil), b...)
}
