package testkit

import (
	"bytes"
	"crypto/ed25519"

	"github.com/blindvault/blindvault/internal/format"
)

// base is the record most negative files change: alice's, readable by her alone,
// one chunk. Its reader is alice.
func (k *kit) base() *sealed {
	return k.seal(recipe{label: "base", owner: k.alice, body: content(1000), meta: fhirMeta})
}

// Keys that the Ed25519 key rule of §1 refuses.
var (
	smallOrderKey   = [32]byte{1}                                                                           // the identity
	orderEightKey   = [32]byte(mustHex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05")) // order 8
	nonCanonicalKey = [32]byte(mustHex("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")) // y = p
)

// framing adds the files refused while reading the magic and splitting the
// bundle (§7 step 1, before any object is parsed).
func (k *kit) framing() {
	s := k.base()
	file := s.file()
	bundleEnd := 11 + (int(file[8])<<16 | int(file[9])<<8 | int(file[10]))
	k.fail("empty", "not-record-file", "an empty file", nil)
	k.fail("magic", "not-record-file", "the first byte of the magic is 0x88", flip(file, 0))
	k.fail("10_bytes", "not-record-file", "the magic and two of the three bytes of the bundle length", file[:10])
	k.fail("2_MiB_plus_1", "bundle-too-large", "the bundle length is 2 MiB + 1; nothing follows it",
		append(bytes.Clone(magic), 0x20, 0x00, 0x01))
	k.fail("bundle", "truncated", "the file ends in the middle of the bundle", file[:bundleEnd/2])

	l := s.layout()
	l.noHeader = true
	k.fail("no_header", "malformed", "the bundle holds the card, the ACL and the grants, but no header", l.encode())
	l = s.layout()
	l.grantTail = []byte{0x05}
	k.fail("grant_list", "malformed", "one stray byte after the last grant in the grant list", l.encode())
	l = s.layout()
	l.extra = []byte{0}
	k.fail("bundle", "trailing-data", "a byte after the header, inside the bundle", l.encode())
}

// tooManyGrants is the base file with 1025 copies of its grant and no leaf
// list or body: the 1025th grant is refused before it is parsed (malformed).
// At 1.4 MB it would be half the kit, so it is not checked in:
// docs/spec/conformance.md says how to build it, and a test runs it.
func (k *kit) tooManyGrants() []byte {
	l := k.base().layout()
	for len(l.grants) < format.MaxACLEntries+1 {
		l.grants = append(l.grants, l.grants[0])
	}
	l.leaves, l.body = nil, nil
	return l.encode()
}

// objects adds the files whose card, ACL, grant or header breaks a rule of §2
// (§7 step 1, objects parsed in file order).
func (k *kit) objects() {
	s := k.base()
	slot := func(name, expect, comment string, set func(l *layout)) {
		l := s.layout()
		set(l)
		k.fail(name, expect, comment, l.encode())
	}
	editBody := func(k format.Kind, body []byte, i int, v byte) []byte {
		b := bytes.Clone(body)
		b[i] = v
		return rawSign(s.owner, k, b)
	}
	card, acl, gr, hdr := s.owner.card, s.acl, s.grants[0], s.header

	slot("card", "object-too-large", "the card slot holds 4097 bytes (a card padded with zeros), over the 4 KiB bound",
		func(l *layout) { l.card = append(l.card, make([]byte, 4097-len(l.card))...) })
	slot("card", "unknown-version", "the card's version byte is 2", func(l *layout) { l.card = editBody(format.KindKeyCard, card.Body(), 0, 2) })
	slot("acl_in_card_slot", "unknown-kind", "the ACL in the card's slot", func(l *layout) { l.card = l.acl })
	slot("card", "unknown-suite", "the card's suite is 2", func(l *layout) { l.card = editBody(format.KindKeyCard, card.Body(), 3, 2) })
	slot("card", "trailing-data", "a byte after the card's endorsement", func(l *layout) { l.card = append(l.card, 0) })
	slot("card_small_order_key", "malformed", "the card's ed25519_pk is the identity point (small order)",
		func(l *layout) { l.card = s.cardWith(func(c *format.KeyCard) { c.Ed25519PK = smallOrderKey }) })
	slot("card_non_canonical_key", "malformed", "the card's ed25519_pk encodes y = p (non-canonical)",
		func(l *layout) { l.card = s.cardWith(func(c *format.KeyCard) { c.Ed25519PK = nonCanonicalKey }) })
	slot("card_mlkem_key", "malformed", "the card's X-Wing key fails the ML-KEM-768 encapsulation-key check (coefficients ≥ q)",
		func(l *layout) {
			l.card = s.cardWith(func(c *format.KeyCard) { c.XWingPK = bytes.Repeat([]byte{0xff}, format.XWingPublicKeySize) })
		})
	slot("card_handle", "malformed", "the card's handle ends with a line feed (string rule of §2)",
		func(l *layout) { l.card = s.cardWith(func(c *format.KeyCard) { c.Handle = "alice\n" }) })
	slot("card_endorsement", "malformed", "the card has seq 1 and a 64-byte endorsement (only a successor card has one)",
		func(l *layout) {
			body := card.Body()
			l.card = format.SignedForm(body, card.Signature, true, ed25519.Sign(s.owner.priv, format.Message(format.KindKeyCard.Purpose(), body)))
		})
	slot("card", "bad-signature", "the card's self signature has one bit changed", func(l *layout) { l.card = flip(l.card, -10) })

	two := k.seal(recipe{label: "two readers", owner: k.alice, readers: []*identity{k.bob}, body: content(1000), meta: fhirMeta})
	l := two.layout()
	l.acl = two.aclWith(func(a *format.ACL) { a.Entries[0], a.Entries[1] = a.Entries[1], a.Entries[0] })
	k.fail("acl_unsorted", "malformed", "the ACL's two entries are in descending order", l.encode())
	slot("header_in_acl_slot", "unknown-kind", "the header in the ACL's slot", func(l *layout) { l.acl = l.header })
	slot("acl", "unknown-version", "the ACL's version byte is 0", func(l *layout) { l.acl = editBody(format.KindACL, acl.Body(), 0, 0) })

	slot("grant", "object-too-large", "a grant of 4097 bytes (padded with zeros), over the 4 KiB bound",
		func(l *layout) { l.grants[0] = append(l.grants[0], make([]byte, 4097-len(l.grants[0]))...) })
	slot("grant", "unknown-suite", "the grant's suite is 2", func(l *layout) { l.grants[0] = editBody(format.KindGrant, gr.Body(), 3, 2) })
	slot("grant", "trailing-data", "a byte after the grant's signature", func(l *layout) { l.grants[0] = append(l.grants[0], 0) })
	slot("grant_small_order_signer", "malformed", "the grant's signer_pk is a point of order 8",
		func(l *layout) { l.grants[0] = s.grantWith(0, func(g *format.Grant) { g.SignerPK = orderEightKey }) })
	slot("grant_enc", "malformed", "the grant's enc is 1119 bytes",
		func(l *layout) { l.grants[0] = s.grantWith(0, func(g *format.Grant) { g.Enc = g.Enc[:1119] }) })

	slot("header", "unknown-version", "the header's version byte is 2", func(l *layout) { l.header = editBody(format.KindHeader, hdr.Body(), 0, 2) })
	slot("header", "trailing-data", "a byte after the last field of the header's body",
		func(l *layout) { l.header = rawSign(s.owner, format.KindHeader, append(hdr.Body(), 0)) })
	slot("header_signer_key", "malformed", "the header's signer_pk is all zeros (a point of order 4)",
		func(l *layout) { l.header = s.headerWith(func(h *format.Header) { h.SignerPK = [32]byte{} }) })
	slot("header_non_canonical_signer", "malformed", "the header's signer_pk encodes y = p (non-canonical)",
		func(l *layout) { l.header = s.headerWith(func(h *format.Header) { h.SignerPK = nonCanonicalKey }) })
	slot("header_chunk_count_overflow", "malformed",
		"chunk_count = 2^60, above ⌊(2^64 − 57) / 16⌋; 56 + 16·chunk_count wraps to 56 in 64 bits, and ciphertext_len = 56 + 4096 would match it",
		func(l *layout) {
			l.header = s.headerWith(func(h *format.Header) { h.ChunkCount, h.CiphertextLen = 1<<60, 56+4096 })
		})
	slot("header_not_padme", "malformed", "the header's sizes give P = 5000, not a Padmé size",
		func(l *layout) { l.header = s.headerWith(func(h *format.Header) { h.CiphertextLen = 56 + 5000 + 16 }) })
	slot("header_chunk_count", "malformed", "the header's sizes give P = 4096 in two chunks (the last chunk must be the only short one)",
		func(l *layout) {
			l.header = s.headerWith(func(h *format.Header) { h.ChunkCount, h.CiphertextLen = 2, 56+4096+32 })
		})
	slot("header_sealed_meta", "malformed", "the header's sealed_meta is 541 bytes",
		func(l *layout) {
			l.header = s.headerWith(func(h *format.Header) { h.SealedMeta = append(h.SealedMeta, 0) })
		})
	slot("header_wrapped_dek", "malformed", "the header's wrapped_dek is 59 bytes",
		func(l *layout) { l.header = s.headerWith(func(h *format.Header) { h.WrappedDEK = h.WrappedDEK[:59] }) })
}
