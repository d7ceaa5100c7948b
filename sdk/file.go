package sdk

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/blindvault/blindvault/internal/cobble"
	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/internal/grant"
	"github.com/blindvault/blindvault/internal/padding"
	"github.com/blindvault/blindvault/internal/record"
)

// fileMagic starts every record file. Like PNG's, it catches text-mode mangling.
var fileMagic = []byte{0x89, 'B', 'V', 'R', '\r', '\n', 0x1a, '\n'}

const (
	// maxBundle bounds the signed part of a record file (format-v1 §6). The
	// largest valid bundle is 1,454,232 bytes: a 1,530-byte card (64-byte
	// handle, endorsement), an ACL of 1024 entries (33,974 bytes), 1024 grants
	// of 1,375 bytes and a header with the largest metadata bucket (8,671
	// bytes), each with its length prefix. 2 MiB holds it with room to spare.
	maxBundle = 2 << 20
	// maxFileGrants is format.MaxACLEntries: one grant per ACL entry.
	maxFileGrants = format.MaxACLEntries
	// DefaultMaxBody is the largest body Decrypt accepts unless told otherwise.
	DefaultMaxBody = 1 << 40
)

// EncryptOptions are optional settings for Encrypt.
type EncryptOptions struct {
	Title, Type string
	Tags        []string
	// Size is the exact input length, or 0 if unknown; an input of another
	// length fails with ErrInvalid. With a known size and a
	// dst that is an io.WriterAt and io.Seeker (such as an *os.File), the body is
	// written straight into place; otherwise it is spooled first.
	Size    int64
	Workers int // 0: all cores
}

// seekableWriter is a destination that can be written out of order.
type seekableWriter interface {
	io.WriterAt
	io.Seeker
}

// Encrypt seals src into a self-contained record file written to dst, signed by
// author and readable by author and every recipient.
//
// The signed header precedes the body in the file but depends on all of it, so
// when the size or the destination does not allow writing in place, the sealed
// body is spooled (in memory when small, in an unlinked temporary file otherwise).
func Encrypt(ctx context.Context, dst io.Writer, src io.Reader, author *Identity, recipients []*KeyCard, opts *EncryptOptions) (err error) {
	defer inModel(&err)
	if opts == nil {
		opts = &EncryptOptions{}
	}
	meta := record.Meta{Title: opts.Title, Type: opts.Type, Tags: opts.Tags}
	metaSize, err := record.SealedMetaSize(&meta)
	if err != nil {
		return err
	}
	if len(recipients)+1 > maxFileGrants {
		return fmt.Errorf("%w: at most %d recipients", ErrTooLarge, maxFileGrants-1)
	}
	epochKey := make([]byte, 32)
	rand.Read(epochKey)
	defer clear(epochKey)
	acl, grants, err := fileACL(author, recipients, epochKey)
	if err != nil {
		return err
	}
	// Everything in the bundle but the header is known now, and the header's
	// length is fixed by the metadata size, so the layout is known in advance.
	headerLen := len((&format.Header{WrappedDEK: make([]byte, format.WrappedDEKSize),
		SealedMeta: make([]byte, metaSize), Signature: make([]byte, 64)}).Marshal())
	prefix, err := bundlePrefix(author, acl, grants)
	if err != nil {
		return err
	}
	bundleLen := len(prefix) + 2 + headerLen
	if bundleLen > maxBundle {
		return fmt.Errorf("%w: record bundle", ErrTooLarge)
	}
	params := &record.SealParams{RecordID: acl.RecordID, Owner: acl.Owner, Version: 1, ACL: acl, EpochKey: epochKey,
		Author: acl.Owner, Signer: author.sign, Meta: meta, Workers: opts.Workers}

	if ws, ok := dst.(seekableWriter); ok && opts.Size > 0 {
		base, h, err := encryptInPlace(ctx, ws, src, params, opts.Size, bundleLen)
		if err != nil {
			return err
		}
		if len(h.Marshal()) != headerLen {
			return fmt.Errorf("record header is %d bytes, reserved %d", len(h.Marshal()), headerLen)
		}
		return writeHead(io.NewOffsetWriter(ws, base), prefix, h)
	}

	// Otherwise the body and leaves spool (the leaf list grows with the input
	// too) and follow the head.
	sv, err := (&spoolSealer{body: src, size: opts.Size}).seal(ctx, params)
	if err != nil {
		return err
	}
	defer sv.close()
	var head bytes.Buffer
	if err := writeHead(&head, prefix, sv.header); err != nil {
		return err
	}
	r, err := sv.frame(head.Bytes())
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(dst, 1<<20)
	if _, err := io.Copy(w, r); err != nil {
		return err
	}
	return w.Flush()
}

// encryptInPlace seals the body and leaves straight to their final offsets in dst,
// leaving room for the magic and the bundle, and moves dst's offset to the end. It
// returns the offset where the file starts.
func encryptInPlace(ctx context.Context, dst seekableWriter, src io.Reader, p *record.SealParams, size int64, bundleLen int) (int64, *format.Header, error) {
	base, err := dst.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, nil, err
	}
	padded := padding.BodySize(uint64(size))
	chunks := cobble.ChunkCount(int64(padded))
	leavesAt := base + int64(len(fileMagic)+3+bundleLen)
	bodyAt := leavesAt + 32*chunks
	counted := &countingReader{r: src}
	// The leaves come 512 bytes per batch of chunks; gathering them into 1 MiB
	// writes saves a system call per batch beside the body's own write.
	leaves := bufio.NewWriterSize(io.NewOffsetWriter(dst, leavesAt), 1<<20)
	h, err := record.Seal(ctx, p, counted, io.NewOffsetWriter(dst, bodyAt), leaves)
	if err == nil {
		err = leaves.Flush()
	}
	if err != nil {
		return 0, nil, err
	}
	// Another length would have put the body at the wrong offset.
	if err := checkSize(size, counted.n); err != nil {
		return 0, nil, err
	}
	if _, err := dst.Seek(bodyAt+int64(h.CiphertextLen), io.SeekStart); err != nil {
		return 0, nil, err
	}
	return base, h, nil
}

// fileACL builds and signs the ACL of a new offline record (the author with every
// right, each recipient with read) and a grant of the epoch key to each reader.
func fileACL(author *Identity, recipients []*KeyCard, epochKey []byte) (*format.ACL, []*format.Grant, error) {
	acl := &format.ACL{Owner: author.card.c.AccountID, Seq: 1, Epoch: 1}
	rand.Read(acl.RecordID[:])
	seen := map[[32]byte]bool{}
	var grants []*format.Grant
	for i, r := range append([]*KeyCard{author.card}, recipients...) {
		id := format.KeyID(r.c.XWingPK)
		if seen[id] {
			continue // the same card twice is one reader
		}
		seen[id] = true
		rights := format.RightRead
		if i == 0 {
			rights = format.RightRead | format.RightWrite | format.RightShare
		}
		acl.Entries = append(acl.Entries, format.ACLEntry{Reader: id, Rights: rights})
		g, err := sealGrant(author, acl.RecordID, acl.Epoch, r, epochKey)
		if err != nil {
			return nil, nil, err
		}
		grants = append(grants, g)
	}
	sortACL(acl)
	if err := acl.Sign(author.sign); err != nil {
		return nil, nil, err
	}
	return acl, grants, nil
}

// bundlePrefix encodes the bundle up to, not including, the header.
func bundlePrefix(author *Identity, acl *format.ACL, grants []*format.Grant) ([]byte, error) {
	var b cryptobyte.Builder
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(author.card.c.Marshal()) })
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(acl.Marshal()) })
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, g := range grants {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(g.Marshal()) })
		}
	})
	out, err := b.Bytes()
	if err != nil {
		return nil, fmt.Errorf("%w: record bundle", ErrTooLarge)
	}
	return out, nil
}

// writeHead writes the magic and the bundle: prefix ‖ u16<header>.
func writeHead(w io.Writer, prefix []byte, h *format.Header) error {
	hb := h.Marshal()
	n := len(prefix) + 2 + len(hb)
	head := append(bytes.Clone(fileMagic), byte(n>>16), byte(n>>8), byte(n))
	head = append(head, prefix...)
	head = append(head, byte(len(hb)>>8), byte(len(hb)))
	_, err := w.Write(append(head, hb...))
	return err
}

// sealGrant wraps the epoch key to one reader and signs the grant as author.
func sealGrant(author *Identity, recordID [32]byte, epoch uint32, to *KeyCard, epochKey []byte) (*format.Grant, error) {
	return sealGrantTo(author, recordID, epoch, to.c.XWingPK, to.c.Handle, epochKey)
}

// sealGrantTo is sealGrant to an X-Wing public key: a card's, or a group's;
// name says whose in errors.
func sealGrantTo(author *Identity, recordID [32]byte, epoch uint32, pk []byte, name string, epochKey []byte) (*format.Grant, error) {
	if epochKey == nil {
		return nil, fmt.Errorf("%w: no key for epoch %d of record %x", CheckMissingGrant, epoch, recordID[:4])
	}
	enc, ct, err := grant.Seal(pk, recordID, epoch, epochKey)
	if err != nil {
		return nil, fmt.Errorf("wrapping the key to %s: %w", name, err)
	}
	g := &format.Grant{RecordID: recordID, Epoch: epoch, Recipient: format.KeyID(pk),
		Granter: author.card.c.AccountID, SignerPK: author.card.c.Ed25519PK, Enc: enc, CT: ct}
	if err := g.Sign(author.sign); err != nil {
		return nil, err
	}
	return g, nil
}

// DecryptOptions are optional settings for Decrypt.
type DecryptOptions struct {
	// Signer, if set, is the only author accepted (CheckSignerMismatch otherwise).
	Signer *KeyCard
	// MaxBody bounds the body ciphertext; 0 means DefaultMaxBody.
	MaxBody uint64
	Workers int
}

// RecordInfo describes a decrypted record.
type RecordInfo struct {
	RecordID RecordID
	Version  uint64
	Author   *KeyCard
	// AuthorVerified is true when the author's key is known to be the one
	// expected: for a file, DecryptOptions.Signer; online, the author's card
	// verified against its pin and its write authority over the record.
	AuthorVerified bool
	Title, Type    string
	Tags           []string
	Length         uint64
	Created        time.Time

	// Set for records read from a server.
	Owner       *KeyCard
	Modified    time.Time
	StoredBytes uint64 // the padded ciphertext size, all the server learns
	Epoch       uint32
	ACLSeq      uint64
}

// bundle is the signed part of a record file.
type bundle struct {
	card   *format.KeyCard
	acl    *format.ACL
	grants []*format.Grant
	header *format.Header
}

// readBundle reads the magic and the signed objects and verifies every signature
// and the write authority, without any secret key.
func readBundle(r io.Reader) (*bundle, error) {
	var head [11]byte
	if _, err := io.ReadFull(r, head[:]); err != nil || !bytes.Equal(head[:8], fileMagic) {
		return nil, format.ErrNotRecordFile
	}
	n := int(head[8])<<16 | int(head[9])<<8 | int(head[10])
	if n > maxBundle {
		return nil, fmt.Errorf("%w: %d bytes", format.ErrBundleTooLarge, n)
	}
	raw := make([]byte, n)
	if _, err := io.ReadFull(r, raw); err != nil {
		return nil, fmt.Errorf("%w: reading the bundle: %w", cobble.ErrTruncated, err)
	}
	s := cryptobyte.String(raw)
	var cardB, aclB, grantsB, headerB cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&cardB) || !s.ReadUint16LengthPrefixed(&aclB) ||
		!s.ReadUint24LengthPrefixed(&grantsB) || !s.ReadUint16LengthPrefixed(&headerB) {
		return nil, fmt.Errorf("%w: record bundle", format.ErrMalformed)
	}
	if !s.Empty() {
		return nil, fmt.Errorf("%w: after the record bundle", format.ErrTrailingData)
	}
	b := new(bundle)
	var err error
	if b.card, err = format.ParseKeyCard(cardB); err != nil {
		return nil, fmt.Errorf("author key card: %w", err)
	}
	if b.acl, err = format.ParseACL(aclB); err != nil {
		return nil, fmt.Errorf("ACL: %w", err)
	}
	for !grantsB.Empty() {
		var g cryptobyte.String
		if !grantsB.ReadUint16LengthPrefixed(&g) || len(b.grants) == maxFileGrants {
			return nil, fmt.Errorf("%w: grant list", format.ErrMalformed)
		}
		pg, err := format.ParseGrant(g)
		if err != nil {
			return nil, fmt.Errorf("grant: %w", err)
		}
		b.grants = append(b.grants, pg)
	}
	if b.header, err = format.ParseHeader(headerB); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	// Offline files are written by their owner: the card is the owner's and the author's.
	if b.acl.Owner != b.card.AccountID {
		return nil, fmt.Errorf("%w: ACL owner is not the author", record.ErrSigner)
	}
	// A file holds the first version of a new record: nothing before it could
	// be checked, so nothing else is accepted.
	if b.acl.Seq != 1 || b.acl.Epoch != 1 {
		return nil, fmt.Errorf("%w: ACL seq %d, epoch %d in a record file, want 1 and 1", format.ErrMalformed, b.acl.Seq, b.acl.Epoch)
	}
	if err := b.acl.Verify(b.card.Ed25519PK); err != nil {
		return nil, fmt.Errorf("ACL: %w", err)
	}
	if b.header.Version != 1 {
		return nil, fmt.Errorf("%w: header version %d in a record file, want 1", format.ErrMalformed, b.header.Version)
	}
	if err := record.VerifyHeader(b.header, b.acl, nil, record.Author{Card: b.card}); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	seen := make(map[[32]byte]bool, len(b.grants))
	for _, g := range b.grants {
		if err := b.checkGrant(g); err != nil {
			return nil, err
		}
		if seen[g.Recipient] {
			return nil, fmt.Errorf("%w: two grants for one recipient", CheckGrant)
		}
		seen[g.Recipient] = true
	}
	// Every grant names a distinct ACL entry; as many grants as entries means
	// every entry has its grant.
	if len(b.grants) != len(b.acl.Entries) {
		return nil, fmt.Errorf("%w: %d grants for %d ACL entries", CheckGrant, len(b.grants), len(b.acl.Entries))
	}
	return b, nil
}

// checkGrant verifies one grant of an offline file: it is for this record and epoch,
// addressed to a reader in the ACL, and made and signed by the owner.
func (b *bundle) checkGrant(g *format.Grant) error {
	if g.RecordID != b.header.RecordID || g.Epoch != b.acl.Epoch ||
		g.Granter != b.card.AccountID || g.SignerPK != b.card.Ed25519PK {
		return CheckGrant
	}
	if rights, ok := b.acl.Lookup(g.Recipient); !ok || rights&format.RightRead == 0 {
		return fmt.Errorf("%w: recipient is not a reader in the ACL", CheckGrant)
	}
	if err := g.Verify(g.SignerPK); err != nil {
		return fmt.Errorf("%w: %w", CheckGrant, err)
	}
	return nil
}

// openGrant opens the grant addressed to id (all grants were checked by readBundle).
func (b *bundle) openGrant(id *Identity) ([]byte, error) {
	me := format.KeyID(id.card.c.XWingPK)
	for _, g := range b.grants {
		if g.Recipient == me {
			key, err := id.xkey.Open(g.RecordID, g.Epoch, g.Enc, g.CT)
			if err != nil {
				return nil, fmt.Errorf("%w: %w", CheckGrant, err)
			}
			return key, nil
		}
	}
	return nil, ErrNotRecipient
}

// Decrypt reads a record file from src, checks everything in the order of
// docs/spec/format-v1.md §7, and writes the plaintext to dst. Plaintext reaches dst
// in order and only after the chunk it comes from passed its leaf and tag checks,
// but a later chunk may still fail: dst is complete and authentic only if Decrypt
// returns nil. Callers writing to a file should create it under its final name only
// then.
func Decrypt(ctx context.Context, dst io.Writer, src io.Reader, id *Identity, opts *DecryptOptions) (_ *RecordInfo, err error) {
	defer inModel(&err)
	if opts == nil {
		opts = &DecryptOptions{}
	}
	maxBody := opts.MaxBody
	if maxBody == 0 {
		maxBody = DefaultMaxBody
	}
	br := bufio.NewReaderSize(src, 1<<20)
	b, err := readBundle(br)
	if err != nil {
		return nil, err
	}
	author := &KeyCard{c: b.card}
	info := &RecordInfo{RecordID: b.header.RecordID, Version: b.header.Version, Author: author}
	if opts.Signer != nil {
		if opts.Signer.Fingerprint() != author.Fingerprint() {
			return nil, fmt.Errorf("%w: signed by %s (%s)", CheckSignerMismatch, author.Handle(), author.Fingerprint())
		}
		info.AuthorVerified = true
	}
	if err := record.CheckLayout(b.header, maxBody); err != nil {
		return nil, err
	}
	epochKey, err := b.openGrant(id)
	if err != nil {
		return nil, err
	}
	u, err := record.Unlock(b.header, epochKey)
	clear(epochKey)
	if err != nil {
		return nil, err
	}
	defer u.Close()

	leaves, err := newSpool(int64(b.header.ChunkCount) * 32)
	if err != nil {
		return nil, err
	}
	defer leaves.Close()
	if err := record.CheckLeaves(b.header, br, leaves); err != nil {
		return nil, err
	}
	lr, err := leaves.Reader()
	if err != nil {
		return nil, err
	}
	if err := openUnlocked(ctx, u, dst, io.LimitReader(br, int64(b.header.CiphertextLen)), lr, opts.Workers); err != nil {
		return nil, err
	}
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: after the body", format.ErrTrailingData)
	}
	info.Title, info.Type, info.Tags = u.Meta.Title, u.Meta.Type, u.Meta.Tags
	info.Length, info.Created = u.Meta.Length, u.Meta.Created
	return info, nil
}
