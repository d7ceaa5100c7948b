package testkit

import (
	"bytes"
	"encoding/binary"
)

// magic starts every record file (format-v1 §6).
var magic = []byte{0x89, 'B', 'V', 'R', '\r', '\n', 0x1a, '\n'}

// A layout is a record file in parts, each free to be anything: the encoder
// writes the length prefixes of §6 around whatever the parts hold, so a
// mutation can put a wrong object in a slot or bytes where none belong.
type layout struct {
	card, acl []byte
	grants    [][]byte
	grantTail []byte // after the last grant, inside the grant list
	header    []byte
	noHeader  bool   // leave the header's slot out of the bundle
	extra     []byte // after the header, inside the bundle
	leaves    []byte
	body      []byte
}

// encode writes magic ‖ u24<bundle> ‖ leaves ‖ body, with
// bundle = u16<card> ‖ u16<acl> ‖ u24<u16<grant>*> ‖ u16<header> ‖ extra.
func (l *layout) encode() []byte {
	var grants []byte
	for _, g := range l.grants {
		grants = prefixed(grants, 2, g)
	}
	grants = append(grants, l.grantTail...)
	bundle := prefixed(nil, 2, l.card)
	bundle = prefixed(bundle, 2, l.acl)
	bundle = prefixed(bundle, 3, grants)
	if !l.noHeader {
		bundle = prefixed(bundle, 2, l.header)
	}
	bundle = append(bundle, l.extra...)
	out := prefixed(bytes.Clone(magic), 3, bundle)
	out = append(out, l.leaves...)
	return append(out, l.body...)
}

// prefixed appends data to b behind its length as an n-byte big-endian integer.
func prefixed(b []byte, n int, data []byte) []byte {
	var size [8]byte
	binary.BigEndian.PutUint64(size[:], uint64(len(data)))
	b = append(b, size[8-n:]...)
	return append(b, data...)
}
