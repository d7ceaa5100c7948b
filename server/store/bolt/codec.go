package bolt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/blindvault/blindvault/server/store"
)

// Stored values that have structure are length-prefixed binary
// (cryptobyte), led by a tag byte naming the type and its encoding version, so
// that a changed encoding is detected instead of misread. Opaque blobs (body
// pieces, backup blobs, chain entries, secrets) are stored as they are.
const (
	tagAccount  byte = 0x01
	tagCard     byte = 0x02
	tagDevice   byte = 0x03
	tagSession  byte = 0x04
	tagInvite   byte = 0x05
	tagHead     byte = 0x06
	tagVersion  byte = 0x07
	tagStaging  byte = 0x08
	tagACL      byte = 0x09
	tagGrant    byte = 0x0a
	tagLockout  byte = 0x0b
	tagDeletion byte = 0x0c
)

// errCorrupt is returned by every decoder; it means the file holds something
// this code did not write.
var errCorrupt = errors.New("bolt: corrupt value")

func corrupt(what string) error { return fmt.Errorf("%s: %w", what, errCorrupt) }

// enc appends fields; it cannot fail, because callers bound every field
// (maxField) far below the 4 GiB a u32 length prefix can state.
type enc []byte

func (e enc) u8(v uint8) enc      { return append(e, v) }
func (e enc) u32(v uint32) enc    { return binary.BigEndian.AppendUint32(e, v) }
func (e enc) u64(v uint64) enc    { return binary.BigEndian.AppendUint64(e, v) }
func (e enc) fixed(v []byte) enc  { return append(e, v...) }
func (e enc) bytes8(v []byte) enc { return append(e.u8(uint8(len(v))), v...) }
func (e enc) bytes32(v []byte) enc {
	return append(e.u32(uint32(len(v))), v...)
}

// time stores Unix nanoseconds; the zero time is 0.
func (e enc) time(t time.Time) enc {
	if t.IsZero() {
		return e.u64(0)
	}
	return e.u64(uint64(t.UnixNano()))
}

func readTime(s *cryptobyte.String, t *time.Time) bool {
	var n uint64
	if !s.ReadUint64(&n) {
		return false
	}
	if n == 0 {
		*t = time.Time{}
	} else {
		*t = time.Unix(0, int64(n)).UTC()
	}
	return true
}

// readBytes32 copies a u32-prefixed field out of s, so the result outlives the
// transaction. A zero-length field reads as nil.
func readBytes32(s *cryptobyte.String, out *[]byte) bool {
	var n uint32
	var v []byte
	if !s.ReadUint32(&n) || !s.ReadBytes(&v, int(n)) {
		return false
	}
	*out = nil
	if len(v) > 0 {
		*out = append([]byte(nil), v...)
	}
	return true
}

func readFixed(s *cryptobyte.String, out []byte) bool { return s.CopyBytes(out) }

func open(v []byte, tag byte) (cryptobyte.String, bool) {
	s := cryptobyte.String(v)
	var t uint8
	if !s.ReadUint8(&t) || t != tag {
		return nil, false
	}
	return s, true
}

var roleCodes = []store.Role{1: store.RolePatient, 2: store.RoleClinician, 3: store.RoleService, 4: store.RoleAdmin}

func roleCode(r store.Role) uint8 {
	for i, v := range roleCodes {
		if i > 0 && v == r {
			return uint8(i)
		}
	}
	return 0
}

func readRole(s *cryptobyte.String, r *store.Role) bool {
	var c uint8
	if !s.ReadUint8(&c) || c == 0 || int(c) >= len(roleCodes) {
		return false
	}
	*r = roleCodes[c]
	return true
}

var statusCodes = []store.Status{1: store.StatusActive, 2: store.StatusSuspended}

func statusCode(st store.Status) uint8 {
	if st == store.StatusSuspended {
		return 2
	}
	return 1
}

func readStatus(s *cryptobyte.String, st *store.Status) bool {
	var c uint8
	if !s.ReadUint8(&c) || c == 0 || int(c) >= len(statusCodes) {
		return false
	}
	*st = statusCodes[c]
	return true
}

// accountRec is an account without its key card (kept in the cards bucket)
// and chain seq (derived from the chain bucket).
type accountRec struct {
	Handle    string
	Role      store.Role
	Status    store.Status
	CardSeq   uint64
	Created   time.Time
	OPRFSetup []byte
}

func encodeAccount(a accountRec) []byte {
	return enc{tagAccount}.bytes8([]byte(a.Handle)).u8(roleCode(a.Role)).u8(statusCode(a.Status)).
		u64(a.CardSeq).time(a.Created).bytes32(a.OPRFSetup)
}

func decodeAccount(v []byte) (accountRec, error) {
	var a accountRec
	var handle cryptobyte.String
	s, ok := open(v, tagAccount)
	if !ok || !s.ReadUint8LengthPrefixed(&handle) || len(handle) == 0 ||
		!readRole(&s, &a.Role) || !readStatus(&s, &a.Status) ||
		!s.ReadUint64(&a.CardSeq) || !readTime(&s, &a.Created) ||
		!readBytes32(&s, &a.OPRFSetup) || !s.Empty() {
		return accountRec{}, corrupt("account")
	}
	a.Handle = string(handle)
	return a, nil
}

func encodeCard(c store.KeyCard) []byte {
	return enc{tagCard}.time(c.Added).bytes32(c.Signed)
}

// decodeCard leaves Seq to the caller, which has it from the key.
func decodeCard(v []byte) (store.KeyCard, error) {
	var c store.KeyCard
	s, ok := open(v, tagCard)
	if !ok || !readTime(&s, &c.Added) || !readBytes32(&s, &c.Signed) || !s.Empty() {
		return store.KeyCard{}, corrupt("key card")
	}
	return c, nil
}

// encodeDevice writes LastSeen last, and only when set, so that a device
// written before it existed still decodes.
func encodeDevice(d store.Device) []byte {
	e := enc{tagDevice}.time(d.Added).time(d.Revoked).bytes32(d.Cert).bytes32(d.Revocation)
	if d.LastSeen.IsZero() {
		return e
	}
	return e.time(d.LastSeen)
}

// decodeDevice leaves ID to the caller.
func decodeDevice(v []byte) (store.Device, error) {
	var d store.Device
	s, ok := open(v, tagDevice)
	if !ok || !readTime(&s, &d.Added) || !readTime(&s, &d.Revoked) ||
		!readBytes32(&s, &d.Cert) || !readBytes32(&s, &d.Revocation) {
		return store.Device{}, corrupt("device")
	}
	if !s.Empty() && (!readTime(&s, &d.LastSeen) || d.LastSeen.IsZero() || !s.Empty()) {
		return store.Device{}, corrupt("device")
	}
	return d, nil
}

func encodeSession(x store.Session) []byte {
	return enc{tagSession}.fixed(x.Account[:]).fixed(x.Device[:]).time(x.Created).
		time(x.IdleExpiry).time(x.AbsoluteExpiry)
}

// decodeSession leaves TokenHash to the caller.
func decodeSession(v []byte) (store.Session, error) {
	var x store.Session
	s, ok := open(v, tagSession)
	if !ok || !readFixed(&s, x.Account[:]) || !readFixed(&s, x.Device[:]) ||
		!readTime(&s, &x.Created) || !readTime(&s, &x.IdleExpiry) ||
		!readTime(&s, &x.AbsoluteExpiry) || !s.Empty() {
		return store.Session{}, corrupt("session")
	}
	return x, nil
}

func encodeInvite(inv store.Invite) []byte {
	return enc{tagInvite}.u8(roleCode(inv.Role)).time(inv.Created).time(inv.Expires)
}

// decodeInvite leaves CodeHash to the caller.
func decodeInvite(v []byte) (store.Invite, error) {
	var inv store.Invite
	s, ok := open(v, tagInvite)
	if !ok || !readRole(&s, &inv.Role) || !readTime(&s, &inv.Created) ||
		!readTime(&s, &inv.Expires) || !s.Empty() {
		return store.Invite{}, corrupt("invite")
	}
	return inv, nil
}

func encodeHead(h store.Head) []byte {
	return enc{tagHead}.fixed(h.Owner[:]).u64(h.Version).fixed(h.HeaderHash[:]).u64(h.ACLSeq).
		time(h.Created).time(h.Updated).time(h.Deleted)
}

// decodeHead leaves Record to the caller.
func decodeHead(v []byte) (store.Head, error) {
	var h store.Head
	s, ok := open(v, tagHead)
	if !ok || !readFixed(&s, h.Owner[:]) || !s.ReadUint64(&h.Version) ||
		!readFixed(&s, h.HeaderHash[:]) || !s.ReadUint64(&h.ACLSeq) ||
		!readTime(&s, &h.Created) || !readTime(&s, &h.Updated) ||
		!readTime(&s, &h.Deleted) || !s.Empty() {
		return store.Head{}, corrupt("head")
	}
	return h, nil
}

// bodyID names a body's pieces; it is random, so an upload can be staged
// before it knows its record version.
type bodyID [16]byte

// versionRec is a stored version: the header, the leaf list and where its
// body is. Leaves stay unexposed until asked for.
type versionRec struct {
	HeaderHash store.Hash
	PrevHash   store.Hash
	Author     store.AccountID
	Created    time.Time
	Body       bodyID
	BodySize   int64
	PieceSize  uint32
	Header     []byte
	Leaves     []byte
}

func encodeVersion(r versionRec) []byte {
	return enc{tagVersion}.fixed(r.HeaderHash[:]).fixed(r.PrevHash[:]).fixed(r.Author[:]).
		time(r.Created).fixed(r.Body[:]).u64(uint64(r.BodySize)).u32(r.PieceSize).
		bytes32(r.Header).bytes32(r.Leaves)
}

func decodeVersion(v []byte) (versionRec, error) {
	var r versionRec
	var size uint64
	s, ok := open(v, tagVersion)
	if !ok || !readFixed(&s, r.HeaderHash[:]) || !readFixed(&s, r.PrevHash[:]) ||
		!readFixed(&s, r.Author[:]) || !readTime(&s, &r.Created) ||
		!readFixed(&s, r.Body[:]) || !s.ReadUint64(&size) || size > maxInt63 ||
		!s.ReadUint32(&r.PieceSize) || r.PieceSize == 0 ||
		!readBytes32(&s, &r.Header) || !readBytes32(&s, &r.Leaves) || !s.Empty() {
		return versionRec{}, corrupt("version")
	}
	r.BodySize = int64(size)
	return r, nil
}

const maxInt63 = 1<<63 - 1

// stagingRec marks a body whose pieces are being written and not yet linked
// to a version.
type stagingRec struct {
	Expires time.Time
}

func encodeStaging(r stagingRec) []byte {
	return enc{tagStaging}.time(r.Expires)
}

func decodeStaging(v []byte) (stagingRec, error) {
	var r stagingRec
	s, ok := open(v, tagStaging)
	if !ok || !readTime(&s, &r.Expires) || !s.Empty() {
		return stagingRec{}, corrupt("staging")
	}
	return r, nil
}

func encodeACL(a store.ACL) []byte {
	return enc{tagACL}.fixed(a.Hash[:]).time(a.Created).bytes32(a.Signed)
}

// decodeACL leaves Seq to the caller.
func decodeACL(v []byte) (store.ACL, error) {
	var a store.ACL
	s, ok := open(v, tagACL)
	if !ok || !readFixed(&s, a.Hash[:]) || !readTime(&s, &a.Created) ||
		!readBytes32(&s, &a.Signed) || !s.Empty() {
		return store.ACL{}, corrupt("acl")
	}
	return a, nil
}

func encodeGrant(g store.Grant) []byte {
	return enc{tagGrant}.fixed(g.Account[:]).time(g.Created).time(g.Revoked).bytes32(g.Signed)
}

// decodeGrant leaves Epoch and Recipient to the caller.
func decodeGrant(v []byte) (store.Grant, error) {
	var g store.Grant
	s, ok := open(v, tagGrant)
	if !ok || !readFixed(&s, g.Account[:]) || !readTime(&s, &g.Created) ||
		!readTime(&s, &g.Revoked) || !readBytes32(&s, &g.Signed) || !s.Empty() {
		return store.Grant{}, corrupt("grant")
	}
	return g, nil
}

func encodeLockout(l store.Lockout) []byte {
	return enc{tagLockout}.u32(l.Failures).time(l.Until)
}

func decodeLockout(v []byte) (store.Lockout, error) {
	var l store.Lockout
	s, ok := open(v, tagLockout)
	if !ok || !s.ReadUint32(&l.Failures) || !readTime(&s, &l.Until) || !s.Empty() {
		return store.Lockout{}, corrupt("lockout")
	}
	return l, nil
}
