package format

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"math"
	"strings"

	"golang.org/x/crypto/cryptobyte"
)

// Rights is the set of rights an ACL entry gives a reader.
type Rights uint8

const (
	RightRead  Rights = 0x01
	RightWrite Rights = 0x02
	RightShare Rights = 0x04

	// RightsAll is what the owner's own entry holds.
	RightsAll = RightRead | RightWrite | RightShare
)

// Has reports whether r includes every right in want.
func (r Rights) Has(want Rights) bool {
	return r&want == want
}

func (r Rights) String() string {
	var names []string
	for _, x := range []struct {
		bit  Rights
		name string
	}{{RightRead, "read"}, {RightWrite, "write"}, {RightShare, "share"}} {
		if r&x.bit != 0 {
			names = append(names, x.name)
		}
	}
	if rest := r &^ RightsAll; rest != 0 {
		names = append(names, fmt.Sprintf("%#02x", uint8(rest)))
	}
	return strings.Join(names, ",")
}

// MaxACLEntries is the most entries an ACL holds.
const MaxACLEntries = 1024

// aclEntrySize is [32] reader ‖ u8 rights.
const aclEntrySize = 33

// ACLEntry gives Reader, the KeyID of an X-Wing public key, its rights.
type ACLEntry struct {
	Reader [32]byte
	Rights Rights // includes RightRead, no unknown bits
}

// ACL is the access-control list of a record, signed by the owner's identity key
// (§2.5). Entries are sorted by Reader, strictly ascending.
type ACL struct {
	RecordID  [32]byte
	Owner     [32]byte // the owner's account_id
	Seq       uint64   // ≥ 1
	PrevHash  [32]byte // zero iff Seq = 1
	Epoch     uint32   // ≥ 1
	Entries   []ACLEntry
	Signature []byte
}

// Body returns the ACL's body, or nil if there are too many entries to encode.
func (a *ACL) Body() []byte {
	b := newBody(KindACL)
	b.AddBytes(a.RecordID[:])
	b.AddBytes(a.Owner[:])
	b.AddUint64(a.Seq)
	b.AddBytes(a.PrevHash[:])
	b.AddUint32(a.Epoch)
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, e := range a.Entries {
			b.AddBytes(e.Reader[:])
			b.AddUint8(uint8(e.Rights))
		}
	})
	return finish(b)
}

// Marshal returns the signed form, or nil if the ACL cannot be encoded.
func (a *ACL) Marshal() []byte {
	return SignedForm(a.Body(), a.Signature, false, nil)
}

// Hash returns hash(ACL), which headers sign as acl_hash.
func (a *ACL) Hash() [32]byte {
	return hashBody(KindACL, a.Body())
}

func (a *ACL) validate() error {
	if err := checkChain(KindACL, a.Seq, a.PrevHash); err != nil {
		return err
	}
	if a.Epoch == 0 {
		return malformed(KindACL, "epoch 0")
	}
	// The owner's own key is always an entry with every right, so an ACL without
	// such an entry cannot be valid.
	if len(a.Entries) == 0 {
		return malformed(KindACL, "no entries")
	}
	if len(a.Entries) > MaxACLEntries {
		return malformed(KindACL, fmt.Sprintf("%d entries, limit %d", len(a.Entries), MaxACLEntries))
	}
	owner := false
	for i, e := range a.Entries {
		if i > 0 && bytes.Compare(a.Entries[i-1].Reader[:], e.Reader[:]) >= 0 {
			return malformed(KindACL, "entries not strictly ascending")
		}
		if !e.Rights.Has(RightRead) {
			return malformed(KindACL, "entry without read")
		}
		if e.Rights&^RightsAll != 0 {
			return malformed(KindACL, "entry with unknown rights bits")
		}
		owner = owner || e.Rights == RightsAll
	}
	if !owner {
		return malformed(KindACL, "no entry with every right (the owner's)")
	}
	return nil
}

// Sign fills in the signature with the owner's identity private key.
func (a *ACL) Sign(priv ed25519.PrivateKey) error {
	if err := a.validate(); err != nil {
		return err
	}
	sig, err := signBody(priv, KindACL, a.Body())
	if err != nil {
		return err
	}
	a.Signature = sig
	return nil
}

// Verify checks the signature under the owner's identity key pub.
func (a *ACL) Verify(pub [32]byte) error {
	return verifyBody(pub, KindACL, a.Body(), a.Signature)
}

// Lookup returns the rights of reader, a KeyID, and whether it is listed.
func (a *ACL) Lookup(reader [32]byte) (Rights, bool) {
	for _, e := range a.Entries {
		if e.Reader == reader {
			return e.Rights, true
		}
	}
	return 0, false
}

// VerifySuccessor checks that a directly follows prev: same record and owner, seq
// one more, PrevHash = prev.Hash(), and an epoch that is prev's or one more. The
// epoch must move on if any reader of prev is missing from a, since the removed
// reader holds the old epoch key. Signatures are not checked.
func (a *ACL) VerifySuccessor(prev *ACL) error {
	switch {
	case prev == nil:
		return fmt.Errorf("%w: %s: no previous ACL", ErrBadChain, KindACL)
	case a.RecordID != prev.RecordID || a.Owner != prev.Owner:
		return fmt.Errorf("%w: %s: record or owner changed", ErrBadChain, KindACL)
	case prev.Seq == math.MaxUint64 || a.Seq != prev.Seq+1:
		return fmt.Errorf("%w: %s: seq %d after %d", ErrBadChain, KindACL, a.Seq, prev.Seq)
	case a.PrevHash != prev.Hash():
		return fmt.Errorf("%w: %s: previous ACL hash mismatch", ErrBadChain, KindACL)
	}
	switch uint64(a.Epoch) {
	case uint64(prev.Epoch) + 1:
		return nil
	case uint64(prev.Epoch):
		for _, e := range prev.Entries {
			if _, ok := a.Lookup(e.Reader); !ok {
				return fmt.Errorf("%w: %s: reader removed without a new epoch", ErrBadChain, KindACL)
			}
		}
		return nil
	}
	return fmt.Errorf("%w: %s: epoch %d after %d", ErrBadChain, KindACL, a.Epoch, prev.Epoch)
}

// ParseACL parses the signed form of an ACL. It does not verify the signature.
func ParseACL(b []byte) (*ACL, error) {
	env, err := parseEnvelope(b, KindACL, false)
	if err != nil {
		return nil, err
	}
	a := new(ACL)
	var entries cryptobyte.String
	s := &env.fields
	if !s.CopyBytes(a.RecordID[:]) ||
		!s.CopyBytes(a.Owner[:]) ||
		!s.ReadUint64(&a.Seq) ||
		!s.CopyBytes(a.PrevHash[:]) ||
		!s.ReadUint32(&a.Epoch) ||
		!s.ReadUint16LengthPrefixed(&entries) {
		return nil, malformed(KindACL, "truncated fields")
	}
	if err := env.done(KindACL); err != nil {
		return nil, err
	}
	if len(entries)%aclEntrySize != 0 {
		return nil, malformed(KindACL, "partial entry")
	}
	if n := len(entries) / aclEntrySize; n > MaxACLEntries {
		return nil, malformed(KindACL, fmt.Sprintf("%d entries, limit %d", n, MaxACLEntries))
	}
	a.Entries = make([]ACLEntry, len(entries)/aclEntrySize)
	for i := range a.Entries {
		var rights uint8
		entries.CopyBytes(a.Entries[i].Reader[:])
		entries.ReadUint8(&rights)
		a.Entries[i].Rights = Rights(rights)
	}
	a.Signature = env.sig
	if err := a.validate(); err != nil {
		return nil, err
	}
	return a, nil
}
