package format

import (
	"fmt"

	"github.com/cloudflare/circl/group"
	"github.com/cloudflare/circl/kem/xwing"
	"golang.org/x/crypto/cryptobyte"
)

// A threshold key is an X-Wing key whose seed no single party holds: its
// secret scalar is split k-of-n (Shamir over ristretto255) among holders, each
// share HPKE-sealed to a holder's X-Wing key. Its owner publishes the set-up
// (EventThreshold) in its chain; a requester asks for it (EventRequest) in its
// own chain; a holder approves by re-sealing its share to the requester
// (EventApproval) in its chain; the owner may refuse (EventRefusal). Records
// shared with the key are read by whoever recovers it (threshold-v1.md).

// Threshold purposes.
const (
	// PurposeEmergency: guardians release access to a requester (a
	// clinician) after a delay the owner may use to refuse.
	PurposeEmergency uint8 = 1
	// PurposeThreshold: k of the holders open together (2-of-2: a customer
	// and a platform); no delay.
	PurposeThreshold uint8 = 2
)

// Threshold bounds and sizes.
const (
	MaxHolders = 10
	// MaxThresholdDelay is 30 days, in seconds.
	MaxThresholdDelay = 30 * 24 * 3600
	// ScalarSize is the canonical encoding of a ristretto255 scalar or
	// element.
	ScalarSize = 32
	// ShareCTSize is an AES-256-GCM seal of one scalar.
	ShareCTSize = ScalarSize + 16
)

// Holder is one share of a threshold key, sealed to its holder: an account,
// or a care team (Team set), whose members approve on its behalf.
type Holder struct {
	// Account is the holder's account id; for a team, the id of the team's
	// key record (format-v1 §2.10).
	Account [32]byte
	Key     [32]byte // KeyID of the holder's X-Wing public key sealed to
	Index   uint8    // the share's index, 1..n
	Enc     []byte   // GrantEncSize bytes
	CT      []byte   // ShareCTSize bytes
	// Team is set when the holder is a care team: the share is sealed to
	// the team's X-Wing key of an epoch (threshold-v1 §3.1).
	Team *TeamHolder
}

// TeamHolder names the care team that holds a share: its admin, whose
// chain describes the team and its members, and the epoch of the team key
// the share is sealed to.
type TeamHolder struct {
	Admin [32]byte
	Epoch uint32
}

// teamHolderSize is one entry of a set-up's team list: u8 index ‖ [32]
// admin ‖ u32 epoch.
const teamHolderSize = 1 + 32 + 4

// Threshold is EventThreshold's payload: a threshold key's set-up.
type Threshold struct {
	Purpose uint8
	K, N    uint8
	Delay   uint32 // seconds; 0 for PurposeThreshold
	XWingPK []byte // the threshold key
	// Commitments are the Feldman commitments to the sharing polynomial's
	// k coefficients (ristretto255 elements, ScalarSize bytes each): a
	// share can be checked on its own before recovery.
	Commitments [][]byte
	Holders     []Holder // n, Index i at position i − 1
}

func (t *Threshold) add(b *cryptobyte.Builder) {
	b.AddUint8(t.Purpose)
	b.AddUint8(t.K)
	b.AddUint8(t.N)
	b.AddUint32(t.Delay)
	b.AddBytes(t.XWingPK)
	for _, c := range t.Commitments {
		b.AddBytes(c)
	}
	for _, h := range t.Holders {
		b.AddBytes(h.Account[:])
		b.AddBytes(h.Key[:])
		b.AddUint8(h.Index)
		b.AddBytes(h.Enc)
		b.AddBytes(h.CT)
	}
	// The team list follows only when there is a team, so that a set-up
	// of accounts alone keeps its first encoding.
	var teams []Holder
	for _, h := range t.Holders {
		if h.Team != nil {
			teams = append(teams, h)
		}
	}
	if len(teams) == 0 {
		return
	}
	b.AddUint8(uint8(len(teams)))
	for _, h := range teams {
		b.AddUint8(h.Index)
		b.AddBytes(h.Team.Admin[:])
		b.AddUint32(h.Team.Epoch)
	}
}

func readThreshold(s *cryptobyte.String) (*Threshold, bool) {
	t := new(Threshold)
	var xpk []byte
	if !s.ReadUint8(&t.Purpose) || !s.ReadUint8(&t.K) || !s.ReadUint8(&t.N) || !s.ReadUint32(&t.Delay) ||
		!s.ReadBytes(&xpk, XWingPublicKeySize) {
		return nil, false
	}
	// k and n are bounded before they size anything.
	if t.K == 0 || t.N > MaxHolders || t.K > t.N {
		return nil, false
	}
	t.XWingPK = clone(xpk)
	for range t.K {
		var c []byte
		if !s.ReadBytes(&c, ScalarSize) {
			return nil, false
		}
		t.Commitments = append(t.Commitments, clone(c))
	}
	for range t.N {
		var h Holder
		var enc, ct []byte
		if !s.CopyBytes(h.Account[:]) || !s.CopyBytes(h.Key[:]) || !s.ReadUint8(&h.Index) ||
			!s.ReadBytes(&enc, GrantEncSize) || !s.ReadBytes(&ct, ShareCTSize) {
			return nil, false
		}
		h.Enc, h.CT = clone(enc), clone(ct)
		t.Holders = append(t.Holders, h)
	}
	if s.Empty() {
		return t, true
	}
	// The team list: 1 to n teams, by increasing index, each naming a
	// holder of the set-up once. Any other first byte is left to the
	// envelope, as trailing data.
	if nt := (*s)[0]; nt == 0 || nt > t.N {
		return t, true
	}
	var nt uint8
	s.ReadUint8(&nt)
	last := uint8(0)
	for range nt {
		var th TeamHolder
		var idx uint8
		if !s.ReadUint8(&idx) || !s.CopyBytes(th.Admin[:]) || !s.ReadUint32(&th.Epoch) ||
			idx <= last || idx > t.N {
			return nil, false
		}
		last = idx
		t.Holders[idx-1].Team = &th
	}
	return t, true
}

// Validate checks the set-up's field rules, in the order of threshold-v1 §3.
func (t *Threshold) Validate() error {
	switch {
	case t.Purpose != PurposeEmergency && t.Purpose != PurposeThreshold:
		return malformed(KindAccountEntry, fmt.Sprintf("threshold purpose %d is not defined", t.Purpose))
	case t.K < 1 || t.N > MaxHolders || t.K > t.N:
		return malformed(KindAccountEntry, fmt.Sprintf("threshold %d of %d is not 1 ≤ k ≤ n ≤ %d", t.K, t.N, MaxHolders))
	case t.Delay > MaxThresholdDelay:
		return malformed(KindAccountEntry, "threshold delay is over 30 days")
	case t.Purpose == PurposeThreshold && t.Delay != 0:
		return malformed(KindAccountEntry, "a threshold key of purpose 2 has no delay")
	case len(t.XWingPK) != XWingPublicKeySize:
		return malformed(KindAccountEntry, "threshold xwing_pk is not 1216 bytes")
	case len(t.Commitments) != int(t.K):
		return malformed(KindAccountEntry, "threshold commitments are not k")
	case len(t.Holders) != int(t.N):
		return malformed(KindAccountEntry, "threshold holders are not n")
	}
	for _, c := range t.Commitments {
		if len(c) != ScalarSize || group.Ristretto255.NewElement().UnmarshalBinary(c) != nil {
			return malformed(KindAccountEntry, "threshold commitment is not a ristretto255 element")
		}
	}
	seen := map[[32]byte]bool{}
	for i, h := range t.Holders {
		switch {
		case int(h.Index) != i+1:
			return malformed(KindAccountEntry, fmt.Sprintf("threshold holder %d has index %d", i+1, h.Index))
		case seen[h.Account]:
			return malformed(KindAccountEntry, "threshold holder listed twice")
		case len(h.Enc) != GrantEncSize || len(h.CT) != ShareCTSize:
			return malformed(KindAccountEntry, "threshold share is not 1120 + 48 bytes")
		case h.Team != nil && h.Team.Epoch == 0:
			return malformed(KindAccountEntry, fmt.Sprintf("threshold team holder %d names epoch 0", i+1))
		}
		seen[h.Account] = true
	}
	if _, err := xwing.Scheme().UnmarshalBinaryPublicKey(t.XWingPK); err != nil {
		return fmt.Errorf("%w: %s: invalid threshold X-Wing public key: %w", ErrMalformed, KindAccountEntry, err)
	}
	return nil
}

// Holder returns the holder entry of account, or nil.
func (t *Threshold) Holder(account [32]byte) *Holder {
	for i := range t.Holders {
		if t.Holders[i].Account == account {
			return &t.Holders[i]
		}
	}
	return nil
}

// SealedShare is EventApproval's payload: a holder's share re-sealed to the
// requester.
type SealedShare struct {
	Index uint8
	Enc   []byte // GrantEncSize bytes
	CT    []byte // ShareCTSize bytes
}

func (s *SealedShare) add(b *cryptobyte.Builder) {
	b.AddUint8(s.Index)
	b.AddBytes(s.Enc)
	b.AddBytes(s.CT)
}

func readSealedShare(s *cryptobyte.String) (*SealedShare, bool) {
	sh := new(SealedShare)
	var enc, ct []byte
	if !s.ReadUint8(&sh.Index) || !s.ReadBytes(&enc, GrantEncSize) || !s.ReadBytes(&ct, ShareCTSize) {
		return nil, false
	}
	sh.Enc, sh.CT = clone(enc), clone(ct)
	return sh, true
}

func (s *SealedShare) validate() error {
	switch {
	case s.Index < 1 || s.Index > MaxHolders:
		return malformed(KindAccountEntry, fmt.Sprintf("approval share index %d", s.Index))
	case len(s.Enc) != GrantEncSize || len(s.CT) != ShareCTSize:
		return malformed(KindAccountEntry, "approval share is not 1120 + 48 bytes")
	}
	return nil
}
