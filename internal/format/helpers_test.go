package format

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/cloudflare/circl/group"
	"github.com/cloudflare/circl/kem/xwing"
)

// Deterministic test keys and identifiers, derived from names.

func testSeed(label, name string) []byte {
	s := sha256.Sum256([]byte("blindvault format test " + label + " " + name))
	return s[:]
}

func testEd25519(name string) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(testSeed("ed25519", name))
}

func testPub(priv ed25519.PrivateKey) [32]byte {
	return [32]byte(priv.Public().(ed25519.PublicKey))
}

var xwingCache sync.Map // name → []byte

// testXWing returns the X-Wing public key of a seed derived from name.
func testXWing(t testing.TB, name string) []byte {
	if pk, ok := xwingCache.Load(name); ok {
		return slices.Clone(pk.([]byte))
	}
	sk, err := xwing.Scheme().UnmarshalBinaryPrivateKey(testSeed("xwing", name))
	if err != nil {
		t.Fatalf("UnmarshalBinaryPrivateKey: %v", err)
	}
	pk, err := sk.Public().MarshalBinary()
	if err != nil {
		t.Fatalf("MarshalBinary: %v", err)
	}
	xwingCache.Store(name, pk)
	return slices.Clone(pk)
}

func testID(name string) [32]byte {
	return [32]byte(testSeed("id", name))
}

// forceSign signs body as kind k without checking any constraint, so tests can
// produce correctly signed objects that break the format.
func forceSign(priv ed25519.PrivateKey, k Kind, body []byte) []byte {
	return ed25519.Sign(priv, Message(k.Purpose(), body))
}

// Fixtures: one valid, signed object of each type.

func newCard(t testing.TB) (*KeyCard, ed25519.PrivateKey) {
	t.Helper()
	priv := testEd25519("alice")
	c := &KeyCard{
		AccountID: testID("alice"),
		Handle:    "alice",
		Ed25519PK: testPub(priv),
		XWingPK:   testXWing(t, "alice"),
		Seq:       1,
		Created:   1767225600,
	}
	if err := c.Sign(priv); err != nil {
		t.Fatalf("KeyCard.Sign: %v", err)
	}
	return c, priv
}

// newSuccessor returns a card with seq 2 after prev, with a new identity key,
// endorsed by prevPriv.
func newSuccessor(t testing.TB, prev *KeyCard, prevPriv ed25519.PrivateKey) (*KeyCard, ed25519.PrivateKey) {
	t.Helper()
	priv := testEd25519("alice-2")
	c := &KeyCard{
		AccountID:    prev.AccountID,
		Handle:       prev.Handle,
		Ed25519PK:    testPub(priv),
		XWingPK:      testXWing(t, "alice-2"),
		Seq:          prev.Seq + 1,
		PrevCardHash: prev.Hash(),
		Created:      prev.Created + 86400,
	}
	if err := c.Sign(priv); err != nil {
		t.Fatalf("KeyCard.Sign: %v", err)
	}
	if err := c.Endorse(prevPriv); err != nil {
		t.Fatalf("KeyCard.Endorse: %v", err)
	}
	return c, priv
}

func newRole(t testing.TB) (*RoleAttestation, ed25519.PrivateKey) {
	t.Helper()
	priv := testEd25519("admin")
	r := &RoleAttestation{
		SubjectFP: testID("subject"),
		Role:      RoleClinician,
		Org:       "St Example's Hospital",
		NotAfter:  1798761600,
		IssuerPK:  testPub(priv),
	}
	if err := r.Sign(priv); err != nil {
		t.Fatalf("RoleAttestation.Sign: %v", err)
	}
	return r, priv
}

func newDeviceCert(t testing.TB) (*DeviceCert, ed25519.PrivateKey) {
	t.Helper()
	card, priv := newCard(t)
	d := &DeviceCert{
		DevicePK:   testPub(testEd25519("laptop")),
		AccountID:  card.AccountID,
		IdentityFP: card.Fingerprint(),
		Created:    1767225600,
		NotAfter:   1798761600,
	}
	if err := d.Sign(priv); err != nil {
		t.Fatalf("DeviceCert.Sign: %v", err)
	}
	return d, priv
}

func newRevocation(t testing.TB) (*DeviceRevocation, ed25519.PrivateKey) {
	t.Helper()
	card, priv := newCard(t)
	r := &DeviceRevocation{
		DevicePK:   testPub(testEd25519("laptop")),
		AccountID:  card.AccountID,
		IdentityFP: card.Fingerprint(),
		RevokedAt:  1780000000,
	}
	if err := r.Sign(priv); err != nil {
		t.Fatalf("DeviceRevocation.Sign: %v", err)
	}
	return r, priv
}

// sortEntries sorts ACL entries by reader.
func sortEntries(e []ACLEntry) {
	slices.SortFunc(e, func(a, b ACLEntry) int { return bytes.Compare(a.Reader[:], b.Reader[:]) })
}

func newACL(t testing.TB) (*ACL, ed25519.PrivateKey) {
	t.Helper()
	priv := testEd25519("alice")
	a := &ACL{
		RecordID: testID("record"),
		Owner:    testID("alice"),
		Seq:      1,
		Epoch:    1,
		Entries: []ACLEntry{
			{Reader: KeyID(testXWing(t, "alice")), Rights: RightsAll},
			{Reader: KeyID(testXWing(t, "bob")), Rights: RightRead},
			{Reader: KeyID(testXWing(t, "carol")), Rights: RightRead | RightWrite},
		},
	}
	sortEntries(a.Entries)
	if err := a.Sign(priv); err != nil {
		t.Fatalf("ACL.Sign: %v", err)
	}
	return a, priv
}

func newGrant(t testing.TB) (*Grant, ed25519.PrivateKey) {
	t.Helper()
	priv := testEd25519("alice")
	g := &Grant{
		RecordID:  testID("record"),
		Epoch:     1,
		Recipient: KeyID(testXWing(t, "bob")),
		Granter:   testID("alice"),
		SignerPK:  testPub(priv),
		Enc:       bytes.Repeat([]byte{0xe1}, GrantEncSize),
		CT:        bytes.Repeat([]byte{0xc7}, GrantCTSize),
	}
	if err := g.Sign(priv); err != nil {
		t.Fatalf("Grant.Sign: %v", err)
	}
	return g, priv
}

func newHeader(t testing.TB) (*Header, ed25519.PrivateKey) {
	t.Helper()
	priv := testEd25519("alice")
	acl, _ := newACL(t)
	h := &Header{
		RecordID:      acl.RecordID,
		Owner:         acl.Owner,
		Version:       1,
		ACLHash:       acl.Hash(),
		Epoch:         acl.Epoch,
		Author:        acl.Owner,
		SignerPK:      testPub(priv),
		Created:       1767225600,
		Salt:          [SaltSize]byte(bytes.Repeat([]byte{0x5a}, SaltSize)),
		Commitment:    testID("commitment"),
		CiphertextLen: 56 + 4096 + 16,
		ChunkCount:    1,
		Root:          testID("root"),
		WrappedDEK:    bytes.Repeat([]byte{0xd3}, WrappedDEKSize),
		SealedMeta:    bytes.Repeat([]byte{0x3e}, SealedMetaSizes[0]),
	}
	if err := h.Sign(priv); err != nil {
		t.Fatalf("Header.Sign: %v", err)
	}
	return h, priv
}

// entryEvents lists every account-entry event, for tests that cover each.
var entryEvents = []Event{EventVersion, EventACL, EventTombstone, EventProfile, EventAttestation, EventTeam,
	EventThreshold, EventRequest, EventRefusal, EventApproval, EventMoved}

// newAccountEntry returns alice's first account-chain entry: she wrote version 1
// of the test record.
func newAccountEntry(t testing.TB) (*AccountEntry, ed25519.PrivateKey) {
	t.Helper()
	return newEntryWith(t, EventVersion)
}

// newEntryWith returns alice's entry seq 1 with event ev and only that event's
// fields set. For EventAttestation alice is an organisation admin: the
// attestation is issued and the entry signed by her identity key.
func newEntryWith(t testing.TB, ev Event) (*AccountEntry, ed25519.PrivateKey) {
	t.Helper()
	priv := testEd25519("alice")
	e := &AccountEntry{
		Account:  testID("alice"),
		Seq:      1,
		Created:  1767225600,
		SignerPK: testPub(priv),
		Event:    ev,
	}
	switch ev {
	case EventVersion, EventProfile:
		e.Record, e.Owner, e.Number, e.Object = testID("record"), testID("alice"), 1, testID("header")
	case EventACL:
		e.Record, e.Number, e.Object = testID("record"), 1, testID("acl")
	case EventTombstone:
		e.Record, e.Number = testID("record"), 1
	case EventTeam:
		e.Record, e.Number, e.Object = testID("team"), 1, testID("acl")
		e.Team = &Team{Epoch: 1, Policy: TeamHistory, XWingPK: testXWing(t, "team"), Name: "Cardiology",
			Org: "St Example's Hospital", Members: [][32]byte{testID("bob"), testID("carol")}}
		if bytes.Compare(e.Team.Members[0][:], e.Team.Members[1][:]) > 0 {
			e.Team.Members[0], e.Team.Members[1] = e.Team.Members[1], e.Team.Members[0]
		}
	case EventAttestation:
		r := &RoleAttestation{
			SubjectFP: testID("subject"),
			Role:      RoleClinician,
			Org:       "St Example's Hospital",
			NotAfter:  1798761600,
			IssuerPK:  testPub(priv),
		}
		if err := r.Sign(priv); err != nil {
			t.Fatalf("RoleAttestation.Sign: %v", err)
		}
		e.Attestation = r.Marshal()
	case EventThreshold:
		e.Record, e.Threshold = testID("threshold"), testThreshold(t, 2, 3)
	case EventRequest:
		e.Record, e.Owner, e.Object, e.Key = testID("threshold"), testID("bob"), testID("request"), testID("alice key")
	case EventRefusal:
		e.Record, e.Object = testID("threshold"), testID("request hash")
	case EventApproval:
		e.Record, e.Owner, e.Object = testID("threshold"), testID("bob"), testID("request hash")
		e.Share = &SealedShare{Index: 2, Enc: bytes.Repeat([]byte{0xe2}, GrantEncSize), CT: bytes.Repeat([]byte{0xc2}, ShareCTSize)}
	case EventMoved:
		e.URL = "https://vault.example"
	}
	if err := e.Sign(priv); err != nil {
		t.Fatalf("AccountEntry.Sign(%s): %v", ev, err)
	}
	return e, priv
}

// codec drives the tests that apply to every object type.
type codec struct {
	name     string
	kind     Kind
	endorsed bool
	// valid returns a valid signed object, its body and the key that signed it.
	valid func(t testing.TB) (signed, body []byte, priv ed25519.PrivateKey)
	parse func(b []byte) (any, error)
}

// resign encodes body with a valid signature by priv, so that parse errors come
// from the body and not from the signature.
func (c codec) resign(priv ed25519.PrivateKey, body []byte) []byte {
	return SignedForm(body, forceSign(priv, c.kind, body), c.endorsed, nil)
}

func validOf[T interface {
	Marshal() []byte
	Body() []byte
}](f func(testing.TB) (T, ed25519.PrivateKey)) func(testing.TB) ([]byte, []byte, ed25519.PrivateKey) {
	return func(t testing.TB) ([]byte, []byte, ed25519.PrivateKey) {
		o, priv := f(t)
		return o.Marshal(), o.Body(), priv
	}
}

func parseOf[T any](f func([]byte) (*T, error)) func([]byte) (any, error) {
	return func(b []byte) (any, error) { return f(b) }
}

var codecs = []codec{
	{"KeyCard", KindKeyCard, true, validOf(newCard), parseOf(ParseKeyCard)},
	{"RoleAttestation", KindRole, false, validOf(newRole), parseOf(ParseRoleAttestation)},
	{"DeviceCert", KindDeviceCert, false, validOf(newDeviceCert), parseOf(ParseDeviceCert)},
	{"DeviceRevocation", KindDeviceRevocation, false, validOf(newRevocation), parseOf(ParseDeviceRevocation)},
	{"ACL", KindACL, false, validOf(newACL), parseOf(ParseACL)},
	{"Grant", KindGrant, false, validOf(newGrant), parseOf(ParseGrant)},
	{"Header", KindHeader, false, validOf(newHeader), parseOf(ParseHeader)},
	{"AccountEntry", KindAccountEntry, false, validOf(newAccountEntry), parseOf(ParseAccountEntry)},
	{"Auth", KindAuth, false, validOf(newAuth), parseOf(ParseAuth)},
}

// testThreshold returns a k-of-n set-up of an emergency key with a one-day
// delay, held by holder1..holderN, with placeholder shares and commitments
// that are valid ristretto255 elements.
func testThreshold(t testing.TB, k, n int) *Threshold {
	t.Helper()
	th := &Threshold{Purpose: PurposeEmergency, K: uint8(k), N: uint8(n), Delay: 86400, XWingPK: testXWing(t, "threshold")}
	g := group.Ristretto255
	for i := range k {
		c, err := g.NewElement().MulGen(g.NewScalar().SetUint64(uint64(i + 7))).MarshalBinaryCompress()
		if err != nil {
			t.Fatalf("MarshalBinaryCompress: %v", err)
		}
		th.Commitments = append(th.Commitments, c)
	}
	for i := range n {
		th.Holders = append(th.Holders, Holder{Account: testID(fmt.Sprintf("holder%d", i+1)), Key: testID(fmt.Sprintf("holder%d key", i+1)),
			Index: uint8(i + 1), Enc: bytes.Repeat([]byte{byte(0xe0 + i)}, GrantEncSize), CT: bytes.Repeat([]byte{byte(0xc0 + i)}, ShareCTSize)})
	}
	return th
}
