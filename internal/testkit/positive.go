package testkit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/internal/record"
)

// fhirMeta is the metadata of most files: a FHIR bundle with a short title.
var fhirMeta = record.Meta{Type: "application/fhir+json", Title: "Heart rate, January"}

// positive adds the files a reader must open: every size class of §4's
// padding and chunking, one to four readers, the three metadata buckets.
func (k *kit) positive() {
	for _, c := range []struct {
		name    string
		n       int
		comment string
	}{
		{"empty", 0, "an empty body: P = 4096, one chunk"},
		{"1_byte", 1, "one byte: P = 4096, one chunk"},
		{"4096_bytes", 4096, "exactly P = 4096: no padding"},
		{"4097_bytes", 4097, "P = Padmé(4097) = 4352"},
		{"one_full_chunk", 15872, "the largest body of one chunk: P = 15872"},
		{"chunk_boundary_minus_1", 16383, "P = 16384: a full chunk, then an empty final chunk"},
		{"chunk_boundary", 16384, "P = 16384: a full chunk, then an empty final chunk, no padding"},
		{"chunk_boundary_plus_1", 16385, "P = 17408: a full chunk and a short one"},
		{"three_chunks", 40000, "P = 40960: two full chunks and a short one"},
	} {
		body := content(c.n)
		s := k.seal(recipe{label: "size " + c.name, owner: k.alice, readers: []*identity{k.bob}, body: body, meta: fhirMeta})
		k.ok(c.name, c.comment+"; written by alice to bob, read by bob", k.bob, s, body)
	}

	body := content(1000)
	s := k.seal(recipe{label: "four readers", owner: k.alice, readers: []*identity{k.bob, k.carol, k.dave}, body: body, meta: fhirMeta})
	k.ok("owner_reads", "four readers; alice, the owner and author, reads her own file", k.alice, s, body)
	k.ok("last_of_four_readers", "four readers; dave, whose grant is the last, reads", k.dave, s, body)
	v := k.ok("grants_reversed", "four readers, grants in the reverse of the writer's order (any order is valid)", k.carol, s, body)
	l := s.layout()
	slices.Reverse(l.grants)
	v.File = l.encode()
	v = k.ok("reader_rights", "the ACL also gives bob write and share: a reader checks only §2.5's rules of the entries' rights", k.bob, s, body)
	l = s.layout()
	l.acl = s.aclWith(func(a *format.ACL) {
		for i := range a.Entries {
			a.Entries[i].Rights = format.RightsAll
		}
	})
	acl, err := format.ParseACL(l.acl)
	if err != nil {
		panic(kitError{err})
	}
	l.header = s.headerWith(func(h *format.Header) { h.ACLHash = acl.Hash() })
	v.File = l.encode()
	v = k.ok("signer_pinned", "the reader pins the author's card, which is the card in the file", k.bob, s, body)
	v.Signer = k.alice.name

	for _, c := range []struct {
		name, comment string
		meta          record.Meta
	}{
		{"meta_2048", "metadata in the 2048-byte bucket: a 1000-byte title",
			record.Meta{Type: "text/plain", Title: strings.Repeat("Lab results, ", 77)[:1000]}},
		{"meta_8192", "metadata in the 8192-byte bucket: a 1024-byte title and 32 tags of 64 bytes",
			record.Meta{Type: "text/plain", Title: strings.Repeat("é", 512), Tags: tags(32, 64)}},
		{"meta_control_characters", "title and tags with control characters and U+0000, which §5 allows",
			record.Meta{Type: "text/plain", Title: "line one\nline two\x00\x1b[31m", Tags: []string{"tab\there", "\x7f"}}},
	} {
		s := k.seal(recipe{label: c.name, owner: k.alice, readers: []*identity{k.bob}, body: body, meta: c.meta})
		k.ok(c.name, c.comment, k.bob, s, body)
	}

	s = k.seal(recipe{label: "larger bucket", owner: k.alice, body: body, meta: fhirMeta})
	v = k.ok("meta_larger_bucket", "short metadata padded to the 2048-byte bucket instead of the smallest, 512: a reader accepts it (§5)", k.alice, s, body)
	l = s.layout()
	l.header = s.withMeta(append(s.paddedMeta(), make([]byte, 2048-512)...))
	v.File = l.encode()
}

// tags returns n distinct tags of size bytes.
func tags(n, size int) []string {
	var out []string
	for i := range n {
		t := fmt.Sprintf("tag-%02d-", i)
		out = append(out, t+strings.Repeat("x", size-len(t)))
	}
	return out
}
