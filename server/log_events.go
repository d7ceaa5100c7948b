package server

import (
	"github.com/blindvault/blindvault/internal/auditlog"
	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/server/store"
)

// The log entries of each kind of write (docs/spec/log-v1.md §3). Every
// signed object a write carries is logged with its hash and signature, so
// the log cannot show an action its actor did not sign. The objects were
// verified before the write; parsing them again cannot fail, and an object
// that somehow does not parse is logged without its signature rather than
// dropping the entry.

// signed is any verified object that has a hash and a signature.
type signed interface {
	Hash() [32]byte
}

func (s *Server) signedEntry(t auditlog.Type, subject [32]byte, obj signed, sig []byte, number uint64) *auditlog.Entry {
	e := s.entry(t, subject)
	e.Object, e.Sig, e.Number = obj.Hash(), sig, number
	return e
}

// cardEntry logs a published key card.
func (s *Server) cardEntry(c *format.KeyCard) *auditlog.Entry {
	return s.signedEntry(auditlog.KeyCard, c.AccountID, c, c.Signature, c.Seq)
}

// deviceEntry logs a device certificate.
func (s *Server) deviceEntry(d *format.DeviceCert) *auditlog.Entry {
	return s.signedEntry(auditlog.DeviceCertified, d.AccountID, d, d.Signature, 0)
}

// revocationEntry logs a device revocation.
func (s *Server) revocationEntry(d *format.DeviceRevocation) *auditlog.Entry {
	return s.signedEntry(auditlog.DeviceRevoked, d.AccountID, d, d.Signature, 0)
}

// chainEntries logs account-chain entries; an attestation entry is logged as
// a role attestation, and a request for another account's threshold key as an
// emergency request naming that account (Peer), so that its devices find it.
func (s *Server) chainEntries(chain []store.ChainEntry) []*auditlog.Entry {
	var out []*auditlog.Entry
	for _, c := range chain {
		t := auditlog.ChainEntry
		e, err := format.ParseAccountEntry(c.Entry)
		if err != nil {
			out = append(out, &auditlog.Entry{Type: t, Time: uint64(s.now().Unix()), Subject: c.Account, Number: c.Seq})
			continue
		}
		var peer [32]byte
		switch e.Event {
		case format.EventAttestation:
			t = auditlog.RoleAttestation
		case format.EventRequest:
			t, peer = auditlog.EmergencyRequest, e.Owner
		}
		le := s.signedEntry(t, c.Account, e, e.Signature, c.Seq)
		le.Peer = peer
		out = append(out, le)
	}
	return out
}

// sharingEntries logs a new ACL, the grants created and the readers revoked.
// The record's salt is derived once, and hashes the caller already has are
// not computed again.
func (s *Server) sharingEntries(record store.RecordID, owner store.AccountID, sh store.Sharing, revoked []store.AccountID) []*auditlog.Entry {
	salt := s.logSalt(record)
	var out []*auditlog.Entry
	if sh.ACL != nil {
		if a, err := format.ParseACL(sh.ACL.Signed); err == nil {
			e := s.entry(auditlog.ACLChanged, record)
			e.Actor, e.Object, e.Number, e.Sig = auditlog.ActorHash(salt, owner), sh.ACL.Hash, a.Seq, a.Signature
			out = append(out, e)
		}
	}
	for _, g := range sh.Grants {
		pg, err := format.ParseGrant(g.Signed)
		if err != nil {
			continue
		}
		e := s.signedEntry(auditlog.GrantCreated, record, pg, pg.Signature, uint64(g.Epoch))
		e.Actor, e.Peer = auditlog.ActorHash(salt, store.AccountID(pg.Granter)), auditlog.ActorHash(salt, g.Account)
		out = append(out, e)
	}
	for _, a := range revoked {
		e := s.entry(auditlog.GrantRevoked, record)
		e.Actor, e.Peer = auditlog.ActorHash(salt, owner), auditlog.ActorHash(salt, a)
		out = append(out, e)
	}
	return out
}

// versionEntries logs a version write with everything that came with it.
func (s *Server) versionEntries(vw store.VersionWrite, h *format.Header) []*auditlog.Entry {
	e := s.entry(auditlog.VersionWritten, vw.Record)
	e.Actor, e.Object, e.Number, e.Sig = s.actor(vw.Record, vw.Author), vw.HeaderHash, vw.Version, h.Signature
	out := []*auditlog.Entry{e}
	out = append(out, s.sharingEntries(vw.Record, vw.Owner, vw.Sharing, nil)...)
	return append(out, s.chainEntries(vw.Chain)...)
}
