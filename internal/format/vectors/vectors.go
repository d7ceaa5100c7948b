// Package vectors generates the format v1 test vectors checked in as
// sdk/testdata/format-v1.json: one valid encoding of each signed object, invalid
// encodings with the error a reader must return, and an HPKE grant that opens
// with both circl and crypto/hpke.
//
// Everything is derived from fixed labels, so Generate returns the same bytes on
// every run; a test compares them with the checked-in file. The generator lives
// here rather than in sdk/testdata/gen because the go command skips testdata
// directories in ./... patterns, so a test there would never run in CI.
package vectors

//go:generate go run ../../../sdk/testdata/gen -o ../../../sdk/testdata/format-v1.json

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/cloudflare/circl/group"
	"slices"
	"strings"

	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/internal/grant"
	"github.com/cloudflare/circl/hpke"
	"github.com/cloudflare/circl/kem/xwing"
)

// File is the layout of format-v1.json. Byte strings are lower-case hex.
type File struct {
	Comment []string  `json:"comment"`
	Keys    []Key     `json:"keys"`
	Valid   []Valid   `json:"valid"`
	Invalid []Invalid `json:"invalid"`
	Grant   HPKEGrant `json:"grant_hpke"`
	Header  DEKWrap   `json:"header_dek"`
	// Threshold is a threshold key whose shares open (threshold-v1 §2).
	Threshold ThresholdKey `json:"threshold_shares"`
}

// ThresholdKey is a 2-of-2 threshold key set up in alice's chain (the valid
// entry named SetUp), held by alice (index 1) and the care team "Cardiology"
// (index 2, its key of epoch 1): every input, so that a second
// implementation can open each sealed share, check it against the Feldman
// commitments, recover the secret and derive the key. Scalars are canonical
// ristretto255 encodings (little-endian); Coefficients[0] is the secret.
type ThresholdKey struct {
	SetUp        string           `json:"setup_entry"` // the valid vector's name
	GroupID      string           `json:"group_id"`
	K            int              `json:"k"`
	Coefficients []string         `json:"coefficients"`
	Commitments  []string         `json:"commitments"`
	Seed         string           `json:"xwing_seed"` // ThresholdSeed(coefficients[0], group_id)
	XWingPK      string           `json:"xwing_pk"`
	Shares       []ThresholdShare `json:"shares"`
}

// ThresholdShare is one share as the set-up seals it: Value = f(Index),
// sealed to RecipientPK under Info with EncapsulationSeed as X-Wing's
// encapsulation randomness (64 bytes). RecipientSeed opens it: alice's
// X-Wing seed, or for the team GroupSeed(team epoch key, team id, 1).
type ThresholdShare struct {
	Index             uint8  `json:"index"`
	Holder            string `json:"holder"`
	RecipientSeed     string `json:"recipient_xwing_seed"`
	RecipientPK       string `json:"recipient_xwing_pk"`
	Info              string `json:"info"`
	Value             string `json:"value"`
	EncapsulationSeed string `json:"encapsulation_seed"`
	Enc               string `json:"enc"`
	CT                string `json:"ct"`
}

// Key is a test identity or signing key. Seeds are the private keys: Ed25519
// seeds for crypto/ed25519.NewKeyFromSeed, X-Wing seeds for the scheme's
// private-key unmarshal.
type Key struct {
	Name            string `json:"name"`
	Ed25519Seed     string `json:"ed25519_seed"`
	Ed25519PK       string `json:"ed25519_pk"`
	XWingSeed       string `json:"xwing_seed,omitempty"`
	XWingPK         string `json:"xwing_pk,omitempty"`
	XWingKeyID      string `json:"xwing_key_id,omitempty"`
	AccountID       string `json:"account_id,omitempty"`
	Fingerprint     string `json:"fingerprint,omitempty"`
	FingerprintText string `json:"fingerprint_text,omitempty"`
}

// Valid is an object a reader must accept. Signer names the key whose Ed25519
// public key verifies Signed; Hash is hash(object).
type Valid struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	Purpose string `json:"purpose"`
	Signer  string `json:"signer"`
	Signed  string `json:"signed"`
	Hash    string `json:"hash"`
	Text    string `json:"text,omitempty"`
}

// Invalid is an input a reader must reject with Error, the name of a format
// sentinel. Type names the parser: a Go type, or KeyCardText for the PEM form,
// whose input is Text instead of Signed. When VerifyWith is set, the input
// parses and it is verification under that key's Ed25519 public key that fails.
type Invalid struct {
	Name       string `json:"name"`
	Type       string `json:"type"`
	Signed     string `json:"signed,omitempty"`
	Text       string `json:"text,omitempty"`
	VerifyWith string `json:"verify_with,omitempty"`
	Error      string `json:"error"`
}

// HPKEGrant is the HPKE seal inside the valid grant. EncapsulationSeed is the
// 64 bytes of randomness given to X-Wing encapsulation (circl
// EncapsulateDeterministically), so Enc and CT can be recomputed.
type HPKEGrant struct {
	KEM               uint16 `json:"kem_id"`
	KDF               uint16 `json:"kdf_id"`
	AEAD              uint16 `json:"aead_id"`
	RecipientSeed     string `json:"recipient_xwing_seed"`
	RecipientPK       string `json:"recipient_xwing_pk"`
	RecordID          string `json:"record_id"`
	Epoch             uint32 `json:"epoch"`
	Info              string `json:"info"`
	EpochKey          string `json:"epoch_key"`
	EncapsulationSeed string `json:"encapsulation_seed"`
	Enc               string `json:"enc"`
	CT                string `json:"ct"`
}

// DEKWrap is the wrapped_dek of the valid header: nonce ‖ AES-256-GCM(epoch
// key, nonce, DEK, aad = body context).
type DEKWrap struct {
	BodyContext string `json:"body_context"`
	Nonce       string `json:"nonce"`
	DEK         string `json:"dek"`
	WrappedDEK  string `json:"wrapped_dek"`
}

// Generate returns the contents of format-v1.json.
func Generate() ([]byte, error) {
	g := &gen{}
	f, err := g.file()
	if err != nil {
		return nil, err
	}
	out, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// derive returns 32 bytes for a label: the root of every "random" value here.
func derive(label string) []byte {
	h := sha256.Sum256([]byte("blindvault.v1 test vector " + label))
	return h[:]
}

type key struct {
	name    string
	edSeed  []byte
	priv    ed25519.PrivateKey
	pub     [32]byte
	xSeed   []byte
	xPK     []byte
	account [32]byte
}

func newKey(name string, withXWing bool) (*key, error) {
	k := &key{name: name, edSeed: derive(name + " ed25519")}
	k.priv = ed25519.NewKeyFromSeed(k.edSeed)
	k.pub = [32]byte(k.priv.Public().(ed25519.PublicKey))
	if withXWing {
		k.xSeed = derive(name + " xwing")
		pk, err := grant.XWingPublic(k.xSeed)
		if err != nil {
			return nil, err
		}
		k.xPK = pk
		k.account = [32]byte(derive(name + " account"))
	}
	return k, nil
}

type gen struct {
	keys    []*key
	valid   []Valid
	invalid []Invalid
}

func (g *gen) key(name string) *key {
	for _, k := range g.keys {
		if k.name == name {
			return k
		}
	}
	panic("vectors: no key " + name) // a bug in this file, not input
}

func (g *gen) addValid(name, typ string, kind format.Kind, signer string, signed []byte, hash [32]byte) {
	g.valid = append(g.valid, Valid{Name: name, Type: typ, Purpose: kind.Purpose(), Signer: signer,
		Signed: hex.EncodeToString(signed), Hash: hex.EncodeToString(hash[:])})
}

func (g *gen) addInvalid(name, typ string, signed []byte, want string) {
	g.invalid = append(g.invalid, Invalid{Name: name, Type: typ, Signed: hex.EncodeToString(signed), Error: want})
}

// sign signs body as kind without any check, to build invalid objects whose
// signature is still good.
func sign(priv ed25519.PrivateKey, kind format.Kind, body []byte) []byte {
	return ed25519.Sign(priv, format.Message(kind.Purpose(), body))
}

func (g *gen) file() (*File, error) {
	for _, n := range []struct {
		name  string
		xwing bool
	}{{"alice", true}, {"alice-2", true}, {"bob", true}, {"admin", false}, {"laptop", false}, {"recovery", false}} {
		k, err := newKey(n.name, n.xwing)
		if err != nil {
			return nil, err
		}
		g.keys = append(g.keys, k)
	}
	alice, alice2, bob := g.key("alice"), g.key("alice-2"), g.key("bob")
	admin, laptop := g.key("admin"), g.key("laptop")
	// The admin has an account, for its account chain, but no card here.
	admin.account = [32]byte(derive("admin account"))

	// Key cards.
	card := func(k *key, handle string, seq uint64, prev [32]byte) *format.KeyCard {
		return &format.KeyCard{AccountID: k.account, Handle: handle, Ed25519PK: k.pub, XWingPK: k.xPK,
			Seq: seq, PrevCardHash: prev, Created: 1767225600 + 86400*(seq-1)}
	}
	aliceCard := card(alice, "alice", 1, [32]byte{})
	if err := aliceCard.Sign(alice.priv); err != nil {
		return nil, err
	}
	aliceCard2 := card(alice2, "alice", 2, aliceCard.Hash())
	aliceCard2.AccountID = alice.account
	if err := aliceCard2.Sign(alice2.priv); err != nil {
		return nil, err
	}
	if err := aliceCard2.Endorse(alice.priv); err != nil {
		return nil, err
	}
	bobCard := card(bob, "Dr. Bob Ñúñez", 1, [32]byte{})
	if err := bobCard.Sign(bob.priv); err != nil {
		return nil, err
	}
	g.addValid("key card, seq 1", "KeyCard", format.KindKeyCard, "alice", aliceCard.Marshal(), aliceCard.Hash())
	g.valid[len(g.valid)-1].Text = string(format.MarshalKeyCardText(aliceCard))
	g.addValid("key card, seq 2, endorsed by the seq 1 key", "KeyCard", format.KindKeyCard, "alice-2", aliceCard2.Marshal(), aliceCard2.Hash())
	g.addValid("key card, UTF-8 handle", "KeyCard", format.KindKeyCard, "bob", bobCard.Marshal(), bobCard.Hash())

	// Role attestation, device certificate and revocation.
	role := &format.RoleAttestation{SubjectFP: bobCard.Fingerprint(), Role: format.RoleClinician,
		Org: "St Example's Hospital", NotAfter: 1798761600, IssuerPK: admin.pub}
	if err := role.Sign(admin.priv); err != nil {
		return nil, err
	}
	g.addValid("role attestation", "RoleAttestation", format.KindRole, "admin", role.Marshal(), role.Hash())
	cert := &format.DeviceCert{DevicePK: laptop.pub, AccountID: alice.account, IdentityFP: aliceCard.Fingerprint(),
		Created: 1767225600, NotAfter: 1798761600}
	if err := cert.Sign(alice.priv); err != nil {
		return nil, err
	}
	g.addValid("device certificate", "DeviceCert", format.KindDeviceCert, "alice", cert.Marshal(), cert.Hash())
	rev := &format.DeviceRevocation{DevicePK: laptop.pub, AccountID: alice.account, IdentityFP: aliceCard.Fingerprint(),
		RevokedAt: 1780000000}
	if err := rev.Sign(alice.priv); err != nil {
		return nil, err
	}
	g.addValid("device revocation", "DeviceRevocation", format.KindDeviceRevocation, "alice", rev.Marshal(), rev.Hash())

	// ACL: alice owns the record, bob reads it.
	recordID := [32]byte(derive("record id"))
	acl := &format.ACL{RecordID: recordID, Owner: alice.account, Seq: 1, Epoch: 1, Entries: []format.ACLEntry{
		{Reader: format.KeyID(alice.xPK), Rights: format.RightsAll},
		{Reader: format.KeyID(bob.xPK), Rights: format.RightRead},
	}}
	slices.SortFunc(acl.Entries, func(a, b format.ACLEntry) int { return bytes.Compare(a.Reader[:], b.Reader[:]) })
	if err := acl.Sign(alice.priv); err != nil {
		return nil, err
	}
	g.addValid("ACL", "ACL", format.KindACL, "alice", acl.Marshal(), acl.Hash())

	// Grant of epoch 1 to bob, sealed deterministically.
	epochKey := derive("epoch key")
	hg, err := sealGrant(bob.xPK, bob.xSeed, recordID, 1, epochKey)
	if err != nil {
		return nil, err
	}
	gr := &format.Grant{RecordID: recordID, Epoch: 1, Recipient: format.KeyID(bob.xPK), Granter: alice.account,
		SignerPK: alice.pub, Enc: mustHex(hg.Enc), CT: mustHex(hg.CT)}
	if err := gr.Sign(alice.priv); err != nil {
		return nil, err
	}
	g.addValid("grant", "Grant", format.KindGrant, "alice", gr.Marshal(), gr.Hash())

	// Header of version 1 with a real wrapped DEK; the body fields describe a
	// 4096-byte padded body but are placeholders, not a real body.
	dek := derive("dek")
	bodyCtx := format.BodyContext(recordID, 1, alice.account)
	nonce := derive("dek nonce")[:12]
	wrapped, err := wrapDEK(epochKey, nonce, dek, bodyCtx)
	if err != nil {
		return nil, err
	}
	hdr := &format.Header{RecordID: recordID, Owner: alice.account, Version: 1, ACLHash: acl.Hash(), Epoch: 1,
		Author: alice.account, SignerPK: alice.pub, Created: 1767229200,
		Salt: [24]byte(derive("salt")), Commitment: [32]byte(derive("commitment placeholder")),
		CiphertextLen: 56 + 4096 + 16, ChunkCount: 1, Root: [32]byte(derive("root placeholder")),
		WrappedDEK: wrapped, SealedMeta: bytes.Repeat([]byte{0x5e}, format.SealedMetaSizes[0])}
	if err := hdr.Sign(alice.priv); err != nil {
		return nil, err
	}
	g.addValid("record header, version 1", "Header", format.KindHeader, "alice", hdr.Marshal(), hdr.Hash())

	// Account chain of alice (§2.9): she wrote version 1 of the record, made
	// its ACL, deleted it, and saved her client profile; each entry names the
	// hash of the one before. The profile record and header are placeholders.
	profileID := [32]byte(derive("profile record id"))
	entries := []*format.AccountEntry{
		{Event: format.EventVersion, Record: recordID, Owner: alice.account, Number: hdr.Version, Object: hdr.Hash()},
		{Event: format.EventACL, Record: recordID, Number: acl.Seq, Object: acl.Hash()},
		{Event: format.EventTombstone, Record: recordID, Number: hdr.Version},
		{Event: format.EventProfile, Record: profileID, Owner: alice.account, Number: 1,
			Object: [32]byte(derive("profile header placeholder"))},
	}
	var prev [32]byte
	for i, e := range entries {
		e.Account, e.Seq, e.PrevHash, e.Created, e.SignerPK = alice.account, uint64(i+1), prev, 1767229200+60*uint64(i), alice.pub
		if err := e.Sign(alice.priv); err != nil {
			return nil, err
		}
		prev = e.Hash()
		g.addValid(fmt.Sprintf("account entry, seq %d, %s event", e.Seq, e.Event), "AccountEntry",
			format.KindAccountEntry, "alice", e.Marshal(), e.Hash())
	}
	// First entry of the admin's chain: it published the role attestation above,
	// which its identity key issued.
	adminEntry := &format.AccountEntry{Account: admin.account, Seq: 1, Created: 1767225600, SignerPK: admin.pub,
		Event: format.EventAttestation, Attestation: role.Marshal()}
	if err := adminEntry.Sign(admin.priv); err != nil {
		return nil, err
	}
	g.addValid("account entry, seq 1, attestation event (admin's chain)", "AccountEntry", format.KindAccountEntry,
		"admin", adminEntry.Marshal(), adminEntry.Hash())
	team, err := teamEntry(admin, adminEntry, alice.account)
	if err != nil {
		return nil, err
	}
	g.addValid("account entry, seq 2, team event (admin's chain): care team \"Cardiology\" with alice as its member; "+
		"its xwing_pk is the X-Wing key of GroupSeed(epoch key = derive(\"team epoch key\"), record_id, 1) (§2.10)",
		"AccountEntry", format.KindAccountEntry, "admin", team.Marshal(), team.Hash())

	last, err := g.thresholdEntries(alice, entries[len(entries)-1], admin)
	if err != nil {
		return nil, err
	}
	tk, err := g.openableThreshold(alice, last, admin, team)
	if err != nil {
		return nil, err
	}

	g.invalidEnvelopes(rev, alice, acl)
	g.invalidCards(aliceCard, alice)
	g.invalidOthers(role, admin, cert, alice, acl, gr, hdr)
	g.invalidEntries(entries, alice, adminEntry, admin, cert)
	g.invalidTeams(team, admin)
	g.invalidKeys(aliceCard, alice, role, admin, cert, rev, gr, hdr, entries[0])

	f := &File{
		Comment: []string{
			"Blindvault format v1 test vectors (docs/spec/format-v1.md §1-§3).",
			"Generated by sdk/testdata/gen (package internal/format/vectors); do not edit. See sdk/testdata/README.md.",
			"valid: signed forms a reader must accept; verify each under the Ed25519 key of its signer.",
			"invalid: inputs a reader must reject with the named error; their signatures are valid unless the case is about the signature.",
			"Header body fields other than wrapped_dek (salt, commitment, root, sealed_meta) are placeholders.",
			"Account entries: alice's chain, seq 1-4, each naming the hash of the one before; and seq 1 of admin's chain, carrying the role attestation.",
			"Ed25519 key cases (format-v1 §1): every Ed25519 key field holding a point of small order or a non-canonical encoding is ErrMalformed, whatever the signature.",
			"threshold_shares: a 2-of-2 threshold key (threshold-v1 §2) held by alice and a care team; each share opens with its recipient's X-Wing seed and lies on the commitments.",
		},
		Valid:     g.valid,
		Invalid:   g.invalid,
		Grant:     *hg,
		Threshold: *tk,
		Header: DEKWrap{BodyContext: hex.EncodeToString(bodyCtx), Nonce: hex.EncodeToString(nonce),
			DEK: hex.EncodeToString(dek), WrappedDEK: hex.EncodeToString(wrapped)},
	}
	for _, k := range g.keys {
		v := Key{Name: k.name, Ed25519Seed: hex.EncodeToString(k.edSeed), Ed25519PK: hex.EncodeToString(k.pub[:])}
		if k.account != ([32]byte{}) {
			v.AccountID = hex.EncodeToString(k.account[:])
		}
		if k.xPK != nil {
			id := format.KeyID(k.xPK)
			c := format.KeyCard{AccountID: k.account, Ed25519PK: k.pub, XWingPK: k.xPK}
			if k.name == "alice-2" {
				c.AccountID = alice.account // the rotated key of alice's account
			}
			fp := c.Fingerprint()
			v.XWingSeed, v.XWingPK = hex.EncodeToString(k.xSeed), hex.EncodeToString(k.xPK)
			v.XWingKeyID, v.AccountID = hex.EncodeToString(id[:]), hex.EncodeToString(c.AccountID[:])
			v.Fingerprint, v.FingerprintText = hex.EncodeToString(fp[:]), format.FormatFingerprint(fp)
		}
		f.Keys = append(f.Keys, v)
	}
	return f, nil
}

// sealGrant seals epochKey like grant.Seal, with the encapsulation randomness
// fixed so the output is reproducible.
func sealGrant(pk, seed []byte, recordID [32]byte, epoch uint32, epochKey []byte) (*HPKEGrant, error) {
	suite := hpke.NewSuite(hpke.KEM_XWING, hpke.KDF_HKDF_SHA256, hpke.AEAD_AES256GCM)
	pub, err := xwing.Scheme().UnmarshalBinaryPublicKey(pk)
	if err != nil {
		return nil, err
	}
	info := grant.Info(recordID, epoch, format.KeyID(pk))
	sender, err := suite.NewSender(pub, info)
	if err != nil {
		return nil, err
	}
	encSeed := append(derive("encapsulation 1"), derive("encapsulation 2")...)
	enc, sealer, err := sender.Setup(bytes.NewReader(encSeed))
	if err != nil {
		return nil, err
	}
	ct, err := sealer.Seal(epochKey, nil)
	if err != nil {
		return nil, err
	}
	return &HPKEGrant{KEM: uint16(hpke.KEM_XWING), KDF: uint16(hpke.KDF_HKDF_SHA256), AEAD: uint16(hpke.AEAD_AES256GCM),
		RecipientSeed: hex.EncodeToString(seed), RecipientPK: hex.EncodeToString(pk),
		RecordID: hex.EncodeToString(recordID[:]), Epoch: epoch, Info: hex.EncodeToString(info),
		EpochKey: hex.EncodeToString(epochKey), EncapsulationSeed: hex.EncodeToString(encSeed),
		Enc: hex.EncodeToString(enc), CT: hex.EncodeToString(ct)}, nil
}

func wrapDEK(epochKey, nonce, dek, bodyCtx []byte) ([]byte, error) {
	block, err := aes.NewCipher(epochKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return aead.Seal(bytes.Clone(nonce), nonce, dek, bodyCtx), nil
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err) // only ever given hex.EncodeToString output
	}
	return b
}

// invalidEnvelopes: the rules of §2 shared by every object, on small objects.
func (g *gen) invalidEnvelopes(rev *format.DeviceRevocation, alice *key, acl *format.ACL) {
	const T = "DeviceRevocation"
	k := format.KindDeviceRevocation
	body, signed := rev.Body(), rev.Marshal()
	resign := func(b []byte) []byte { return format.SignedForm(b, sign(alice.priv, k, b), false, nil) }
	with := func(f func(b []byte)) []byte {
		b := bytes.Clone(body)
		f(b)
		return resign(b)
	}
	g.addInvalid("empty input", T, nil, "ErrMalformed")
	g.addInvalid("too large: 1025 bytes", T, append(bytes.Clone(signed), make([]byte, 1025-len(signed))...), "ErrTooLarge")
	g.addInvalid("body length prefix cut", T, signed[:2], "ErrMalformed")
	g.addInvalid("body cut", T, signed[:3+len(body)-1], "ErrMalformed")
	g.addInvalid("signature cut", T, signed[:len(signed)-1], "ErrMalformed")
	g.addInvalid("signature missing", T, signed[:3+len(body)], "ErrMalformed")
	g.addInvalid("signature of 63 bytes", T, format.SignedForm(body, sign(alice.priv, k, body)[:63], false, nil), "ErrMalformed")
	g.addInvalid("byte after the signature", T, append(bytes.Clone(signed), 0), "ErrTrailingData")
	g.addInvalid("byte after the last field of the body", T, resign(append(bytes.Clone(body), 0)), "ErrTrailingData")
	g.addInvalid("body ends inside a field", T, resign(body[:len(body)-1]), "ErrMalformed")
	g.addInvalid("body is only version, kind, suite", T, resign(body[:4]), "ErrMalformed")
	g.addInvalid("version 2", T, with(func(b []byte) { b[0] = 2 }), "ErrUnknownVersion")
	g.addInvalid("version 0", T, with(func(b []byte) { b[0] = 0 }), "ErrUnknownVersion")
	g.addInvalid("kind 3 (device-cert)", T, with(func(b []byte) { b[1] = 3 }), "ErrUnknownKind")
	g.addInvalid("kind 8 (account-entry)", T, with(func(b []byte) { b[1] = 8 }), "ErrUnknownKind")
	g.addInvalid("suite 2", T, with(func(b []byte) { b[3] = 2 }), "ErrUnknownSuite")
	g.addInvalid("version 2 and kind 0: version is checked first", T, with(func(b []byte) { b[0], b[1] = 2, 0 }), "ErrUnknownVersion")
	g.addInvalid("kind 0 and suite 2: kind is checked before suite", T, with(func(b []byte) { b[1], b[3] = 0, 2 }), "ErrUnknownKind")
	g.addInvalid("a valid ACL given to the grant parser", "Grant", acl.Marshal(), "ErrUnknownKind")
}

// invalidCards: key card constraints (§2.1) and the text form.
func (g *gen) invalidCards(c *format.KeyCard, alice *key) {
	const T = "KeyCard"
	k := format.KindKeyCard
	with := func(f func(c *format.KeyCard), endorsement []byte) []byte {
		d := *c
		d.XWingPK = bytes.Clone(c.XWingPK)
		f(&d)
		body := d.Body()
		return format.SignedForm(body, sign(alice.priv, k, body), true, endorsement)
	}
	prev := [32]byte(derive("some previous card"))
	end := make([]byte, 64)
	g.addInvalid("handle empty", T, with(func(c *format.KeyCard) { c.Handle = "" }, nil), "ErrMalformed")
	g.addInvalid("handle of 65 bytes", T, with(func(c *format.KeyCard) { c.Handle = strings.Repeat("a", 65) }, nil), "ErrMalformed")
	g.addInvalid("handle with LF", T, with(func(c *format.KeyCard) { c.Handle = "alice\n" }, nil), "ErrMalformed")
	g.addInvalid("handle with DEL", T, with(func(c *format.KeyCard) { c.Handle = "ali\x7fce" }, nil), "ErrMalformed")
	g.addInvalid("handle with C1 control U+009B (rejected beyond the spec's list)", T,
		with(func(c *format.KeyCard) { c.Handle = "ali\u009bce" }, nil), "ErrMalformed")
	g.addInvalid("handle not UTF-8", T, with(func(c *format.KeyCard) { c.Handle = "ali\xffce" }, nil), "ErrMalformed")
	g.addInvalid("xwing_pk fails the ML-KEM encapsulation key check", T,
		with(func(c *format.KeyCard) { c.XWingPK = bytes.Repeat([]byte{0xff}, format.XWingPublicKeySize) }, nil), "ErrMalformed")
	g.addInvalid("seq 0", T, with(func(c *format.KeyCard) { c.Seq = 0 }, nil), "ErrMalformed")
	g.addInvalid("seq 1 with a previous card hash", T, with(func(c *format.KeyCard) { c.PrevCardHash = prev }, nil), "ErrMalformed")
	g.addInvalid("seq 2 with a zero previous card hash", T, with(func(c *format.KeyCard) { c.Seq = 2 }, end), "ErrMalformed")
	g.addInvalid("seq 1 with an endorsement", T, with(func(c *format.KeyCard) {}, end), "ErrMalformed")
	g.addInvalid("seq 2 without an endorsement", T, with(func(c *format.KeyCard) { c.Seq, c.PrevCardHash = 2, prev }, nil), "ErrMalformed")
	g.addInvalid("endorsement of 32 bytes", T, with(func(c *format.KeyCard) { c.Seq, c.PrevCardHash = 2, prev }, end[:32]), "ErrMalformed")
	g.addInvalid("endorsement missing entirely", T, c.Marshal()[:len(c.Marshal())-1], "ErrMalformed")
	d := *c
	d.Created++
	g.addInvalid("self signature does not cover the body", T, format.SignedForm(d.Body(), c.Signature, true, nil), "ErrBadSignature")
	g.addInvalid("self signature made for purpose acl", T,
		format.SignedForm(c.Body(), sign(alice.priv, format.KindACL, c.Body()), true, nil), "ErrBadSignature")

	text := string(format.MarshalKeyCardText(c))
	for _, tc := range []struct{ name, text, err string }{
		{"two card blocks", text + text, "ErrMalformed"},
		{"text before the block", "card:\n" + text, "ErrMalformed"},
		{"text after the block", text + "thanks\n", "ErrTrailingData"},
		{"wrong block type", strings.ReplaceAll(text, "BLINDVAULT KEY CARD", "BLINDVAULT CARD"), "ErrMalformed"},
		{"more than 16 KiB", text + strings.Repeat("\n", 16<<10), "ErrTooLarge"},
	} {
		g.invalid = append(g.invalid, Invalid{Name: tc.name, Type: "KeyCardText", Text: tc.text, Error: tc.err})
	}
}

// invalidOthers: constraints of §2.2–§2.7.
func (g *gen) invalidOthers(role *format.RoleAttestation, admin *key, cert *format.DeviceCert, alice *key,
	acl *format.ACL, gr *format.Grant, hdr *format.Header) {
	re := func(priv ed25519.PrivateKey, k format.Kind, body []byte) []byte {
		return format.SignedForm(body, sign(priv, k, body), false, nil)
	}
	roleWith := func(f func(r *format.RoleAttestation)) []byte {
		r := *role
		f(&r)
		return re(admin.priv, format.KindRole, r.Body())
	}
	g.addInvalid("role not in the list", "RoleAttestation", roleWith(func(r *format.RoleAttestation) { r.Role = "doctor" }), "ErrMalformed")
	g.addInvalid("org empty", "RoleAttestation", roleWith(func(r *format.RoleAttestation) { r.Org = "" }), "ErrMalformed")
	g.addInvalid("org of 129 bytes", "RoleAttestation", roleWith(func(r *format.RoleAttestation) { r.Org = strings.Repeat("o", 129) }), "ErrMalformed")

	c := *cert
	c.NotAfter = c.Created
	g.addInvalid("created = not_after", "DeviceCert", re(alice.priv, format.KindDeviceCert, c.Body()), "ErrMalformed")

	aclWith := func(f func(a *format.ACL)) []byte {
		a := *acl
		a.Entries = slices.Clone(acl.Entries)
		f(&a)
		return re(alice.priv, format.KindACL, a.Body())
	}
	e0, e1 := acl.Entries[0], acl.Entries[1]
	g.addInvalid("epoch 0", "ACL", aclWith(func(a *format.ACL) { a.Epoch = 0 }), "ErrMalformed")
	g.addInvalid("seq 0", "ACL", aclWith(func(a *format.ACL) { a.Seq = 0 }), "ErrMalformed")
	g.addInvalid("seq 2 with a zero previous ACL hash", "ACL", aclWith(func(a *format.ACL) { a.Seq = 2 }), "ErrMalformed")
	g.addInvalid("no entries", "ACL", aclWith(func(a *format.ACL) { a.Entries = nil }), "ErrMalformed")
	g.addInvalid("entries descending", "ACL", aclWith(func(a *format.ACL) { a.Entries = []format.ACLEntry{e1, e0} }), "ErrMalformed")
	g.addInvalid("duplicate reader", "ACL", aclWith(func(a *format.ACL) { a.Entries = []format.ACLEntry{e0, e0, e1} }), "ErrMalformed")
	g.addInvalid("entry without read", "ACL", aclWith(func(a *format.ACL) {
		for i := range a.Entries {
			if a.Entries[i].Rights == format.RightRead {
				a.Entries[i].Rights = format.RightWrite
			}
		}
	}), "ErrMalformed")
	g.addInvalid("entry with unknown rights bit 0x08", "ACL", aclWith(func(a *format.ACL) {
		for i := range a.Entries {
			a.Entries[i].Rights |= 0x08
		}
	}), "ErrMalformed")
	g.addInvalid("no entry with every right (the owner's)", "ACL", aclWith(func(a *format.ACL) {
		for i := range a.Entries {
			a.Entries[i].Rights = format.RightRead
		}
	}), "ErrMalformed")
	body := acl.Body()
	partial := append(bytes.Clone(body), 0)
	n := len(body) - 2 - 33*len(acl.Entries)
	binary.BigEndian.PutUint16(partial[n:], uint16(33*len(acl.Entries)+1))
	g.addInvalid("entry list of 67 bytes", "ACL", re(alice.priv, format.KindACL, partial), "ErrMalformed")

	grWith := func(f func(g *format.Grant)) []byte {
		x := *gr
		f(&x)
		return re(alice.priv, format.KindGrant, x.Body())
	}
	g.addInvalid("epoch 0", "Grant", grWith(func(g *format.Grant) { g.Epoch = 0 }), "ErrMalformed")
	g.addInvalid("enc of 1119 bytes", "Grant", grWith(func(g *format.Grant) { g.Enc = g.Enc[:1119] }), "ErrMalformed")
	g.addInvalid("ct of 49 bytes", "Grant", grWith(func(g *format.Grant) { g.CT = append(bytes.Clone(g.CT), 0) }), "ErrMalformed")

	hdrWith := func(f func(h *format.Header)) []byte {
		h := *hdr
		f(&h)
		return re(alice.priv, format.KindHeader, h.Body())
	}
	g.addInvalid("version 0", "Header", hdrWith(func(h *format.Header) { h.Version = 0 }), "ErrMalformed")
	g.addInvalid("version 1 with a previous header hash", "Header", hdrWith(func(h *format.Header) { h.PrevHeaderHash = h.Root }), "ErrMalformed")
	g.addInvalid("epoch 0", "Header", hdrWith(func(h *format.Header) { h.Epoch = 0 }), "ErrMalformed")
	g.addInvalid("wrapped_dek of 59 bytes", "Header", hdrWith(func(h *format.Header) { h.WrappedDEK = h.WrappedDEK[:59] }), "ErrMalformed")
	g.addInvalid("sealed_meta of 541 bytes", "Header", hdrWith(func(h *format.Header) { h.SealedMeta = make([]byte, 541) }), "ErrMalformed")
	g.addInvalid("chunk_count 0", "Header", hdrWith(func(h *format.Header) { h.ChunkCount = 0 }), "ErrMalformed")
	g.addInvalid("ciphertext_len not 56 + P + 16·chunk_count", "Header", hdrWith(func(h *format.Header) { h.CiphertextLen++ }), "ErrMalformed")
	g.addInvalid("padded size 4095 < 4096", "Header", hdrWith(func(h *format.Header) { h.CiphertextLen = 56 + 4095 + 16 }), "ErrMalformed")
	g.addInvalid("padded size 5000 is not a Padmé size", "Header", hdrWith(func(h *format.Header) { h.CiphertextLen = 56 + 5000 + 16 }), "ErrMalformed")

	// These parse, but their signature does not verify under the signer's key.
	bad := func(name, typ string, signed []byte) {
		g.invalid = append(g.invalid, Invalid{Name: name, Type: typ, Signed: hex.EncodeToString(signed),
			VerifyWith: "alice", Error: "ErrBadSignature"})
	}
	bad("ACL signature presented as the header's (same key)", "Header", format.SignedForm(hdr.Body(), acl.Signature, false, nil))
	bad("header signature presented as the ACL's (same key)", "ACL", format.SignedForm(acl.Body(), hdr.Signature, false, nil))
	bump := *cert
	bump.NotAfter++
	bad("device certificate changed after signing", "DeviceCert", format.SignedForm(bump.Body(), cert.Signature, false, nil))
	other := *gr
	other.Epoch = 2
	bad("grant changed after signing", "Grant", format.SignedForm(other.Body(), gr.Signature, false, nil))
	mallory := ed25519.NewKeyFromSeed(derive("mallory ed25519"))
	bad("grant naming alice's key as signer_pk, signed by another key", "Grant", re(mallory, format.KindGrant, gr.Body()))
}

// invalidEntries: account-entry constraints (§2.9). entries is alice's chain.
func (g *gen) invalidEntries(entries []*format.AccountEntry, alice *key, adminEntry *format.AccountEntry,
	admin *key, cert *format.DeviceCert) {
	const T = "AccountEntry"
	k := format.KindAccountEntry
	re := func(priv ed25519.PrivateKey, body []byte) []byte {
		return format.SignedForm(body, sign(priv, k, body), false, nil)
	}
	with := func(e *format.AccountEntry, f func(e *format.AccountEntry)) []byte {
		x := *e
		f(&x)
		return re(alice.priv, x.Body())
	}
	version, acl, tomb := entries[0], entries[1], entries[2]

	// The event byte follows version, kind, suite, account, seq, prev_hash,
	// created and signer_pk.
	const eventAt = 4 + 32 + 8 + 32 + 8 + 32
	unknown := tomb.Body()
	unknown[eventAt] = 12
	g.addInvalid("event 12 (undefined)", T, re(alice.priv, unknown), "ErrUnknownEvent")
	g.addInvalid("seq 0", T, with(version, func(e *format.AccountEntry) { e.Seq = 0 }), "ErrMalformed")
	g.addInvalid("seq 1 with a previous entry hash", T, with(version, func(e *format.AccountEntry) { e.PrevHash = acl.PrevHash }), "ErrMalformed")
	g.addInvalid("seq 2 with a zero previous entry hash", T, with(acl, func(e *format.AccountEntry) { e.PrevHash = [32]byte{} }), "ErrMalformed")
	g.addInvalid("version event with version 0", T, with(version, func(e *format.AccountEntry) { e.Number = 0 }), "ErrMalformed")
	g.addInvalid("ACL event with ACL seq 0", T, with(acl, func(e *format.AccountEntry) { e.Number = 0 }), "ErrMalformed")
	body := tomb.Body()
	g.addInvalid("tombstone event cut short", T, re(alice.priv, body[:len(body)-1]), "ErrMalformed")
	g.addInvalid("byte after the last field of the body", T, re(alice.priv, append(bytes.Clone(body), 0)), "ErrTrailingData")
	bad := *adminEntry
	bad.Attestation = cert.Marshal()
	g.addInvalid("attestation event carrying a device certificate", T, re(admin.priv, bad.Body()), "ErrMalformed")

	// These parse, but their signature does not verify under the signer's key.
	mallory := ed25519.NewKeyFromSeed(derive("mallory ed25519"))
	for _, v := range []struct {
		name   string
		signed []byte
	}{
		{"entry naming alice's key as signer_pk, signed by another key", re(mallory, version.Body())},
		{"version event relabelled as a profile event after signing", func() []byte {
			x := *version
			x.Event = format.EventProfile
			return format.SignedForm(x.Body(), version.Signature, false, nil)
		}()},
	} {
		g.invalid = append(g.invalid, Invalid{Name: v.name, Type: T, Signed: hex.EncodeToString(v.signed),
			VerifyWith: "alice", Error: "ErrBadSignature"})
	}
}

// weakKey is an Ed25519 public key a parser must refuse (format-v1 §1).
type weakKey struct {
	name string
	pk   [32]byte
}

// weakKeys returns the eight points of small order (canonical encodings:
// y ∈ {0, 1, p − 1, and the two y of the points of order 8}, with each sign of
// x where x ≠ 0) and three non-canonical encodings.
func weakKeys() []weakKey {
	le := func(h string) [32]byte { return [32]byte(mustHex(h)) }
	neg := func(k [32]byte) [32]byte { k[31] |= 0x80; return k }
	y0 := [32]byte{}
	y1 := [32]byte{1}
	pm1 := le("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")
	o8a := le("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05")
	o8b := le("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")
	return []weakKey{
		{"small order 1: the identity (y = 1)", y1},
		{"small order 2: y = p - 1", pm1},
		{"small order 4: y = 0, x even", y0},
		{"small order 4: y = 0, x odd", neg(y0)},
		{"small order 8: y = 26e8…05, x even", o8a},
		{"small order 8: y = 26e8…05, x odd", neg(o8a)},
		{"small order 8: y = c717…7a, x even", o8b},
		{"small order 8: y = c717…7a, x odd", neg(o8b)},
		{"non-canonical: y = p + 3 (y ≥ p)", le("f0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")},
		{"non-canonical: y = 2^255 - 1 (y ≥ p)", le("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")},
		{"non-canonical: the identity with the sign bit (x = 0)", neg(y1)},
	}
}

// invalidKeys: an Ed25519 key field of small order or non-canonical is
// ErrMalformed (§1), checked with the object's other field rules and before a
// key card's self signature. Every weak key is tried in a key card and a device
// certificate; one of each kind (order 8, order 4, non-canonical) in the other
// objects' key fields. Signatures are by the original signer.
func (g *gen) invalidKeys(card *format.KeyCard, alice *key, role *format.RoleAttestation, admin *key,
	cert *format.DeviceCert, rev *format.DeviceRevocation, gr *format.Grant, hdr *format.Header,
	entry *format.AccountEntry) {
	re := func(priv ed25519.PrivateKey, k format.Kind, body []byte) []byte {
		return format.SignedForm(body, sign(priv, k, body), false, nil)
	}
	weak := weakKeys()
	for _, w := range weak {
		c := *card
		c.Ed25519PK = w.pk
		g.addInvalid("ed25519_pk "+w.name, "KeyCard", format.SignedForm(c.Body(), sign(alice.priv, format.KindKeyCard, c.Body()), true, nil), "ErrMalformed")
	}
	for _, w := range weak {
		d := *cert
		d.DevicePK = w.pk
		g.addInvalid("device_pk "+w.name, "DeviceCert", re(alice.priv, format.KindDeviceCert, d.Body()), "ErrMalformed")
	}
	some := []weakKey{weak[4], weak[2], weak[8]}
	for _, w := range some {
		r := *rev
		r.DevicePK = w.pk
		g.addInvalid("device_pk "+w.name, "DeviceRevocation", re(alice.priv, format.KindDeviceRevocation, r.Body()), "ErrMalformed")
		a := *role
		a.IssuerPK = w.pk
		g.addInvalid("issuer_pk "+w.name, "RoleAttestation", re(admin.priv, format.KindRole, a.Body()), "ErrMalformed")
		x := *gr
		x.SignerPK = w.pk
		g.addInvalid("signer_pk "+w.name, "Grant", re(alice.priv, format.KindGrant, x.Body()), "ErrMalformed")
		h := *hdr
		h.SignerPK = w.pk
		g.addInvalid("signer_pk "+w.name, "Header", re(alice.priv, format.KindHeader, h.Body()), "ErrMalformed")
		e := *entry
		e.SignerPK = w.pk
		g.addInvalid("signer_pk "+w.name, "AccountEntry", re(alice.priv, format.KindAccountEntry, e.Body()), "ErrMalformed")
	}
}

// teamEntry is the second entry of the admin's chain: the care team
// "Cardiology" at the first ACL of its key record, whose X-Wing key is derived
// from a stated epoch key so that a second implementation can check GroupSeed.
func teamEntry(admin *key, prev *format.AccountEntry, member [32]byte) (*format.AccountEntry, error) {
	teamID := [32]byte(derive("team key record id"))
	seed, err := grant.GroupSeed(derive("team epoch key"), teamID, 1)
	if err != nil {
		return nil, err
	}
	pk, err := grant.XWingPublic(seed)
	if err != nil {
		return nil, err
	}
	e := &format.AccountEntry{Account: admin.account, Seq: 2, PrevHash: prev.Hash(), Created: prev.Created + 60,
		SignerPK: admin.pub, Event: format.EventTeam, Record: teamID, Number: 1,
		Object: [32]byte(derive("team key record ACL placeholder")),
		Team: &format.Team{Epoch: 1, Policy: format.TeamHistory, XWingPK: pk, Name: "Cardiology",
			Org: "St Example's Hospital", Members: [][32]byte{member}}}
	return e, e.Sign(admin.priv)
}

// invalidTeams breaks the team entry's field rules (§2.10), one at a time,
// each re-signed so that only the rule fails.
func (g *gen) invalidTeams(team *format.AccountEntry, admin *key) {
	const T = "AccountEntry"
	with := func(f func(t *format.Team)) []byte {
		x := *team
		t := *team.Team
		t.Members = append([][32]byte(nil), team.Team.Members...)
		x.Team = &t
		f(&t)
		body := x.Body()
		return format.SignedForm(body, ed25519.Sign(admin.priv, format.Message("account-entry", body)), false, nil)
	}
	g.addInvalid("team event with epoch 0", T, with(func(t *format.Team) { t.Epoch = 0 }), "ErrMalformed")
	g.addInvalid("team event with an undefined policy bit", T, with(func(t *format.Team) { t.Policy = 0x03 }), "ErrMalformed")
	g.addInvalid("team event with an empty name", T, with(func(t *format.Team) { t.Name = "" }), "ErrMalformed")
	g.addInvalid("team event listing a member twice", T, with(func(t *format.Team) {
		t.Members = append(t.Members, t.Members[0])
	}), "ErrMalformed")
	g.addInvalid("team event whose xwing_pk is not an X-Wing key", T, with(func(t *format.Team) {
		t.XWingPK = bytes.Repeat([]byte{0xff}, format.XWingPublicKeySize)
	}), "ErrMalformed")
}

// thresholdEntries are the threshold events (threshold-v1 §3): alice's
// 1-of-1 emergency set-up held by herself, whose xwing_pk is the X-Wing key
// of ThresholdSeed(secret = derive("threshold secret"), group_id); the
// admin's request for it (the admin's chain, seq 3); alice's refusal; and an
// approval. Shares, commitments and seals are placeholders of the right
// form: the seals are random in real use. Then alice's moved event (§2.9,
// event 11), the last entry it returns.
func (g *gen) thresholdEntries(alice *key, prev *format.AccountEntry, admin *key) (*format.AccountEntry, error) {
	groupID := [32]byte(derive("threshold key record id"))
	seed, err := grant.ThresholdSeed(derive("threshold secret"), groupID)
	if err != nil {
		return nil, err
	}
	pk, err := grant.XWingPublic(seed)
	if err != nil {
		return nil, err
	}
	rg := group.Ristretto255
	com, err := rg.NewElement().MulGen(rg.NewScalar().SetUint64(7)).MarshalBinaryCompress()
	if err != nil {
		return nil, err
	}
	setup := &format.AccountEntry{Account: alice.account, Seq: prev.Seq + 1, PrevHash: prev.Hash(), Created: prev.Created + 60,
		SignerPK: alice.pub, Event: format.EventThreshold, Record: groupID,
		Threshold: &format.Threshold{Purpose: format.PurposeEmergency, K: 1, N: 1, Delay: 86400, XWingPK: pk,
			Commitments: [][]byte{com},
			Holders: []format.Holder{{Account: alice.account, Key: format.KeyID(alice.xPK), Index: 1,
				Enc: bytes.Repeat([]byte{0xe1}, format.GrantEncSize), CT: bytes.Repeat([]byte{0xc1}, format.ShareCTSize)}}}}
	if err := setup.Sign(alice.priv); err != nil {
		return nil, err
	}
	g.addValid("account entry, threshold event: alice's 1-of-1 emergency key, delay one day", "AccountEntry",
		format.KindAccountEntry, "alice", setup.Marshal(), setup.Hash())
	req := &format.AccountEntry{Account: admin.account, Seq: 3, PrevHash: [32]byte(derive("admin entry 2 placeholder")),
		Created: setup.Created + 60, SignerPK: admin.pub, Event: format.EventRequest, Record: groupID, Owner: alice.account,
		Object: [32]byte(derive("request id")), Key: [32]byte(derive("admin xwing key id placeholder"))}
	if err := req.Sign(admin.priv); err != nil {
		return nil, err
	}
	g.addValid("account entry, request event (admin's chain) for alice's threshold key", "AccountEntry",
		format.KindAccountEntry, "admin", req.Marshal(), req.Hash())
	refusal := &format.AccountEntry{Account: alice.account, Seq: setup.Seq + 1, PrevHash: setup.Hash(), Created: req.Created + 60,
		SignerPK: alice.pub, Event: format.EventRefusal, Record: groupID, Object: req.Hash()}
	if err := refusal.Sign(alice.priv); err != nil {
		return nil, err
	}
	g.addValid("account entry, refusal event: alice refuses the admin's request", "AccountEntry",
		format.KindAccountEntry, "alice", refusal.Marshal(), refusal.Hash())
	approval := &format.AccountEntry{Account: alice.account, Seq: refusal.Seq + 1, PrevHash: refusal.Hash(), Created: refusal.Created + 60,
		SignerPK: alice.pub, Event: format.EventApproval, Record: groupID, Owner: alice.account, Object: req.Hash(),
		Share: &format.SealedShare{Index: 1, Enc: bytes.Repeat([]byte{0xe2}, format.GrantEncSize), CT: bytes.Repeat([]byte{0xc2}, format.ShareCTSize)}}
	if err := approval.Sign(alice.priv); err != nil {
		return nil, err
	}
	g.addValid("account entry, approval event (placeholder share)", "AccountEntry",
		format.KindAccountEntry, "alice", approval.Marshal(), approval.Hash())
	moved := &format.AccountEntry{Account: alice.account, Seq: approval.Seq + 1, PrevHash: approval.Hash(), Created: approval.Created + 60,
		SignerPK: alice.pub, Event: format.EventMoved, URL: "https://vault.example"}
	if err := moved.Sign(alice.priv); err != nil {
		return nil, err
	}
	g.addValid("account entry, moved event: alice moved her records to https://vault.example", "AccountEntry",
		format.KindAccountEntry, "alice", moved.Marshal(), moved.Hash())
	movedBody := moved.Body()
	movedBody[len(movedBody)-len(moved.URL)-1]++ // the URL's length says one byte more than there is
	g.addInvalid("moved event whose URL runs past the end", "AccountEntry",
		format.SignedForm(movedBody, ed25519.Sign(alice.priv, format.Message("account-entry", movedBody)), false, nil), "ErrMalformed")
	bad := *setup
	th := *setup.Threshold
	th.K = 2
	bad.Threshold = &th
	body := bad.Body()
	g.addInvalid("threshold event with k > n", "AccountEntry",
		format.SignedForm(body, ed25519.Sign(alice.priv, format.Message("account-entry", body)), false, nil), "ErrMalformed")
	return moved, nil
}

// openableThreshold is a 2-of-2 threshold key set up in alice's chain after
// prev, held by alice (index 1) and the admin's care team of the team entry
// (index 2): deterministic coefficients, shares and seals, so that every
// share can be opened and checked (ThresholdKey).
func (g *gen) openableThreshold(alice *key, prev *format.AccountEntry, admin *key, team *format.AccountEntry) (*ThresholdKey, error) {
	rg := group.Ristretto255
	dst := []byte("blindvault.v1 vectors")
	groupID := [32]byte(derive("openable threshold key record id"))
	a := []group.Scalar{rg.HashToScalar(derive("threshold coefficient 0"), dst), rg.HashToScalar(derive("threshold coefficient 1"), dst)}
	out := &ThresholdKey{GroupID: hex.EncodeToString(groupID[:]), K: 2}
	th := &format.Threshold{Purpose: format.PurposeThreshold, K: 2, N: 2}
	for _, c := range a {
		cb, err := c.MarshalBinary()
		if err != nil {
			return nil, err
		}
		com, err := rg.NewElement().MulGen(c).MarshalBinaryCompress()
		if err != nil {
			return nil, err
		}
		out.Coefficients = append(out.Coefficients, hex.EncodeToString(cb))
		out.Commitments = append(out.Commitments, hex.EncodeToString(com))
		th.Commitments = append(th.Commitments, com)
	}
	secret, _ := a[0].MarshalBinary()
	seed, err := grant.ThresholdSeed(secret, groupID)
	if err != nil {
		return nil, err
	}
	if th.XWingPK, err = grant.XWingPublic(seed); err != nil {
		return nil, err
	}
	out.Seed, out.XWingPK = hex.EncodeToString(seed), hex.EncodeToString(th.XWingPK)
	teamSeed, err := grant.GroupSeed(derive("team epoch key"), team.Record, 1)
	if err != nil {
		return nil, err
	}
	holders := []struct {
		name     string
		seed, pk []byte
		account  [32]byte
		team     *format.TeamHolder
	}{
		{"alice", alice.xSeed, alice.xPK, alice.account, nil},
		{"team Cardiology (epoch 1)", teamSeed, team.Team.XWingPK, team.Record, &format.TeamHolder{Admin: admin.account, Epoch: 1}},
	}
	for i, h := range holders {
		idx := uint8(i + 1)
		// f(idx) = a_0 + a_1·idx
		v := rg.NewScalar().Mul(a[1], rg.NewScalar().SetUint64(uint64(idx)))
		v.Add(v, a[0])
		value, err := v.MarshalBinary()
		if err != nil {
			return nil, err
		}
		if !grant.VerifyShare(th.Commitments, idx, value) {
			return nil, fmt.Errorf("vectors: share %d is not on the commitments", idx)
		}
		key := format.KeyID(h.pk)
		info := grant.ShareInfo(groupID, idx, key)
		encSeed := append(derive(fmt.Sprintf("share %d encapsulation 1", idx)), derive(fmt.Sprintf("share %d encapsulation 2", idx))...)
		enc, ct, err := grant.SealShareWith(bytes.NewReader(encSeed), h.pk, info, value)
		if err != nil {
			return nil, err
		}
		th.Holders = append(th.Holders, format.Holder{Account: h.account, Key: key, Index: idx, Enc: enc, CT: ct, Team: h.team})
		out.Shares = append(out.Shares, ThresholdShare{Index: idx, Holder: h.name, RecipientSeed: hex.EncodeToString(h.seed),
			RecipientPK: hex.EncodeToString(h.pk), Info: hex.EncodeToString(info), Value: hex.EncodeToString(value),
			EncapsulationSeed: hex.EncodeToString(encSeed), Enc: hex.EncodeToString(enc), CT: hex.EncodeToString(ct)})
	}
	setup := &format.AccountEntry{Account: alice.account, Seq: prev.Seq + 1, PrevHash: prev.Hash(), Created: prev.Created + 60,
		SignerPK: alice.pub, Event: format.EventThreshold, Record: groupID, Threshold: th}
	if err := setup.Sign(alice.priv); err != nil {
		return nil, err
	}
	out.SetUp = "account entry, threshold event: a 2-of-2 key held by alice and the care team Cardiology (a team list), whose shares open (threshold_shares)"
	g.addValid(out.SetUp, "AccountEntry", format.KindAccountEntry, "alice", setup.Marshal(), setup.Hash())
	return out, nil
}
