package format

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// entryFixedSize is the body up to and including the event byte: version, kind,
// suite, account, seq, prev hash, created, signer_pk, event.
const entryFixedSize = 4 + 32 + 8 + 32 + 8 + 32 + 1

// entryWith returns e's signed form after f changed a copy of it, signed by priv
// without any check, so that parse errors come from the field rules.
func entryWith(e *AccountEntry, priv []byte, f func(e *AccountEntry)) []byte {
	x := cloneEntry(e)
	f(&x)
	body := x.Body()
	return SignedForm(body, forceSign(priv, KindAccountEntry, body), false, nil)
}

// cloneEntry copies e deeply enough for a test to change any field.
func cloneEntry(e *AccountEntry) AccountEntry {
	x := *e
	x.Attestation = bytes.Clone(e.Attestation)
	if e.Team != nil {
		t := *e.Team
		t.Members = slices.Clone(e.Team.Members)
		x.Team = &t
	}
	return x
}

// nextEntry returns the entry after prev in alice's chain, with event ev.
func nextEntry(t *testing.T, prev *AccountEntry, ev Event) *AccountEntry {
	t.Helper()
	e, priv := newEntryWith(t, ev)
	e.Seq, e.PrevHash, e.Created = prev.Seq+1, prev.Hash(), prev.Created+60
	if err := e.Sign(priv); err != nil {
		t.Fatalf("AccountEntry.Sign(seq %d): %v", e.Seq, err)
	}
	return e
}

func TestAccountEntry_Body_Layout(t *testing.T) {
	for _, ev := range entryEvents {
		t.Run(ev.String(), func(t *testing.T) {
			e, _ := newEntryWith(t, ev)
			var want []byte
			want = append(want, 1, 8, 0, 1)
			want = append(want, e.Account[:]...)
			want = binary.BigEndian.AppendUint64(want, e.Seq)
			want = append(want, e.PrevHash[:]...)
			want = binary.BigEndian.AppendUint64(want, e.Created)
			want = append(want, e.SignerPK[:]...)
			want = append(want, byte(ev))
			switch ev {
			case EventVersion, EventProfile:
				want = append(want, e.Record[:]...)
				want = append(want, e.Owner[:]...)
				want = binary.BigEndian.AppendUint64(want, e.Number)
				want = append(want, e.Object[:]...)
			case EventACL:
				want = append(want, e.Record[:]...)
				want = binary.BigEndian.AppendUint64(want, e.Number)
				want = append(want, e.Object[:]...)
			case EventTombstone:
				want = append(want, e.Record[:]...)
				want = binary.BigEndian.AppendUint64(want, e.Number)
			case EventAttestation:
				want = binary.BigEndian.AppendUint16(want, uint16(len(e.Attestation)))
				want = append(want, e.Attestation...)
			case EventTeam:
				want = append(want, e.Record[:]...)
				want = binary.BigEndian.AppendUint64(want, e.Number)
				want = append(want, e.Object[:]...)
				want = binary.BigEndian.AppendUint32(want, e.Team.Epoch)
				want = append(want, e.Team.Policy)
				want = append(want, e.Team.XWingPK...)
				want = append(want, byte(len(e.Team.Name)))
				want = append(want, e.Team.Name...)
				want = append(want, byte(len(e.Team.Org)))
				want = append(want, e.Team.Org...)
				want = binary.BigEndian.AppendUint16(want, uint16(32*len(e.Team.Members)))
				for _, m := range e.Team.Members {
					want = append(want, m[:]...)
				}
			case EventThreshold:
				th := e.Threshold
				want = append(want, e.Record[:]...)
				want = append(want, th.Purpose, th.K, th.N)
				want = binary.BigEndian.AppendUint32(want, th.Delay)
				want = append(want, th.XWingPK...)
				for _, c := range th.Commitments {
					want = append(want, c...)
				}
				for _, h := range th.Holders {
					want = append(want, h.Account[:]...)
					want = append(want, h.Key[:]...)
					want = append(want, h.Index)
					want = append(want, h.Enc...)
					want = append(want, h.CT...)
				}
			case EventRequest:
				want = append(want, e.Record[:]...)
				want = append(want, e.Owner[:]...)
				want = append(want, e.Object[:]...)
				want = append(want, e.Key[:]...)
			case EventRefusal:
				want = append(want, e.Record[:]...)
				want = append(want, e.Object[:]...)
			case EventApproval:
				want = append(want, e.Record[:]...)
				want = append(want, e.Owner[:]...)
				want = append(want, e.Object[:]...)
				want = append(want, e.Share.Index)
				want = append(want, e.Share.Enc...)
				want = append(want, e.Share.CT...)
			case EventMoved:
				want = binary.BigEndian.AppendUint16(want, uint16(len(e.URL)))
				want = append(want, e.URL...)
			}
			if got := e.Body(); !bytes.Equal(got, want) {
				t.Errorf("AccountEntry{%s}.Body() = %x, want %x", ev, got, want)
			}
			if want[entryFixedSize-1] != byte(ev) {
				t.Errorf("event byte is not at offset %d", entryFixedSize-1)
			}
		})
	}
}

// Each event: Parse(Marshal(e)) equals e, re-encodes to the same bytes, does not
// alias its input and verifies under SignerPK.
func TestAccountEntry_RoundTrip(t *testing.T) {
	for _, ev := range entryEvents {
		t.Run(ev.String(), func(t *testing.T) {
			e, _ := newEntryWith(t, ev)
			signed := e.Marshal()
			in := bytes.Clone(signed)
			got, err := ParseAccountEntry(in)
			if err != nil {
				t.Fatalf("ParseAccountEntry(%s) = %v, want nil", ev, err)
			}
			if !reflect.DeepEqual(got, e) {
				t.Errorf("ParseAccountEntry(%s) = %+v, want %+v", ev, got, e)
			}
			if again := got.Marshal(); !bytes.Equal(again, signed) {
				t.Errorf("ParseAccountEntry(%s).Marshal() = %x, want %x", ev, again, signed)
			}
			if err := got.Verify(); err != nil {
				t.Errorf("ParseAccountEntry(%s).Verify() = %v, want nil", ev, err)
			}
			want := sha256.Sum256(Message("account-entry", e.Body()))
			if h := got.Hash(); h != want {
				t.Errorf("ParseAccountEntry(%s).Hash() = %x, want %x", ev, h, want)
			}
			for i := range in {
				in[i] ^= 0xff
			}
			if !reflect.DeepEqual(got, e) {
				t.Errorf("ParseAccountEntry(%s): entry changed when its input was overwritten", ev)
			}
			if ev == EventAttestation {
				r, err := ParseRoleAttestation(got.Attestation)
				if err != nil {
					t.Fatalf("ParseRoleAttestation(entry.Attestation) = %v", err)
				}
				if err := r.Verify(got.SignerPK); err != nil {
					t.Errorf("embedded attestation.Verify(entry signer) = %v, want nil", err)
				}
			}
		})
	}
}

// Fields that the event does not carry are not encoded: they are not signed and
// come back zero.
func TestAccountEntry_OtherEventFieldsNotEncoded(t *testing.T) {
	e, priv := newEntryWith(t, EventTombstone)
	want := e.Marshal()
	e.Owner, e.Object, e.Attestation = testID("x"), testID("y"), []byte{1, 2, 3}
	if got := e.Marshal(); !bytes.Equal(got, want) {
		t.Errorf("tombstone entry with owner, object and attestation set encodes differently")
	}
	if err := e.Sign(priv); err != nil {
		t.Fatalf("AccountEntry.Sign() = %v", err)
	}
	got, err := ParseAccountEntry(e.Marshal())
	if err != nil {
		t.Fatalf("ParseAccountEntry() = %v", err)
	}
	if got.Owner != ([32]byte{}) || got.Object != ([32]byte{}) || got.Attestation != nil {
		t.Errorf("ParseAccountEntry(tombstone) set fields of other events: %+v", got)
	}
}

func TestAccountEntry_Sign_WrongKey(t *testing.T) {
	e, _ := newAccountEntry(t)
	e.Signature = nil
	if err := e.Sign(testEd25519("bob")); err == nil {
		t.Errorf("AccountEntry.Sign(key other than signer_pk) = nil, want error")
	}
	if err := e.Sign(nil); err == nil {
		t.Errorf("AccountEntry.Sign(nil) = nil, want error")
	}
	if e.Signature != nil {
		t.Errorf("a failed Sign left a signature")
	}
	// The right key, but an entry that breaks a field rule.
	e.Seq = 0
	if err := e.Sign(testEd25519("alice")); !errors.Is(err, ErrMalformed) {
		t.Errorf("AccountEntry{seq 0}.Sign() = %v, want ErrMalformed", err)
	}
}

// Changing any encoded field after signing breaks the signature.
func TestAccountEntry_Verify_ChangedField(t *testing.T) {
	cases := []struct {
		name   string
		ev     Event
		mutate func(e *AccountEntry)
	}{
		{"account", EventVersion, func(e *AccountEntry) { e.Account[0] ^= 1 }},
		{"seq", EventVersion, func(e *AccountEntry) { e.Seq, e.PrevHash = 2, testID("prev") }},
		{"prevHash", EventVersion, func(e *AccountEntry) { e.PrevHash[31] ^= 1 }},
		{"created", EventVersion, func(e *AccountEntry) { e.Created++ }},
		// Profile has the layout of version: only the event byte differs.
		{"versionToProfile", EventVersion, func(e *AccountEntry) { e.Event = EventProfile }},
		{"record", EventVersion, func(e *AccountEntry) { e.Record[0] ^= 1 }},
		{"owner", EventProfile, func(e *AccountEntry) { e.Owner[0] ^= 1 }},
		{"version", EventVersion, func(e *AccountEntry) { e.Number++ }},
		{"headerHash", EventProfile, func(e *AccountEntry) { e.Object[0] ^= 1 }},
		{"aclSeq", EventACL, func(e *AccountEntry) { e.Number++ }},
		{"aclHash", EventACL, func(e *AccountEntry) { e.Object[0] ^= 1 }},
		{"tombstoneVersion", EventTombstone, func(e *AccountEntry) { e.Number++ }},
		{"tombstoneRecord", EventTombstone, func(e *AccountEntry) { e.Record[0] ^= 1 }},
		{"attestation", EventAttestation, func(e *AccountEntry) { e.Attestation[len(e.Attestation)-1] ^= 1 }},
		{"signature", EventACL, func(e *AccountEntry) { e.Signature[0] ^= 1 }},
		// A signer_pk that names another key: the signature is alice's.
		{"signerPK", EventVersion, func(e *AccountEntry) { e.SignerPK = testPub(testEd25519("bob")) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := newEntryWith(t, tc.ev)
			if err := e.Verify(); err != nil {
				t.Fatalf("AccountEntry.Verify() = %v, want nil", err)
			}
			tc.mutate(e)
			if err := e.Verify(); !errors.Is(err, ErrBadSignature) {
				t.Errorf("AccountEntry.Verify() after changing %s = %v, want ErrBadSignature", tc.name, err)
			}
			// The same holds for the parsed form of the changed entry.
			if p, err := ParseAccountEntry(SignedForm(e.Body(), e.Signature, false, nil)); err == nil {
				if err := p.Verify(); !errors.Is(err, ErrBadSignature) {
					t.Errorf("ParseAccountEntry(changed %s).Verify() = %v, want ErrBadSignature", tc.name, err)
				}
			}
		})
	}
}

func TestParseAccountEntry_Constraints(t *testing.T) {
	role, _ := newRole(t)
	otherKind, _ := newDeviceCert(t)
	cases := []struct {
		name   string
		ev     Event
		mutate func(e *AccountEntry)
		want   error
	}{
		{"seq2", EventVersion, func(e *AccountEntry) { e.Seq, e.PrevHash = 2, testID("prev") }, nil},
		{"seqMax", EventVersion, func(e *AccountEntry) { e.Seq, e.PrevHash = math.MaxUint64, testID("prev") }, nil},
		{"seq0", EventVersion, func(e *AccountEntry) { e.Seq = 0 }, ErrMalformed},
		{"seq0WithPrev", EventVersion, func(e *AccountEntry) { e.Seq, e.PrevHash = 0, testID("prev") }, ErrMalformed},
		{"seq1WithPrev", EventVersion, func(e *AccountEntry) { e.PrevHash = testID("prev") }, ErrMalformed},
		{"seq2ZeroPrev", EventVersion, func(e *AccountEntry) { e.Seq = 2 }, ErrMalformed},
		{"numberMax", EventVersion, func(e *AccountEntry) { e.Number = math.MaxUint64 }, nil},
		{"version0", EventVersion, func(e *AccountEntry) { e.Number = 0 }, ErrMalformed},
		{"profileVersion0", EventProfile, func(e *AccountEntry) { e.Number = 0 }, ErrMalformed},
		{"aclSeq0", EventACL, func(e *AccountEntry) { e.Number = 0 }, ErrMalformed},
		{"tombstoneVersion0", EventTombstone, func(e *AccountEntry) { e.Number = 0 }, ErrMalformed},
		// Zero record, owner and object are not rejected: only the reader can
		// tell whether they name something real.
		{"zeroRecord", EventACL, func(e *AccountEntry) { e.Record, e.Object = [32]byte{}, [32]byte{} }, nil},
		// The entry records that the attestation was published; whether it is
		// valid (issuer pinned, signature, not_after) is checked as in §2.2.
		{"attestationOtherIssuer", EventAttestation, func(e *AccountEntry) { e.Attestation = role.Marshal() }, nil},
		{"attestationBadSignature", EventAttestation, func(e *AccountEntry) {
			e.Attestation[len(e.Attestation)-1] ^= 1
		}, nil},
		{"attestationEmpty", EventAttestation, func(e *AccountEntry) { e.Attestation = nil }, ErrMalformed},
		{"attestationGarbage", EventAttestation, func(e *AccountEntry) { e.Attestation = []byte("not an attestation") }, ErrMalformed},
		{"attestationCut", EventAttestation, func(e *AccountEntry) { e.Attestation = e.Attestation[:len(e.Attestation)-1] }, ErrMalformed},
		{"attestationTrailing", EventAttestation, func(e *AccountEntry) { e.Attestation = append(e.Attestation, 0) }, ErrMalformed},
		{"attestationUnknownRole", EventAttestation, func(e *AccountEntry) {
			r := *role
			r.Role = "doctor"
			e.Attestation = SignedForm(r.Body(), forceSign(testEd25519("admin"), KindRole, r.Body()), false, nil)
		}, ErrMalformed},
		{"attestationOtherKind", EventAttestation, func(e *AccountEntry) { e.Attestation = otherKind.Marshal() }, ErrMalformed},
		{"attestationOver1KiB", EventAttestation, func(e *AccountEntry) { e.Attestation = make([]byte, 1100) }, ErrMalformed},
		{"threshold1of1", EventThreshold, func(e *AccountEntry) { e.Threshold = testThreshold(t, 1, 1) }, nil},
		{"threshold10of10", EventThreshold, func(e *AccountEntry) { e.Threshold = testThreshold(t, 10, 10) }, nil},
		{"thresholdK0", EventThreshold, func(e *AccountEntry) { e.Threshold.K, e.Threshold.Commitments = 0, nil }, ErrMalformed},
		{"thresholdKOverN", EventThreshold, func(e *AccountEntry) { e.Threshold = testThreshold(t, 3, 3); e.Threshold.N = 2 }, ErrMalformed},
		{"thresholdN11", EventThreshold, func(e *AccountEntry) { e.Threshold = testThreshold(t, 2, 11) }, ErrMalformed},
		{"thresholdPurpose0", EventThreshold, func(e *AccountEntry) { e.Threshold.Purpose = 0 }, ErrMalformed},
		{"thresholdPurpose3", EventThreshold, func(e *AccountEntry) { e.Threshold.Purpose = 3 }, ErrMalformed},
		{"thresholdWithDelay", EventThreshold, func(e *AccountEntry) { e.Threshold.Purpose = PurposeThreshold }, ErrMalformed},
		{"thresholdNoDelay", EventThreshold, func(e *AccountEntry) { e.Threshold.Purpose, e.Threshold.Delay = PurposeThreshold, 0 }, nil},
		{"emergencyNoDelay", EventThreshold, func(e *AccountEntry) { e.Threshold.Delay = 0 }, nil},
		{"delay30Days", EventThreshold, func(e *AccountEntry) { e.Threshold.Delay = MaxThresholdDelay }, nil},
		{"delayOver30Days", EventThreshold, func(e *AccountEntry) { e.Threshold.Delay = MaxThresholdDelay + 1 }, ErrMalformed},
		{"thresholdBadXWing", EventThreshold, func(e *AccountEntry) {
			e.Threshold.XWingPK = bytes.Repeat([]byte{0xff}, XWingPublicKeySize)
		}, ErrMalformed},
		{"thresholdBadCommitment", EventThreshold, func(e *AccountEntry) {
			e.Threshold.Commitments[0] = bytes.Repeat([]byte{0xff}, ScalarSize)
		}, ErrMalformed},
		{"thresholdIndexOrder", EventThreshold, func(e *AccountEntry) {
			e.Threshold.Holders[0].Index, e.Threshold.Holders[1].Index = 2, 1
		}, ErrMalformed},
		{"thresholdHolderTwice", EventThreshold, func(e *AccountEntry) {
			e.Threshold.Holders[1].Account = e.Threshold.Holders[0].Account
		}, ErrMalformed},
		{"requestOwnKey", EventRequest, func(e *AccountEntry) { e.Owner = e.Account }, ErrMalformed},
		{"approvalIndex0", EventApproval, func(e *AccountEntry) { e.Share.Index = 0 }, ErrMalformed},
		{"approvalIndex11", EventApproval, func(e *AccountEntry) { e.Share.Index = 11 }, ErrMalformed},
		{"teamAclSeq0", EventTeam, func(e *AccountEntry) { e.Number = 0 }, ErrMalformed},
		{"teamEpoch0", EventTeam, func(e *AccountEntry) { e.Team.Epoch = 0 }, ErrMalformed},
		{"teamNoPolicy", EventTeam, func(e *AccountEntry) { e.Team.Policy = 0 }, nil},
		{"teamPolicyUndefinedBit", EventTeam, func(e *AccountEntry) { e.Team.Policy = 0x02 }, ErrMalformed},
		{"teamNameEmpty", EventTeam, func(e *AccountEntry) { e.Team.Name = "" }, ErrMalformed},
		{"teamNameControl", EventTeam, func(e *AccountEntry) { e.Team.Name = "a\nb" }, ErrMalformed},
		{"teamName65", EventTeam, func(e *AccountEntry) { e.Team.Name = strings.Repeat("n", 65) }, ErrMalformed},
		{"teamOrgEmpty", EventTeam, func(e *AccountEntry) { e.Team.Org = "" }, nil},
		{"teamOrg129", EventTeam, func(e *AccountEntry) { e.Team.Org = strings.Repeat("o", 129) }, ErrMalformed},
		{"teamNoMembers", EventTeam, func(e *AccountEntry) { e.Team.Members = nil }, nil},
		{"teamMembersDescending", EventTeam, func(e *AccountEntry) {
			e.Team.Members[0], e.Team.Members[1] = e.Team.Members[1], e.Team.Members[0]
		}, ErrMalformed},
		{"teamMemberTwice", EventTeam, func(e *AccountEntry) { e.Team.Members[1] = e.Team.Members[0] }, ErrMalformed},
		{"teamMaxMembers", EventTeam, func(e *AccountEntry) { e.Team.Members = ascendingIDs(MaxTeamMembers) }, nil},
		{"teamTooManyMembers", EventTeam, func(e *AccountEntry) { e.Team.Members = ascendingIDs(MaxTeamMembers + 1) }, ErrMalformed},
		{"teamBadXWing", EventTeam, func(e *AccountEntry) { e.Team.XWingPK = bytes.Repeat([]byte{0xff}, XWingPublicKeySize) }, ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, priv := newEntryWith(t, tc.ev)
			in := entryWith(e, priv, tc.mutate)
			got, err := ParseAccountEntry(in)
			if tc.want == nil && err != nil || !errors.Is(err, tc.want) {
				t.Fatalf("ParseAccountEntry(%s) = %v, want %v", tc.name, err, tc.want)
			}
			// An unparsable attestation makes the entry malformed; the
			// attestation's own error (wrong kind, too large) is not passed on.
			if errors.Is(err, ErrUnknownKind) || errors.Is(err, ErrTooLarge) || errors.Is(err, ErrTrailingData) {
				t.Errorf("ParseAccountEntry(%s) = %v, want only ErrMalformed", tc.name, err)
			}
			if err == nil {
				if err := got.Verify(); err != nil {
					t.Errorf("ParseAccountEntry(%s).Verify() = %v, want nil", tc.name, err)
				}
			}
			// Sign applies the same rules as the parser.
			x := cloneEntry(e)
			tc.mutate(&x)
			if err := x.Sign(priv); (err == nil) != (tc.want == nil) {
				t.Errorf("AccountEntry{%s}.Sign() = %v, want error: %v", tc.name, err, tc.want != nil)
			}
		})
	}
}

func TestParseAccountEntry_UnknownEvent(t *testing.T) {
	e, priv := newEntryWith(t, EventTombstone)
	body := e.Body()
	for _, ev := range []byte{0, 12, 13, 255} {
		// Whatever follows the event byte: the parser cannot know its layout.
		for _, rest := range [][]byte{nil, body[entryFixedSize:], make([]byte, 200)} {
			b := append(bytes.Clone(body[:entryFixedSize]), rest...)
			b[entryFixedSize-1] = ev
			in := SignedForm(b, forceSign(priv, KindAccountEntry, b), false, nil)
			if _, err := ParseAccountEntry(in); !errors.Is(err, ErrUnknownEvent) {
				t.Errorf("ParseAccountEntry(event %d, %d bytes after it) = %v, want ErrUnknownEvent", ev, len(rest), err)
			}
		}
	}
	// An entry with an undefined event cannot be encoded or signed.
	e.Event = 12
	if b := e.Body(); b != nil {
		t.Errorf("AccountEntry{event 12}.Body() = %x, want nil", b)
	}
	if b := e.Marshal(); b != nil {
		t.Errorf("AccountEntry{event 12}.Marshal() = %x, want nil", b)
	}
	if err := e.Sign(priv); !errors.Is(err, ErrMalformed) {
		t.Errorf("AccountEntry{event 11}.Sign() = %v, want ErrMalformed", err)
	}
	if err := e.Verify(); !errors.Is(err, ErrBadSignature) {
		t.Errorf("AccountEntry{event 11}.Verify() = %v, want ErrBadSignature", err)
	}
}

// A correctly signed body that ends anywhere before its last field, including
// inside the event's fields, is malformed.
func TestParseAccountEntry_TruncatedBody(t *testing.T) {
	for _, ev := range entryEvents {
		t.Run(ev.String(), func(t *testing.T) {
			e, priv := newEntryWith(t, ev)
			body := e.Body()
			for n := 4; n < len(body); n++ {
				in := SignedForm(body[:n], forceSign(priv, KindAccountEntry, body[:n]), false, nil)
				if _, err := ParseAccountEntry(in); !errors.Is(err, ErrMalformed) {
					t.Fatalf("ParseAccountEntry(body cut to %d of %d bytes) = %v, want ErrMalformed", n, len(body), err)
				}
			}
		})
	}
}

func TestParseAccountEntry_TrailingData(t *testing.T) {
	for _, ev := range entryEvents {
		t.Run(ev.String(), func(t *testing.T) {
			e, priv := newEntryWith(t, ev)
			if _, err := ParseAccountEntry(append(e.Marshal(), 0)); !errors.Is(err, ErrTrailingData) {
				t.Errorf("ParseAccountEntry(signed ‖ 00) = %v, want ErrTrailingData", err)
			}
			body := append(e.Body(), 0)
			in := SignedForm(body, forceSign(priv, KindAccountEntry, body), false, nil)
			if _, err := ParseAccountEntry(in); !errors.Is(err, ErrTrailingData) {
				t.Errorf("ParseAccountEntry(body ‖ 00) = %v, want ErrTrailingData", err)
			}
		})
	}
}

func TestParseAccountEntry_TooLarge(t *testing.T) {
	if MaxAccountEntrySize != 16384 || KindAccountEntry.maxSize() != MaxAccountEntrySize {
		t.Fatalf("MaxAccountEntrySize = %d, kind bound %d, want 16384", MaxAccountEntrySize, KindAccountEntry.maxSize())
	}
	e, _ := newEntryWith(t, EventAttestation)
	signed := e.Marshal()
	big := append(bytes.Clone(signed), make([]byte, MaxAccountEntrySize+1-len(signed))...)
	if _, err := ParseAccountEntry(big); !errors.Is(err, ErrTooLarge) || !errors.Is(err, ErrMalformed) {
		t.Errorf("ParseAccountEntry(16385 bytes) = %v, want ErrTooLarge and ErrMalformed", err)
	}
	if _, err := ParseAccountEntry(big[:MaxAccountEntrySize]); !errors.Is(err, ErrTrailingData) {
		t.Errorf("ParseAccountEntry(4096 bytes) = %v, want ErrTrailingData", err)
	}
	// The largest valid entry: the longest role and org (spec §2.9 says 470).
	e, priv := newEntryWith(t, EventAttestation)
	r, err := ParseRoleAttestation(e.Attestation)
	if err != nil {
		t.Fatalf("ParseRoleAttestation: %v", err)
	}
	r.Role, r.Org = RoleClinician, strings.Repeat("o", MaxOrgSize)
	if err := r.Sign(priv); err != nil {
		t.Fatalf("RoleAttestation.Sign: %v", err)
	}
	e.Attestation = r.Marshal()
	if err := e.Sign(priv); err != nil {
		t.Fatalf("AccountEntry.Sign: %v", err)
	}
	if n := len(e.Marshal()); n != 470 {
		t.Errorf("largest valid entry is %d bytes, want 470", n)
	}
}

func TestAccountEntry_VerifySuccessor(t *testing.T) {
	first, _ := newEntryWith(t, EventVersion)
	chain := []*AccountEntry{first}
	for _, ev := range []Event{EventACL, EventTombstone, EventProfile, EventAttestation} {
		chain = append(chain, nextEntry(t, chain[len(chain)-1], ev))
	}
	for i := 1; i < len(chain); i++ {
		if err := chain[i].VerifySuccessor(chain[i-1]); err != nil {
			t.Errorf("entry %d.VerifySuccessor(entry %d) = %v, want nil", chain[i].Seq, chain[i-1].Seq, err)
		}
	}
	// prev_hash covers the body only: the previous entry signed again (Ed25519
	// is deterministic, so use a changed signature) is still its predecessor.
	resigned := *chain[1]
	resigned.Signature = bytes.Clone(resigned.Signature)
	resigned.Signature[0] ^= 1
	if err := chain[2].VerifySuccessor(&resigned); err != nil {
		t.Errorf("VerifySuccessor(predecessor with another signature) = %v, want nil", err)
	}

	second, third := chain[1], chain[2]
	top := *second
	top.Seq = math.MaxUint64
	wrapped := *third
	wrapped.Seq, wrapped.PrevHash = 0, top.Hash()
	cases := []struct {
		name       string
		next, prev *AccountEntry
	}{
		{"nil", second, nil},
		{"itself", second, second},
		{"reversed", first, second},
		{"skipsOne", third, first},
		{"otherAccount", func() *AccountEntry { x := *second; x.Account = testID("bob"); return &x }(), first},
		{"sameSeq", func() *AccountEntry { x := *second; x.Seq = 1; return &x }(), first},
		{"seqPlus2", func() *AccountEntry { x := *second; x.Seq = 3; return &x }(), first},
		{"prevHashOfOther", func() *AccountEntry { x := *second; x.PrevHash = third.Hash(); return &x }(), first},
		{"prevHashZero", func() *AccountEntry { x := *second; x.PrevHash = [32]byte{}; return &x }(), first},
		// seq 2^64 − 1 has no successor: seq 0 must not wrap round to it.
		{"seqWraps", &wrapped, &top},
	}
	for _, tc := range cases {
		if err := tc.next.VerifySuccessor(tc.prev); !errors.Is(err, ErrBadChain) {
			t.Errorf("VerifySuccessor(%s) = %v, want ErrBadChain", tc.name, err)
		}
	}
}

func TestEvent_String(t *testing.T) {
	want := map[Event]string{EventVersion: "version", EventACL: "acl", EventTombstone: "tombstone",
		EventProfile: "profile", EventAttestation: "attestation", EventThreshold: "threshold", EventRequest: "request",
		EventRefusal: "refusal", EventApproval: "approval", EventMoved: "moved", 0: "event 0", 12: "event 12"}
	for ev, s := range want {
		if got := ev.String(); got != s {
			t.Errorf("Event(%d).String() = %q, want %q", uint8(ev), got, s)
		}
	}
}

// ascendingIDs returns n distinct account ids in ascending order.
func ascendingIDs(n int) [][32]byte {
	out := make([][32]byte, n)
	for i := range out {
		binary.BigEndian.PutUint32(out[i][:], uint32(i+1))
	}
	return out
}

// The largest team entry fits the bound with room for the longest name and org.
func TestAccountEntry_LargestTeamFits(t *testing.T) {
	e, priv := newEntryWith(t, EventTeam)
	e.Team.Name, e.Team.Org = strings.Repeat("n", MaxTeamName), strings.Repeat("o", MaxTeamOrg)
	e.Team.Members = ascendingIDs(MaxTeamMembers)
	if err := e.Sign(priv); err != nil {
		t.Fatalf("Sign(largest team) = %v", err)
	}
	if n := len(e.Marshal()); n > MaxAccountEntrySize {
		t.Fatalf("largest team entry is %d bytes, bound %d", n, MaxAccountEntrySize)
	}
}

// The largest threshold set-up (10 holders) fits the entry bound.
func TestAccountEntry_LargestThreshold(t *testing.T) {
	e, priv := newEntryWith(t, EventThreshold)
	e.Threshold = testThreshold(t, MaxHolders, MaxHolders)
	if err := e.Sign(priv); err != nil {
		t.Fatalf("Sign: %v", err)
	}
	if n := len(e.Marshal()); n > MaxAccountEntrySize {
		t.Fatalf("largest threshold entry is %d bytes, bound %d", n, MaxAccountEntrySize)
	}
	if _, err := ParseAccountEntry(e.Marshal()); err != nil {
		t.Fatalf("ParseAccountEntry(largest threshold) = %v", err)
	}
}

func TestAccountEntry_Sign_MovedURL(t *testing.T) {
	e, priv := newEntryWith(t, EventMoved)
	for _, u := range []string{"", "vault.example", "https://", "https://vault.example/", "https://vault.example?x=1",
		"https://vault.example#f", "https://va ult.example", "https://vault.exämple", "https://" + strings.Repeat("a", MaxMovedURL)} {
		x := cloneEntry(e)
		x.URL = u
		if err := x.Sign(priv); !errors.Is(err, ErrMalformed) {
			t.Errorf("AccountEntry{moved %q}.Sign() = %v, want ErrMalformed", u, err)
		}
	}
	for _, u := range []string{"https://vault.example", "http://127.0.0.1:8443", "https://vault.example/clinic"} {
		x := cloneEntry(e)
		x.URL = u
		if err := x.Sign(priv); err != nil {
			t.Errorf("AccountEntry{moved %q}.Sign() = %v, want nil", u, err)
			continue
		}
		got, err := ParseAccountEntry(x.Marshal())
		if err != nil || got.URL != u {
			t.Errorf("ParseAccountEntry(moved %q) = %v, %v; want the URL back", u, got, err)
		}
	}
}
