package testkit

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Success is the expect value of a file a reader must open.
const Success = "success"

// ErrorNames are the expect values of files a reader must refuse: the error
// names of format-v1 §7.1.
var ErrorNames = []string{
	"not-record-file", "bundle-too-large", "truncated", "object-too-large",
	"unknown-version", "unknown-kind", "unknown-suite", "malformed", "trailing-data",
	"bad-signature", "signer", "wrong-acl", "grant", "signer-mismatch", "layout",
	"not-recipient", "grant-open", "unwrap", "commitment", "meta-open", "meta-invalid",
	"leaf-mismatch", "chunk-auth", "padding",
}

// A Vector is one file of the kit: a text header of "name: value" lines, an
// empty line, then the record file, byte for byte.
type Vector struct {
	Name     string // the file name
	Expect   string // Success or one of ErrorNames
	Identity string // the reader: keys/<Identity>.key
	Signer   string // optional: the reader pins the author to keys/<Signer>.card
	Author   string // success only: hex fingerprint of the author's card
	Payload  string // success only: hex SHA-256 of the plaintext
	Comment  string // one line: what the file exercises
	File     []byte // the record file
}

// ErrVector means a kit file does not follow the layout of docs/spec/conformance.md.
var ErrVector = errors.New("testkit: malformed vector file")

// header lists the header fields in the order they are written.
func (v *Vector) header() [][2]string {
	return [][2]string{
		{"expect", v.Expect}, {"identity", v.Identity}, {"signer", v.Signer},
		{"author", v.Author}, {"payload", v.Payload}, {"comment", v.Comment},
	}
}

// Marshal encodes v; empty optional fields are left out.
func (v *Vector) Marshal() []byte {
	var b bytes.Buffer
	for _, f := range v.header() {
		if f[1] != "" {
			fmt.Fprintf(&b, "%s: %s\n", f[0], f[1])
		}
	}
	b.WriteByte('\n')
	b.Write(v.File)
	return b.Bytes()
}

// Parse decodes a kit file named name.
func Parse(name string, data []byte) (*Vector, error) {
	v := &Vector{Name: name}
	fields := map[string]*string{"expect": &v.Expect, "identity": &v.Identity, "signer": &v.Signer,
		"author": &v.Author, "payload": &v.Payload, "comment": &v.Comment}
	for {
		line, rest, ok := bytes.Cut(data, []byte("\n"))
		if !ok {
			return nil, fmt.Errorf("%w: %s: no empty line after the header", ErrVector, name)
		}
		data = rest
		if len(line) == 0 {
			break
		}
		key, value, ok := strings.Cut(string(line), ": ")
		p, known := fields[key]
		if !ok || !known || *p != "" {
			return nil, fmt.Errorf("%w: %s: header line %q", ErrVector, name, line)
		}
		*p = value
	}
	v.File = data
	if v.Identity == "" || (v.Expect != Success && !slices.Contains(ErrorNames, v.Expect)) {
		return nil, fmt.Errorf("%w: %s: expect %q, identity %q", ErrVector, name, v.Expect, v.Identity)
	}
	return v, nil
}
