package testkit

import (
	"github.com/blindvault/blindvault/internal/format"
)

// bundleChecks adds the files whose objects parse but do not fit together
// (§7 steps 2 to 4).
func (k *kit) bundleChecks() {
	s := k.base()
	other := [32]byte(derive("another record id"))
	with := func(name, expect, comment string, set func(l *layout)) {
		l := s.layout()
		set(l)
		k.fail(name, expect, comment, l.encode())
	}

	// Step 2: the ACL.
	with("acl_owner", "signer", "the ACL's owner is bob's account, not the card's (alice's)",
		func(l *layout) { l.acl = s.aclWith(func(a *format.ACL) { a.Owner = k.bob.account() }) })
	with("acl_seq_2", "malformed", "the ACL has acl_seq 2 (with a previous ACL hash): a file holds only a record's first ACL",
		func(l *layout) {
			l.acl = s.aclWith(func(a *format.ACL) { a.Seq, a.PrevHash = 2, [32]byte(derive("previous ACL")) })
		})
	with("acl_epoch_2", "malformed", "the ACL has epoch 2: a file holds only epoch 1",
		func(l *layout) { l.acl = s.aclWith(func(a *format.ACL) { a.Epoch = 2 }) })
	with("acl", "bad-signature", "the ACL is signed by mallory's key, not the card's",
		func(l *layout) { l.acl = rawSign(k.mallory, format.KindACL, s.acl.Body()) })

	// Step 3: the header.
	header := func(name, expect, comment string, f func(h *format.Header)) {
		with(name, expect, comment, func(l *layout) { l.header = s.headerWith(f) })
	}
	header("header_version_2", "malformed", "the header is version 2 (with a previous header hash): a file holds only version 1",
		func(h *format.Header) { h.Version, h.PrevHeaderHash = 2, [32]byte(derive("previous header")) })
	header("record_id", "wrong-acl", "the header's record_id is not the ACL's", func(h *format.Header) { h.RecordID = other })
	header("owner", "wrong-acl", "the header's owner is bob, not the ACL's owner", func(h *format.Header) { h.Owner = k.bob.account() })
	header("acl_hash", "wrong-acl", "the header's acl_hash is not the hash of the ACL", func(h *format.Header) { h.ACLHash = other })
	header("epoch", "wrong-acl", "the header's epoch is 2, the ACL's 1", func(h *format.Header) { h.Epoch = 2 })
	header("header_author", "signer", "the header's author is bob's account, not the card's", func(h *format.Header) { h.Author = k.bob.account() })
	with("header_signer_pk", "signer", "the header's signer_pk is bob's key, and bob signed it",
		func(l *layout) {
			h := *s.header
			h.SignerPK = k.bob.card.Ed25519PK
			l.header = rawSign(k.bob, format.KindHeader, h.Body())
		})
	with("header", "bad-signature", "the header's signature has one bit changed", func(l *layout) { l.header = flip(l.header, -5) })

	// Step 4: the grants.
	grant := func(name, comment string, f func(g *format.Grant)) {
		with(name, "grant", comment, func(l *layout) { l.grants[0] = s.grantWith(0, f) })
	}
	grant("record_id", "the grant's record_id is not the header's", func(g *format.Grant) { g.RecordID = other })
	grant("epoch", "the grant's epoch is 2, the ACL's 1", func(g *format.Grant) { g.Epoch = 2 })
	grant("granter", "the grant's granter is bob's account, not the owner's", func(g *format.Grant) { g.Granter = k.bob.account() })
	with("signer_pk", "grant", "the grant's signer_pk is bob's key, and bob signed it",
		func(l *layout) {
			g := *s.grants[0]
			g.SignerPK = k.bob.card.Ed25519PK
			l.grants[0] = rawSign(k.bob, format.KindGrant, g.Body())
		})
	with("bad_signature", "grant", "the grant's signature has one bit changed", func(l *layout) { l.grants[0] = flip(l.grants[0], -5) })
	with("not_in_acl", "grant", "the only grant is to carol, who is not in the ACL (alice's own grant is missing)",
		func(l *layout) { l.grants[0] = k.must(s.grantTo(k.carol, k.carol, stream("grant to carol"))).Marshal() })
	with("duplicate", "grant", "alice's grant twice", func(l *layout) { l.grants = append(l.grants, l.grants[0]) })
	with("missing", "grant", "no grant at all for an ACL of one entry", func(l *layout) { l.grants = nil })
}

// readerChecks adds the files refused by the reader's own choices and key
// (§7 step 5).
func (k *kit) readerChecks() {
	s := k.seal(recipe{label: "two readers", owner: k.alice, readers: []*identity{k.bob}, body: content(1000), meta: fhirMeta})
	v := k.fail("pinned_bob", "signer-mismatch", "a valid file by alice; the reader pinned bob's card as the signer", s.file())
	v.Identity, v.Signer = k.bob.name, k.bob.name
	v = k.fail("mallory", "not-recipient", "a valid file by alice to bob; mallory has no grant", s.file())
	v.Identity = k.mallory.name

	l := s.layout()
	l.header = s.headerWith(func(h *format.Header) {
		// P = 2^62 is a Padmé size; it is above any reader's limit (at least 2^30, §7).
		h.ChunkCount = 1<<48 + 1
		h.CiphertextLen = 56 + 1<<62 + 16*h.ChunkCount
	})
	k.fail("body_over_limit", "layout", "the header declares a body of 2^62 + 2^52 + 72 bytes, above the reader's limit; refused before the grant is opened", l.encode())

	l = s.layout()
	l.grants[1] = k.must(s.grantTo(k.bob, k.carol, stream("grant sealed to carol"))).Marshal()
	v = k.fail("sealed_to_another_key", "grant-open", "bob's grant names bob but is sealed to carol's X-Wing key", l.encode())
	v.Identity = k.bob.name
	l = s.layout()
	l.grants[1] = s.grantWith(1, func(g *format.Grant) { g.CT = flip(g.CT, 0) })
	v = k.fail("ct", "grant-open", "bob's grant's HPKE ciphertext has one bit changed (the grant is re-signed)", l.encode())
	v.Identity = k.bob.name
}

// keyChecks adds the files whose DEK does not unwrap or does not match the
// signed commitment (§7 step 6).
func (k *kit) keyChecks() {
	s := k.base()
	with := func(name, expect, comment string, f func(h *format.Header)) {
		l := s.layout()
		l.header = s.headerWith(f)
		k.fail(name, expect, comment, l.encode())
	}
	nonce := derive("dek nonce")[:12]
	wrap := func(dek, bodyCtx []byte) []byte {
		return aead(s.epochKey).Seal(append([]byte(nil), nonce...), nonce, dek, bodyCtx)
	}

	with("flipped", "unwrap", "the wrapped DEK has one bit changed", func(h *format.Header) { h.WrappedDEK = flip(h.WrappedDEK, 20) })
	with("other_record", "unwrap", "the DEK wrapped under the right epoch key for another record's context",
		func(h *format.Header) {
			h.WrappedDEK = wrap(s.dek, format.BodyContext([32]byte(derive("another record id")), 1, h.Owner))
		})
	with("other_dek", "commitment", "another DEK, wrapped correctly: it does not match the signed commitment",
		func(h *format.Header) { h.WrappedDEK = wrap(derive("another DEK"), s.bodyContext()) })
	with("header", "commitment", "the header's commitment has one bit changed", func(h *format.Header) { h.Commitment[0] ^= 1 })
}

// must returns v, or panics with err for Generate to return.
func (k *kit) must(g *format.Grant, err error) *format.Grant {
	if err != nil {
		panic(kitError{err})
	}
	return g
}
