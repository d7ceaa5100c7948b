package testkit

import (
	"bytes"
	"encoding/binary"

	"github.com/blindvault/blindvault/internal/cobble"
	"github.com/blindvault/blindvault/internal/format"
)

// metaField offsets in the decrypted metadata u16<inner> ‖ zeros of §5, for
// fhirMeta: inner = u64 L ‖ u64 created ‖ u64 modified ‖ u8<type> ‖ u16<title> ‖ u16<tags>.
const (
	metaLength = 2                                           // u64 L
	metaType   = 2 + 24 + 1                                  // first byte of type
	metaTitle  = metaType + len("application/fhir+json") + 2 // first byte of title
)

// metadata adds the files whose metadata does not open or breaks §5
// (§7 step 7).
func (k *kit) metadata() {
	s := k.base()
	with := func(name, expect, comment string, header []byte) {
		l := s.layout()
		l.header = header
		k.fail(name, expect, comment, l.encode())
	}
	edit := func(f func(p []byte)) []byte {
		return s.metaChanged(func(p []byte) []byte { f(p); return p })
	}
	with("flipped", "meta-open", "the sealed metadata has one bit changed",
		s.headerWith(func(h *format.Header) { h.SealedMeta = flip(h.SealedMeta, 100) }))
	with("other_record", "meta-open", "the sealed metadata of another record (another DEK and context)",
		s.headerWith(func(h *format.Header) {
			h.SealedMeta = k.seal(recipe{label: "other", owner: k.alice, meta: fhirMeta}).header.SealedMeta
		}))
	with("padding", "meta-invalid", "a non-zero byte in the metadata's padding", edit(func(p []byte) { p[len(p)-1] = 1 }))
	with("length_over_bucket", "meta-invalid", "the u16 length of inner is 511, more than the 510 bytes the bucket holds",
		edit(func(p []byte) { binary.BigEndian.PutUint16(p, uint16(len(p)-1)) }))
	with("trailing", "meta-invalid", "the u16 length of inner is one more: a zero byte left over after the tags",
		edit(func(p []byte) { binary.BigEndian.PutUint16(p, binary.BigEndian.Uint16(p)+1) }))
	with("type_space", "meta-invalid", "the type starts with a space", edit(func(p []byte) { p[metaType] = ' ' }))
	with("title_utf8", "meta-invalid", "the title starts with the byte 0xff (not UTF-8)", edit(func(p []byte) { p[metaTitle] = 0xff }))
	with("33_tags", "meta-invalid", "33 tags, one more than the limit", s.metaChanged(func(p []byte) []byte { return addTags(p, 33) }))
	with("empty_tag", "meta-invalid", "one empty tag", s.metaChanged(func(p []byte) []byte { return addTag(p, "") }))
	with("length", "layout", "the metadata's L is 5000, which pads to 5120, not the header's P = 4096",
		edit(func(p []byte) { binary.BigEndian.PutUint64(p[metaLength:], 5000) }))
	with("length_max", "layout", "the metadata's L is 2^64 − 1: Padmé must not wrap around (§4)",
		edit(func(p []byte) { binary.BigEndian.PutUint64(p[metaLength:], 1<<64-1) }))
}

// addTags appends n two-letter tags ("aa", "ba", …) to decrypted fhirMeta
// metadata, which has none, keeping the bucket's size.
func addTags(p []byte, n int) []byte {
	for i := range n {
		p = addTag(p, string(rune('a'+i%26))+string(rune('a'+i/26)))
	}
	return p
}

// addTag appends one tag to decrypted fhirMeta metadata, updating the
// lengths of inner and of the tag list and keeping the bucket's size.
func addTag(p []byte, tag string) []byte {
	n := int(binary.BigEndian.Uint16(p))
	end := 2 + n
	tagsAt := metaTitle + int(binary.BigEndian.Uint16(p[metaTitle-2:]))
	tagsLen := binary.BigEndian.Uint16(p[tagsAt:])
	add := append([]byte{byte(len(tag))}, tag...)
	out := append(bytes.Clone(p[:end]), add...)
	binary.BigEndian.PutUint16(out, uint16(n+len(add)))
	binary.BigEndian.PutUint16(out[tagsAt:], tagsLen+uint16(len(add)))
	return append(out, make([]byte, len(p)-len(out))...)
}

// body adds the files whose leaf list or body fails (§7 steps 8 and 9), on a
// body of three chunks.
func (k *kit) body() {
	s := k.seal(recipe{label: "three chunks", owner: k.alice, body: content(40000), meta: fhirMeta})
	file := s.file()
	bodyAt := len(file) - len(s.body)
	leavesAt := bodyAt - len(s.leaves)
	c1 := cobble.HeaderSize + cobble.EncryptedChunkSize // the second chunk
	layoutWith := func(f func(l *layout)) []byte {
		l := s.layout()
		f(l)
		return l.encode()
	}

	k.fail("leaves_short", "leaf-mismatch", "the file ends after two of the three leaves", file[:leavesAt+64])
	k.fail("leaf_flipped", "leaf-mismatch", "the second leaf has one bit changed", flip(file, leavesAt+40))
	k.fail("leaves_swapped", "leaf-mismatch", "the first two leaves swapped", layoutWith(func(l *layout) {
		l.leaves = append(append(bytes.Clone(l.leaves[32:64]), l.leaves[:32]...), l.leaves[64:]...)
	}))
	k.fail("body_salt", "commitment", "the body's salt has one bit changed", flip(file, bodyAt))
	k.fail("body_commitment", "commitment", "the body's commitment has one bit changed", flip(file, bodyAt+24))
	k.fail("chunk_flipped", "leaf-mismatch", "the second chunk has one bit changed; the leaves are the original ones", flip(file, bodyAt+c1+100))
	k.fail("chunk_flipped", "chunk-auth", "the second chunk has one bit changed, with leaves, root and header recomputed to match",
		s.rehash(flip(s.body, c1+100)).encode())
	swapped := bytes.Clone(s.body)
	copy(swapped[cobble.HeaderSize:], s.body[c1:c1+cobble.EncryptedChunkSize])
	copy(swapped[c1:], s.body[cobble.HeaderSize:c1])
	k.fail("chunks_swapped", "chunk-auth", "the first two chunks swapped, with leaves, root and header recomputed to match",
		s.rehash(swapped).encode())
	k.fail("body_mid_chunk", "truncated", "the file ends 100 bytes into the last chunk", file[:bodyAt+2*c1-cobble.HeaderSize+100])
	k.fail("body_last_chunk", "truncated", "the file ends after the second of three chunks", file[:bodyAt+2*c1-cobble.HeaderSize])
	k.fail("body", "trailing-data", "a byte after the body", append(bytes.Clone(file), 0))

	b := k.seal(recipe{label: "size chunk_boundary", owner: k.alice, readers: []*identity{k.bob}, body: content(16384), meta: fhirMeta}).file()
	v := k.fail("final_empty_chunk", "truncated", "P = 16384: the final chunk, empty (its 16-byte tag only), is missing", b[:len(b)-16])
	v.Identity = k.bob.name

	// Padding: a body sealed with non-zero bytes after its first 1000, whose
	// metadata says L = 1000.
	dirty := append(content(1000), bytes.Repeat([]byte{'#'}, 4096-1000)...)
	p := k.seal(recipe{label: "dirty padding", owner: k.alice, body: dirty, meta: fhirMeta})
	l := p.layout()
	l.header = p.metaChanged(func(m []byte) []byte { binary.BigEndian.PutUint64(m[metaLength:], 1000); return m })
	k.fail("nonzero", "padding", "L = 1000 and P = 4096, but the plaintext past L is '#', not zero", l.encode())
}
