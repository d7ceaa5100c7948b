package format

import (
	"bytes"
	"fmt"

	"github.com/cloudflare/circl/kem/xwing"
	"golang.org/x/crypto/cryptobyte"
)

// A care team is a group of accounts sharing one X-Wing key per epoch. Its
// key record (an ordinary record owned by the team's admin) carries the
// membership as its ACL and the team's epoch keys as its grants; the team's
// X-Wing key of an epoch is derived from that epoch's key (grant.GroupSeed).
// What a patient needs before sharing with the team (its name, its
// organisation, its public key, its members) the admin publishes as an
// EventTeam entry of its own account chain, in the same request as each ACL
// of the key record (format-v1 §2.10).

// Team bounds.
const (
	MaxTeamName    = 64
	MaxTeamOrg     = 128
	MaxTeamMembers = 400
	// TeamHistory is the policy bit that lets members added later read what
	// was shared with the team before they joined.
	TeamHistory uint8 = 0x01
)

// Team is the public description of a care team at one ACL of its key
// record: it is EventTeam's payload.
type Team struct {
	Epoch   uint32 // the epoch of the key record's ACL, ≥ 1
	Policy  uint8  // TeamHistory or 0
	XWingPK []byte // the team's X-Wing public key at Epoch
	Name    string // 1..64 bytes, the string rule
	Org     string // 0..128 bytes, the string rule
	// Members are the members' account ids, strictly ascending, at most
	// MaxTeamMembers; the admin is not listed unless it is a member too.
	Members [][32]byte
}

func (t *Team) add(b *cryptobyte.Builder) {
	b.AddUint32(t.Epoch)
	b.AddUint8(t.Policy)
	b.AddBytes(t.XWingPK)
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(t.Name)) })
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(t.Org)) })
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, m := range t.Members {
			b.AddBytes(m[:])
		}
	})
}

func readTeam(s *cryptobyte.String) (*Team, bool) {
	t := new(Team)
	var xpk []byte
	var name, org, members cryptobyte.String
	if !s.ReadUint32(&t.Epoch) || !s.ReadUint8(&t.Policy) || !s.ReadBytes(&xpk, XWingPublicKeySize) ||
		!s.ReadUint8LengthPrefixed(&name) || !s.ReadUint8LengthPrefixed(&org) || !s.ReadUint16LengthPrefixed(&members) ||
		len(members)%32 != 0 {
		return nil, false
	}
	t.XWingPK, t.Name, t.Org = clone(xpk), string(name), string(org)
	for len(members) > 0 {
		var m [32]byte
		members.CopyBytes(m[:])
		t.Members = append(t.Members, m)
	}
	return t, true
}

// Validate checks the team's field rules, in the order of format-v1 §2.10.
func (t *Team) Validate() error {
	switch {
	case t.Epoch == 0:
		return malformed(KindAccountEntry, "team epoch 0")
	case t.Policy&^TeamHistory != 0:
		return malformed(KindAccountEntry, fmt.Sprintf("team policy has undefined bits %#02x", t.Policy))
	case len(t.XWingPK) != XWingPublicKeySize:
		return malformed(KindAccountEntry, "team xwing_pk is not 1216 bytes")
	case !validText(t.Name, 1, MaxTeamName):
		return malformed(KindAccountEntry, "team name is not 1..64 bytes of UTF-8 without control characters")
	case !validText(t.Org, 0, MaxTeamOrg):
		return malformed(KindAccountEntry, "team org is not 0..128 bytes of UTF-8 without control characters")
	case len(t.Members) > MaxTeamMembers:
		return malformed(KindAccountEntry, fmt.Sprintf("more than %d team members", MaxTeamMembers))
	}
	for i := 1; i < len(t.Members); i++ {
		if bytes.Compare(t.Members[i-1][:], t.Members[i][:]) >= 0 {
			return malformed(KindAccountEntry, "team members are not strictly ascending")
		}
	}
	if _, err := xwing.Scheme().UnmarshalBinaryPublicKey(t.XWingPK); err != nil {
		return fmt.Errorf("%w: %s: invalid team X-Wing public key: %w", ErrMalformed, KindAccountEntry, err)
	}
	return nil
}

// Has reports whether account is a listed member.
func (t *Team) Has(account [32]byte) bool {
	for _, m := range t.Members {
		if m == account {
			return true
		}
	}
	return false
}
