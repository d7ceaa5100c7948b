package testkit

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"strings"

	"github.com/blindvault/blindvault/internal/format"
)

// kit collects the vectors while they are made.
type kit struct {
	*cast
	vectors []*Vector
}

// build makes every vector, in the order of format-v1 §7.
func (k *kit) build() error {
	return k.run(func() {
		k.positive()
		k.framing()
		k.objects()
		k.bundleChecks()
		k.readerChecks()
		k.keyChecks()
		k.metadata()
		k.body()
	})
}

// run calls f, returning the error that k.seal or k.must panicked with.
func (k *kit) run(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			ke, ok := r.(kitError)
			if !ok {
				panic(r)
			}
			err = ke.err
		}
	}()
	f()
	return nil
}

// Generate returns every file of the kit by its path under the kit's
// directory: the vectors, and under keys/ each party's identity file (§8) and
// key card (§2.1 text form). It returns the same bytes on every run.
func Generate() (map[string][]byte, error) {
	c, err := newCast()
	if err != nil {
		return nil, err
	}
	k := &kit{cast: c}
	if err := k.build(); err != nil {
		return nil, err
	}
	files := make(map[string][]byte)
	for _, id := range k.all() {
		files[path.Join("keys", id.name+".key")] = id.keyFile()
		files[path.Join("keys", id.name+".card")] = format.MarshalKeyCardText(id.card)
	}
	for _, v := range k.vectors {
		if _, dup := files[v.Name]; dup {
			return nil, fmt.Errorf("testkit: two vectors named %s", v.Name)
		}
		files[v.Name] = v.Marshal()
	}
	return files, nil
}

// seal is seal(r); on error it panics with a kitError, which Generate recovers.
func (k *kit) seal(r recipe) *sealed {
	s, err := seal(r)
	if err != nil {
		panic(kitError{err})
	}
	return s
}

// kitError carries an error of the generator out of the vector lists.
type kitError struct{ err error }

// ok adds s's file, which reader must open, reporting s's author and plaintext.
// The caller may change the vector, its file included.
func (k *kit) ok(name, comment string, reader *identity, s *sealed, plaintext []byte) *Vector {
	sum := sha256.Sum256(plaintext)
	v := &Vector{Name: "ok_" + name, Expect: Success, Identity: reader.name, Comment: comment,
		Author: s.owner.fingerprint(), Payload: hex.EncodeToString(sum[:]), File: s.file()}
	k.vectors = append(k.vectors, v)
	return v
}

// fail adds a file that alice, the owner, must refuse with the named error. The
// caller may change the vector, its reader included.
func (k *kit) fail(name, expect, comment string, file []byte) *Vector {
	v := &Vector{Name: strings.ReplaceAll(expect, "-", "_") + "_" + name, Expect: expect, Identity: k.alice.name,
		Comment: comment, File: file}
	k.vectors = append(k.vectors, v)
	return v
}

// content returns n bytes of realistic record content: FHIR observations, one
// JSON object a line.
func content(n int) []byte {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, `{"resourceType":"Observation","id":"obs-%05d","status":"final","code":{"text":"Heart rate"},`+
			`"valueQuantity":{"value":%d,"unit":"beats/minute"},"effectiveDateTime":"2026-01-%02dT08:%02d:00Z"}`+"\n",
			i, 58+i*7%40, 1+i%28, i%60)
	}
	return []byte(b.String()[:n])
}
