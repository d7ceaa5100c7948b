package vectors

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/hpke"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/internal/grant"
)

const path = "../../../sdk/testdata/format-v1.json"

// The checked-in file is exactly what the generator produces.
func TestGenerate_MatchesCheckedIn(t *testing.T) {
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("ReadFile(%s) = %v", path, err)
	}
	got, err := Generate()
	if err != nil {
		t.Fatalf("Generate() = %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Generate() differs from %s (%d and %d bytes); run go generate ./internal/format/vectors", path, len(got), len(want))
	}
}

func load(t *testing.T) *File {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("ReadFile(%s) = %v", path, err)
	}
	f := new(File)
	if err := json.Unmarshal(b, f); err != nil {
		t.Fatalf("json.Unmarshal(%s) = %v", path, err)
	}
	return f
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("hex.DecodeString(%.16q…) = %v", s, err)
	}
	return b
}

// object is what every parsed type provides.
type object interface {
	Marshal() []byte
	Hash() [32]byte
}

// parse runs the parser named by typ.
func parse(typ string, b []byte) (object, error) {
	switch typ {
	case "KeyCard":
		return ret(format.ParseKeyCard(b))
	case "RoleAttestation":
		return ret(format.ParseRoleAttestation(b))
	case "DeviceCert":
		return ret(format.ParseDeviceCert(b))
	case "DeviceRevocation":
		return ret(format.ParseDeviceRevocation(b))
	case "ACL":
		return ret(format.ParseACL(b))
	case "Grant":
		return ret(format.ParseGrant(b))
	case "Header":
		return ret(format.ParseHeader(b))
	case "AccountEntry":
		return ret(format.ParseAccountEntry(b))
	case "KeyCardText":
		return ret(format.ParseKeyCardText(b))
	}
	return nil, errors.New("unknown type " + typ)
}

func ret[T object](o T, err error) (object, error) {
	if err != nil {
		return nil, err
	}
	return o, nil
}

// verify checks o's signature under pub.
func verify(o object, pub [32]byte) error {
	if c, ok := o.(*format.KeyCard); ok {
		if c.Ed25519PK != pub {
			return format.ErrBadSignature
		}
		return c.Verify()
	}
	// An account entry, like a card, names its signer and verifies under it.
	if e, ok := o.(*format.AccountEntry); ok {
		if e.SignerPK != pub {
			return format.ErrBadSignature
		}
		return e.Verify()
	}
	return o.(interface{ Verify([32]byte) error }).Verify(pub)
}

var sentinels = map[string]error{
	"ErrUnknownVersion": format.ErrUnknownVersion,
	"ErrUnknownKind":    format.ErrUnknownKind,
	"ErrUnknownSuite":   format.ErrUnknownSuite,
	"ErrTrailingData":   format.ErrTrailingData,
	"ErrMalformed":      format.ErrMalformed,
	"ErrTooLarge":       format.ErrTooLarge,
	"ErrBadSignature":   format.ErrBadSignature,
	"ErrUnknownEvent":   format.ErrUnknownEvent,
}

func keys(t *testing.T, f *File) map[string][32]byte {
	t.Helper()
	m := make(map[string][32]byte)
	for _, k := range f.Keys {
		priv := ed25519.NewKeyFromSeed(unhex(t, k.Ed25519Seed))
		pub := [32]byte(priv.Public().(ed25519.PublicKey))
		if hex.EncodeToString(pub[:]) != k.Ed25519PK {
			t.Errorf("key %s: ed25519_pk does not match its seed", k.Name)
		}
		if k.XWingSeed != "" {
			pk, err := grant.XWingPublic(unhex(t, k.XWingSeed))
			if err != nil || hex.EncodeToString(pk) != k.XWingPK {
				t.Errorf("key %s: xwing_pk does not match its seed (%v)", k.Name, err)
			}
			id := format.KeyID(pk)
			if hex.EncodeToString(id[:]) != k.XWingKeyID {
				t.Errorf("key %s: xwing_key_id = %s, want %x", k.Name, k.XWingKeyID, id)
			}
			c := format.KeyCard{AccountID: [32]byte(unhex(t, k.AccountID)), Ed25519PK: pub, XWingPK: pk}
			fp := c.Fingerprint()
			if hex.EncodeToString(fp[:]) != k.Fingerprint || format.FormatFingerprint(fp) != k.FingerprintText {
				t.Errorf("key %s: fingerprint does not match its keys", k.Name)
			}
		}
		m[k.Name] = pub
	}
	return m
}

func TestVectors_Valid(t *testing.T) {
	f := load(t)
	pubs := keys(t, f)
	cards := map[string]*format.KeyCard{}
	for _, v := range f.Valid {
		in := unhex(t, v.Signed)
		o, err := parse(v.Type, in)
		if err != nil {
			t.Errorf("Parse%s(%s) = %v, want nil", v.Type, v.Name, err)
			continue
		}
		if !bytes.Equal(o.Marshal(), in) {
			t.Errorf("Parse%s(%s).Marshal() differs from the vector", v.Type, v.Name)
		}
		if h := o.Hash(); hex.EncodeToString(h[:]) != v.Hash {
			t.Errorf("Parse%s(%s).Hash() = %x, want %s", v.Type, v.Name, h, v.Hash)
		}
		if err := verify(o, pubs[v.Signer]); err != nil {
			t.Errorf("Parse%s(%s).Verify(%s) = %v, want nil", v.Type, v.Name, v.Signer, err)
		}
		if v.Text != "" {
			c, err := format.ParseKeyCardText([]byte(v.Text))
			if err != nil || !bytes.Equal(c.Marshal(), in) {
				t.Errorf("ParseKeyCardText(%s) = %v, want the binary card", v.Name, err)
			}
		}
		if c, ok := o.(*format.KeyCard); ok {
			cards[v.Signer] = c
		}
	}
	if err := cards["alice-2"].VerifySuccessor(cards["alice"]); err != nil {
		t.Errorf("alice-2 card.VerifySuccessor(alice card) = %v, want nil", err)
	}
}

func TestVectors_Invalid(t *testing.T) {
	f := load(t)
	pubs := keys(t, f)
	for _, v := range f.Invalid {
		want, ok := sentinels[v.Error]
		if !ok {
			t.Errorf("%s %s: unknown error name %q", v.Type, v.Name, v.Error)
			continue
		}
		in := unhex(t, v.Signed)
		if v.Type == "KeyCardText" {
			in = []byte(v.Text)
		}
		o, err := parse(v.Type, in)
		if v.VerifyWith != "" {
			if err != nil {
				t.Errorf("Parse%s(%s) = %v, want nil", v.Type, v.Name, err)
				continue
			}
			err = verify(o, pubs[v.VerifyWith])
		}
		if !errors.Is(err, want) {
			t.Errorf("Parse%s(%s) = %v, want %s", v.Type, v.Name, err, v.Error)
		}
	}
}

// Alice's entries form one chain, seq 1 up, each naming the hash of the one
// before; the admin's entry carries the role attestation, issued by its own key.
func TestVectors_AccountChain(t *testing.T) {
	f := load(t)
	accounts := map[string]string{}
	for _, k := range f.Keys {
		accounts[k.Name] = k.AccountID
	}
	var chain []*format.AccountEntry
	var admin, team *format.AccountEntry
	var role []byte
	for _, v := range f.Valid {
		switch v.Type {
		case "RoleAttestation":
			role = unhex(t, v.Signed)
		case "AccountEntry":
			e, err := format.ParseAccountEntry(unhex(t, v.Signed))
			if err != nil {
				t.Fatalf("ParseAccountEntry(%s) = %v", v.Name, err)
			}
			if hex.EncodeToString(e.Account[:]) != accounts[v.Signer] {
				t.Errorf("%s: account is not %s's account_id", v.Name, v.Signer)
			}
			switch {
			case v.Signer == "alice":
				chain = append(chain, e)
			case e.Event == format.EventTeam:
				team = e
			case e.Event == format.EventRequest:
			default:
				admin = e
			}
		}
	}
	want := []format.Event{format.EventVersion, format.EventACL, format.EventTombstone, format.EventProfile,
		format.EventThreshold, format.EventRefusal, format.EventApproval, format.EventMoved, format.EventThreshold}
	if len(chain) != len(want) {
		t.Fatalf("alice's chain has %d entries, want %d", len(chain), len(want))
	}
	for i, e := range chain {
		if e.Seq != uint64(i+1) || e.Event != want[i] {
			t.Errorf("alice's entry %d is seq %d, %s; want seq %d, %s", i, e.Seq, e.Event, i+1, want[i])
		}
		if i > 0 {
			if err := e.VerifySuccessor(chain[i-1]); err != nil {
				t.Errorf("entry %d.VerifySuccessor(entry %d) = %v, want nil", e.Seq, chain[i-1].Seq, err)
			}
		}
	}
	if admin == nil || admin.Event != format.EventAttestation || !bytes.Equal(admin.Attestation, role) {
		t.Fatalf("no admin entry carrying the role attestation vector")
	}
	r, err := format.ParseRoleAttestation(admin.Attestation)
	if err != nil {
		t.Fatalf("ParseRoleAttestation(admin entry) = %v", err)
	}
	if err := r.Verify(admin.SignerPK); err != nil {
		t.Errorf("attestation.Verify(admin entry's signer_pk) = %v, want nil", err)
	}
	checkTeamVector(t, team, admin, accounts["alice"])
}

// checkTeamVector checks the team entry against §2.10 with the standard
// library's HKDF, not the package under test: it follows the admin's first
// entry, lists alice, and its key is the X-Wing key of the stated epoch key.
func checkTeamVector(t *testing.T, team, prev *format.AccountEntry, alice string) {
	t.Helper()
	if team == nil {
		t.Fatal("no team entry in the admin's chain")
	}
	if err := team.VerifySuccessor(prev); err != nil {
		t.Errorf("team entry.VerifySuccessor(admin entry 1) = %v, want nil", err)
	}
	if len(team.Team.Members) != 1 || hex.EncodeToString(team.Team.Members[0][:]) != alice {
		t.Errorf("team members = %x, want alice", team.Team.Members)
	}
	info := append([]byte("blindvault.v1 group key"), team.Record[:]...)
	info = binary.BigEndian.AppendUint32(info, team.Team.Epoch)
	epochKey := sha256.Sum256([]byte("blindvault.v1 test vector team epoch key"))
	seed, err := hkdf.Key(sha256.New, epochKey[:], nil, string(info), 32)
	if err != nil {
		t.Fatal(err)
	}
	k, err := hpke.MLKEM768X25519().NewPrivateKey(seed)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k.PublicKey().Bytes(), team.Team.XWingPK) {
		t.Errorf("team xwing_pk is not the key of HKDF(epoch key, group key info)")
	}
}

// The grant opens with circl (package grant) and with crypto/hpke, and its
// encapsulation is reproducible from the recorded randomness.
func TestVectors_Grant(t *testing.T) {
	f := load(t)
	v := f.Grant
	seed, pk := unhex(t, v.RecipientSeed), unhex(t, v.RecipientPK)
	recordID := [32]byte(unhex(t, v.RecordID))
	enc, ct, epochKey := unhex(t, v.Enc), unhex(t, v.CT), unhex(t, v.EpochKey)
	info := grant.Info(recordID, v.Epoch, format.KeyID(pk))
	if hex.EncodeToString(info) != v.Info {
		t.Errorf("grant.Info() = %x, want %s", info, v.Info)
	}
	if v.KEM != 0x647a || v.KDF != 1 || v.AEAD != 2 {
		t.Errorf("suite = %#x, %#x, %#x, want 0x647a, 0x1, 0x2", v.KEM, v.KDF, v.AEAD)
	}

	got, err := grant.Open(seed, recordID, v.Epoch, enc, ct)
	if err != nil || !bytes.Equal(got, epochKey) {
		t.Errorf("grant.Open(vector) = %x, %v, want %x", got, err, epochKey)
	}

	k, err := hpke.MLKEM768X25519().NewPrivateKey(seed)
	if err != nil {
		t.Fatalf("MLKEM768X25519().NewPrivateKey(seed) = %v", err)
	}
	if !bytes.Equal(k.PublicKey().Bytes(), pk) {
		t.Errorf("crypto/hpke public key of the seed differs from recipient_xwing_pk")
	}
	got, err = hpke.Open(k, hpke.HKDFSHA256(), hpke.AES256GCM(), info, append(bytes.Clone(enc), ct...))
	if err != nil || !bytes.Equal(got, epochKey) {
		t.Errorf("hpke.Open(vector) = %x, %v, want %x", got, err, epochKey)
	}

	again, err := sealGrant(pk, seed, recordID, v.Epoch, epochKey)
	if err != nil {
		t.Fatalf("sealGrant() = %v", err)
	}
	if again.EncapsulationSeed != v.EncapsulationSeed || again.Enc != v.Enc || again.CT != v.CT {
		t.Errorf("sealing with encapsulation_seed does not reproduce enc and ct")
	}

	// The valid grant object carries this seal.
	for _, o := range f.Valid {
		if o.Type != "Grant" {
			continue
		}
		g, err := format.ParseGrant(unhex(t, o.Signed))
		if err != nil {
			t.Fatalf("ParseGrant(%s) = %v", o.Name, err)
		}
		if !bytes.Equal(g.Enc, enc) || !bytes.Equal(g.CT, ct) || g.Recipient != format.KeyID(pk) || g.RecordID != recordID {
			t.Errorf("grant object %s does not carry grant_hpke", o.Name)
		}
	}
}

// The header's wrapped_dek opens under the grant's epoch key with the body
// context as AAD.
func TestVectors_HeaderDEK(t *testing.T) {
	f := load(t)
	var h *format.Header
	for _, o := range f.Valid {
		if o.Type == "Header" {
			var err error
			if h, err = format.ParseHeader(unhex(t, o.Signed)); err != nil {
				t.Fatalf("ParseHeader(%s) = %v", o.Name, err)
			}
		}
	}
	if h == nil {
		t.Fatal("no header vector")
	}
	ctx := format.BodyContext(h.RecordID, h.Version, h.Owner)
	if hex.EncodeToString(ctx) != f.Header.BodyContext || hex.EncodeToString(h.WrappedDEK) != f.Header.WrappedDEK {
		t.Errorf("header_dek does not describe the header vector")
	}
	block, err := aes.NewCipher(unhex(t, f.Grant.EpochKey))
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	dek, err := aead.Open(nil, h.WrappedDEK[:12], h.WrappedDEK[12:], ctx)
	if err != nil || hex.EncodeToString(dek) != f.Header.DEK {
		t.Errorf("unwrap(wrapped_dek) = %x, %v, want %s", dek, err, f.Header.DEK)
	}
}

// Every share of the threshold vector opens with its recipient's seed, is
// the share the set-up entry carries, lies on the commitments, and two of
// them recover the secret whose key is the set-up's (threshold-v1 §2).
func TestThresholdShares_Open(t *testing.T) {
	f := load(t)
	tk := f.Threshold
	var setup *format.AccountEntry
	for _, v := range f.Valid {
		if v.Name == tk.SetUp {
			e, err := format.ParseAccountEntry(unhex(t, v.Signed))
			if err != nil {
				t.Fatalf("ParseAccountEntry(%s) = %v", v.Name, err)
			}
			setup = e
		}
	}
	if setup == nil || setup.Threshold == nil {
		t.Fatalf("no valid threshold set-up named %q", tk.SetUp)
	}
	groupID := [32]byte(unhex(t, tk.GroupID))
	var coms [][]byte
	for _, c := range tk.Commitments {
		coms = append(coms, unhex(t, c))
	}
	values := map[uint8][]byte{}
	for _, sh := range tk.Shares {
		h := setup.Threshold.Holders[sh.Index-1]
		if !bytes.Equal(h.Enc, unhex(t, sh.Enc)) || !bytes.Equal(h.CT, unhex(t, sh.CT)) {
			t.Fatalf("share %d: the set-up carries another seal", sh.Index)
		}
		pk := unhex(t, sh.RecipientPK)
		if h.Key != format.KeyID(pk) || !bytes.Equal(grant.ShareInfo(groupID, sh.Index, h.Key), unhex(t, sh.Info)) {
			t.Fatalf("share %d: key id or info differs from the set-up's", sh.Index)
		}
		k, err := grant.NewPrivateKey(unhex(t, sh.RecipientSeed))
		if err != nil || !bytes.Equal(k.Public(), pk) {
			t.Fatalf("share %d: NewPrivateKey(seed) = %v, or not the recipient's key", sh.Index, err)
		}
		v, err := k.OpenShare(unhex(t, sh.Info), h.Enc, h.CT)
		if err != nil || !bytes.Equal(v, unhex(t, sh.Value)) {
			t.Fatalf("share %d: OpenShare = %x, %v; want %s", sh.Index, v, err, sh.Value)
		}
		if !grant.VerifyShare(coms, sh.Index, v) {
			t.Fatalf("share %d: VerifyShare = false", sh.Index)
		}
		// The seal is reproducible from the encapsulation seed.
		enc, ct, err := grant.SealShareWith(bytes.NewReader(unhex(t, sh.EncapsulationSeed)), pk, unhex(t, sh.Info), v)
		if err != nil || !bytes.Equal(enc, h.Enc) || !bytes.Equal(ct, h.CT) {
			t.Fatalf("share %d: SealShareWith(encapsulation seed) differs from the vector (%v)", sh.Index, err)
		}
		values[sh.Index] = v
	}
	if h := setup.Threshold.Holders[1]; h.Team == nil || h.Team.Epoch != 1 {
		t.Fatalf("holder 2 = %+v, want the team of epoch 1", h)
	}
	secret, err := grant.Recover(tk.K, values)
	if err != nil || !bytes.Equal(secret, unhex(t, tk.Coefficients[0])) {
		t.Fatalf("Recover = %x, %v; want coefficient 0", secret, err)
	}
	key, err := grant.NewThresholdKey(secret, groupID)
	if err != nil || !bytes.Equal(key.Public(), setup.Threshold.XWingPK) || !bytes.Equal(key.Public(), unhex(t, tk.XWingPK)) {
		t.Fatalf("NewThresholdKey(secret) = %v, or not the set-up's key", err)
	}
}
