package format

import (
	"crypto/ed25519"
	"fmt"
	"math"
	"strings"

	"golang.org/x/crypto/cryptobyte"
)

// Event is the type of an account-chain entry's event (§2.9).
type Event uint8

const (
	// EventVersion: the account wrote version Number of Record (owned by Owner),
	// whose header hashes to Object.
	EventVersion Event = 1
	// EventACL: the account, owner of Record, made ACL seq Number, hashing to Object.
	EventACL Event = 2
	// EventTombstone: the account deleted Record after version Number.
	EventTombstone Event = 3
	// EventProfile: like EventVersion, for the record that holds the account's
	// encrypted client profile.
	EventProfile Event = 4
	// EventAttestation: the account, an organisation admin, published
	// Attestation, signed with its identity key.
	EventAttestation Event = 5
	// EventTeam: the account, admin of the care team whose key record is
	// Record, made ACL seq Number (hashing to Object) of that record, and
	// describes the team from that ACL on (Team; team.go).
	EventTeam Event = 6
	// EventThreshold: the account set up the threshold key Threshold,
	// whose key record is Record (threshold-v1 §3).
	EventThreshold Event = 7
	// EventRequest: the account asks for the threshold key Record of Owner,
	// for its X-Wing key Key; Object is a random request id.
	EventRequest Event = 8
	// EventRefusal: the account, owner of the threshold key Record, refuses
	// the request whose entry hashes to Object.
	EventRefusal Event = 9
	// EventApproval: the account, a holder of the threshold key Record of
	// Owner, approves the request whose entry hashes to Object with Share.
	EventApproval Event = 10
	// EventMoved: the account moved its records to the Blindvault server at
	// URL (client-v1 §9). It is the last word of the chain on the server
	// the account left: a pointer its owner signed, which that server logs
	// and cannot forge.
	EventMoved Event = 11
)

// MaxMovedURL bounds the URL of an EventMoved entry.
const MaxMovedURL = 2048

func (e Event) String() string {
	switch e {
	case EventVersion:
		return "version"
	case EventACL:
		return "acl"
	case EventTombstone:
		return "tombstone"
	case EventProfile:
		return "profile"
	case EventAttestation:
		return "attestation"
	case EventTeam:
		return "team"
	case EventThreshold:
		return "threshold"
	case EventRequest:
		return "request"
	case EventRefusal:
		return "refusal"
	case EventApproval:
		return "approval"
	case EventMoved:
		return "moved"
	}
	return fmt.Sprintf("event %d", uint8(e))
}

// MaxAccountEntrySize bounds an entry's signed form; the server stores at most
// this much per entry. The largest entries are a team's with MaxTeamMembers
// (12.9 KB) and a threshold set-up with MaxHolders (13.9 KB).
const MaxAccountEntrySize = 16384

// AccountEntry is one entry of an account chain: a hash-chained, owner-signed
// statement of what the account did (§2.9). Which fields an entry carries
// depends on its Event; the others are zero.
type AccountEntry struct {
	Account  [32]byte
	Seq      uint64   // ≥ 1
	PrevHash [32]byte // zero iff Seq = 1, else the hash of entry Seq − 1
	Created  uint64   // Unix seconds
	SignerPK [32]byte // an identity key of the account
	Event    Event

	Record      [32]byte     // EventVersion, EventACL, EventTombstone, EventProfile, EventTeam
	Owner       [32]byte     // EventVersion, EventProfile: the record's owner
	Number      uint64       // a version (EventVersion, EventProfile, EventTombstone) or an ACL seq
	Object      [32]byte     // a header hash (EventVersion, EventProfile) or an ACL hash
	Attestation []byte       // EventAttestation: a signed role attestation
	Team        *Team        // EventTeam
	Key         [32]byte     // EventRequest: the requester's X-Wing KeyID
	Threshold   *Threshold   // EventThreshold
	Share       *SealedShare // EventApproval
	URL         string       // EventMoved: the new server's base URL

	Signature []byte
}

// Body returns the entry's body, or nil if it cannot be encoded.
func (e *AccountEntry) Body() []byte {
	b := newBody(KindAccountEntry)
	b.AddBytes(e.Account[:])
	b.AddUint64(e.Seq)
	b.AddBytes(e.PrevHash[:])
	b.AddUint64(e.Created)
	b.AddBytes(e.SignerPK[:])
	b.AddUint8(uint8(e.Event))
	switch e.Event {
	case EventVersion, EventProfile:
		b.AddBytes(e.Record[:])
		b.AddBytes(e.Owner[:])
		b.AddUint64(e.Number)
		b.AddBytes(e.Object[:])
	case EventACL:
		b.AddBytes(e.Record[:])
		b.AddUint64(e.Number)
		b.AddBytes(e.Object[:])
	case EventTeam:
		if e.Team == nil {
			return nil
		}
		b.AddBytes(e.Record[:])
		b.AddUint64(e.Number)
		b.AddBytes(e.Object[:])
		e.Team.add(b)
	case EventTombstone:
		b.AddBytes(e.Record[:])
		b.AddUint64(e.Number)
	case EventAttestation:
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(e.Attestation) })
	case EventThreshold:
		if e.Threshold == nil {
			return nil
		}
		b.AddBytes(e.Record[:])
		e.Threshold.add(b)
	case EventRequest:
		b.AddBytes(e.Record[:])
		b.AddBytes(e.Owner[:])
		b.AddBytes(e.Object[:])
		b.AddBytes(e.Key[:])
	case EventRefusal:
		b.AddBytes(e.Record[:])
		b.AddBytes(e.Object[:])
	case EventApproval:
		if e.Share == nil {
			return nil
		}
		b.AddBytes(e.Record[:])
		b.AddBytes(e.Owner[:])
		b.AddBytes(e.Object[:])
		e.Share.add(b)
	case EventMoved:
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(e.URL)) })
	default:
		return nil
	}
	return finish(b)
}

// Marshal returns the signed form, or nil if the entry cannot be encoded.
func (e *AccountEntry) Marshal() []byte {
	return SignedForm(e.Body(), e.Signature, false, nil)
}

// Hash returns hash(entry), which the next entry names as PrevHash.
func (e *AccountEntry) Hash() [32]byte {
	return hashBody(KindAccountEntry, e.Body())
}

func (e *AccountEntry) validate() error {
	if err := checkKey(KindAccountEntry, "signer_pk", e.SignerPK); err != nil {
		return err
	}
	if err := checkChain(KindAccountEntry, e.Seq, e.PrevHash); err != nil {
		return err
	}
	switch e.Event {
	case EventVersion, EventProfile, EventTombstone:
		if e.Number == 0 {
			return malformed(KindAccountEntry, "version 0")
		}
	case EventACL:
		if e.Number == 0 {
			return malformed(KindAccountEntry, "ACL seq 0")
		}
	case EventTeam:
		if e.Number == 0 {
			return malformed(KindAccountEntry, "ACL seq 0")
		}
		if e.Team == nil {
			return malformed(KindAccountEntry, "team event without a team")
		}
		return e.Team.Validate()
	case EventAttestation:
		// Only ErrMalformed is wrapped: the attestation's own ErrUnknownKind or
		// ErrTooLarge would misdescribe an entry whose kind and size are fine.
		if _, err := ParseRoleAttestation(e.Attestation); err != nil {
			return malformed(KindAccountEntry, "attestation does not parse: "+err.Error())
		}
	case EventThreshold:
		if e.Threshold == nil {
			return malformed(KindAccountEntry, "threshold event without a set-up")
		}
		return e.Threshold.Validate()
	case EventRequest:
		if e.Owner == e.Account {
			return malformed(KindAccountEntry, "a request for the requester's own key")
		}
	case EventRefusal:
	case EventApproval:
		if e.Share == nil {
			return malformed(KindAccountEntry, "approval event without a share")
		}
		return e.Share.validate()
	case EventMoved:
		return checkMovedURL(e.URL)
	default:
		return malformed(KindAccountEntry, e.Event.String()+" is not defined")
	}
	return nil
}

// Sign fills in the signature; priv must be the private half of SignerPK.
func (e *AccountEntry) Sign(priv ed25519.PrivateKey) error {
	if err := checkSigner(priv, e.SignerPK, KindAccountEntry); err != nil {
		return err
	}
	if err := e.validate(); err != nil {
		return err
	}
	sig, err := signBody(priv, KindAccountEntry, e.Body())
	if err != nil {
		return err
	}
	e.Signature = sig
	return nil
}

// Verify checks the signature under SignerPK. The caller checks that SignerPK is
// an identity key of Account.
func (e *AccountEntry) Verify() error {
	return verifyBody(e.SignerPK, KindAccountEntry, e.Body(), e.Signature)
}

// VerifySuccessor checks that e directly follows prev in the same chain: same
// account, seq one more, PrevHash = prev.Hash(). Signatures are not checked.
func (e *AccountEntry) VerifySuccessor(prev *AccountEntry) error {
	switch {
	case prev == nil:
		return fmt.Errorf("%w: %s: no previous entry", ErrBadChain, KindAccountEntry)
	case e.Account != prev.Account:
		return fmt.Errorf("%w: %s: account changed", ErrBadChain, KindAccountEntry)
	// Without the MaxUint64 case, seq 0 would "follow" seq 2^64 − 1.
	case prev.Seq == math.MaxUint64 || e.Seq != prev.Seq+1:
		return fmt.Errorf("%w: %s: seq %d after %d", ErrBadChain, KindAccountEntry, e.Seq, prev.Seq)
	case e.PrevHash != prev.Hash():
		return fmt.Errorf("%w: %s: previous entry hash mismatch", ErrBadChain, KindAccountEntry)
	}
	return nil
}

// ParseAccountEntry parses the signed form of an account-chain entry. It does
// not verify the signature.
func ParseAccountEntry(b []byte) (*AccountEntry, error) {
	env, err := parseEnvelope(b, KindAccountEntry, false)
	if err != nil {
		return nil, err
	}
	e := new(AccountEntry)
	s := &env.fields
	var event uint8
	if !s.CopyBytes(e.Account[:]) || !s.ReadUint64(&e.Seq) || !s.CopyBytes(e.PrevHash[:]) ||
		!s.ReadUint64(&e.Created) || !s.CopyBytes(e.SignerPK[:]) || !s.ReadUint8(&event) {
		return nil, malformed(KindAccountEntry, "truncated fields")
	}
	e.Event = Event(event)
	ok := true
	switch e.Event {
	case EventVersion, EventProfile:
		ok = s.CopyBytes(e.Record[:]) && s.CopyBytes(e.Owner[:]) && s.ReadUint64(&e.Number) && s.CopyBytes(e.Object[:])
	case EventACL:
		ok = s.CopyBytes(e.Record[:]) && s.ReadUint64(&e.Number) && s.CopyBytes(e.Object[:])
	case EventTeam:
		ok = s.CopyBytes(e.Record[:]) && s.ReadUint64(&e.Number) && s.CopyBytes(e.Object[:])
		if ok {
			e.Team, ok = readTeam(s)
		}
	case EventTombstone:
		ok = s.CopyBytes(e.Record[:]) && s.ReadUint64(&e.Number)
	case EventAttestation:
		var att cryptobyte.String
		ok = s.ReadUint16LengthPrefixed(&att)
		e.Attestation = clone(att)
	case EventThreshold:
		ok = s.CopyBytes(e.Record[:])
		if ok {
			e.Threshold, ok = readThreshold(s)
		}
	case EventRequest:
		ok = s.CopyBytes(e.Record[:]) && s.CopyBytes(e.Owner[:]) && s.CopyBytes(e.Object[:]) && s.CopyBytes(e.Key[:])
	case EventRefusal:
		ok = s.CopyBytes(e.Record[:]) && s.CopyBytes(e.Object[:])
	case EventApproval:
		ok = s.CopyBytes(e.Record[:]) && s.CopyBytes(e.Owner[:]) && s.CopyBytes(e.Object[:])
		if ok {
			e.Share, ok = readSealedShare(s)
		}
	case EventMoved:
		var u cryptobyte.String
		ok = s.ReadUint16LengthPrefixed(&u)
		e.URL = string(u)
	default:
		return nil, fmt.Errorf("%w: %s", ErrUnknownEvent, e.Event)
	}
	if !ok {
		return nil, malformed(KindAccountEntry, "truncated "+e.Event.String()+" event")
	}
	if err := env.done(KindAccountEntry); err != nil {
		return nil, err
	}
	e.Signature = env.sig
	if err := e.validate(); err != nil {
		return nil, err
	}
	return e, nil
}

// checkMovedURL checks the URL of an EventMoved entry: an absolute http or
// https URL of at most MaxMovedURL bytes, printable ASCII, no query or
// fragment, no trailing slash (the form a client's configuration holds).
func checkMovedURL(u string) error {
	if len(u) == 0 || len(u) > MaxMovedURL {
		return malformed(KindAccountEntry, fmt.Sprintf("moved URL of %d bytes", len(u)))
	}
	for i := 0; i < len(u); i++ {
		if u[i] <= 0x20 || u[i] >= 0x7f || u[i] == '?' || u[i] == '#' {
			return malformed(KindAccountEntry, "moved URL with a space, control, non-ASCII, query or fragment character")
		}
	}
	if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") || strings.HasSuffix(u, "/") ||
		len(strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")) == 0 {
		return malformed(KindAccountEntry, "moved URL is not an http(s) base URL without a trailing slash")
	}
	return nil
}
