package testkit

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/blindvault/blindvault/internal/cobble"
	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/internal/grant"
	"github.com/blindvault/blindvault/internal/record"
)

// sealTime is the created time of every record in the kit (2026-01-01 01:00).
var sealTime = time.Unix(1767229200, 0).UTC()

// A recipe says which record file to write, as sdk.Encrypt would: a new record
// owned and written by owner, readable by owner and readers.
type recipe struct {
	label   string // names the record: its id, epoch key and randomness derive from it
	owner   *identity
	readers []*identity // grants follow the owner's, in this order
	body    []byte
	meta    record.Meta
}

// A sealed record: its signed objects, leaf list and body, and the secrets a
// mutation needs to forge a consistent variant.
type sealed struct {
	owner    *identity
	acl      *format.ACL
	grants   []*format.Grant
	header   *format.Header
	leaves   []byte
	body     []byte
	epochKey []byte
	dek      []byte
}

// seal writes r with the writer of internal/record, its randomness drawn from
// the stream of r.label.
func seal(r recipe) (*sealed, error) {
	s := &sealed{owner: r.owner, epochKey: derive(r.label + " epoch key")}
	s.acl = &format.ACL{RecordID: [32]byte(derive(r.label + " record id")), Owner: r.owner.account(), Seq: 1, Epoch: 1}
	parties := append([]*identity{r.owner}, r.readers...)
	for i, p := range parties {
		rights := format.RightRead
		if i == 0 {
			rights = format.RightsAll
		}
		s.acl.Entries = append(s.acl.Entries, format.ACLEntry{Reader: p.keyID(), Rights: rights})
	}
	slices.SortFunc(s.acl.Entries, func(a, b format.ACLEntry) int { return bytes.Compare(a.Reader[:], b.Reader[:]) })
	if err := s.acl.Sign(r.owner.priv); err != nil {
		return nil, err
	}
	for _, p := range parties {
		g, err := s.grantTo(p, p, stream(r.label+" grant "+p.name))
		if err != nil {
			return nil, err
		}
		s.grants = append(s.grants, g)
	}

	// The DEK is the first thing sealing draws (record.SealParams.Rand).
	s.dek = make([]byte, 32)
	stream(r.label + " seal").Read(s.dek)
	meta := r.meta
	meta.Created, meta.Modified = sealTime, sealTime
	p := &record.SealParams{RecordID: s.acl.RecordID, Owner: s.acl.Owner, Version: 1, ACL: s.acl, EpochKey: s.epochKey,
		Author: s.acl.Owner, Signer: r.owner.priv, Meta: meta, Workers: 1, Rand: stream(r.label + " seal"), Time: sealTime}
	var body, leaves bytes.Buffer
	h, err := record.Seal(context.Background(), p, bytes.NewReader(r.body), &body, &leaves)
	if err != nil {
		return nil, fmt.Errorf("testkit: sealing %s: %w", r.label, err)
	}
	s.header, s.body, s.leaves = h, body.Bytes(), leaves.Bytes()
	if err := cobble.CheckCommitment(s.dek, h.Salt[:], s.bodyContext(), h.Commitment); err != nil {
		return nil, fmt.Errorf("testkit: %s: the DEK is no longer the first value sealing draws: %w", r.label, err)
	}
	return s, nil
}

// grantTo seals the epoch key to the X-Wing key of sealTo in a grant that names
// recipient, signed by the owner.
func (s *sealed) grantTo(recipient, sealTo *identity, rnd io.Reader) (*format.Grant, error) {
	enc, ct, err := grant.SealWith(rnd, sealTo.card.XWingPK, s.acl.RecordID, s.acl.Epoch, s.epochKey)
	if err != nil {
		return nil, err
	}
	g := &format.Grant{RecordID: s.acl.RecordID, Epoch: s.acl.Epoch, Recipient: recipient.keyID(),
		Granter: s.owner.account(), SignerPK: s.owner.card.Ed25519PK, Enc: enc, CT: ct}
	if err := g.Sign(s.owner.priv); err != nil {
		return nil, err
	}
	return g, nil
}

func (s *sealed) bodyContext() []byte {
	return format.BodyContext(s.header.RecordID, s.header.Version, s.header.Owner)
}

// layout returns the file's parts, encoded, for a mutation to change.
func (s *sealed) layout() *layout {
	l := &layout{card: s.owner.card.Marshal(), acl: s.acl.Marshal(), header: s.header.Marshal(),
		leaves: bytes.Clone(s.leaves), body: bytes.Clone(s.body)}
	for _, g := range s.grants {
		l.grants = append(l.grants, g.Marshal())
	}
	return l
}

func (s *sealed) file() []byte { return s.layout().encode() }
