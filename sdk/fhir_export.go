//go:build !js

// Not in the browser build yet: linked there, FHIR export and import add
// ~37 KB (brotli) to blindvault.wasm, which no page uses until the portal
// offers them; the portal drops this constraint.

package sdk

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"time"

	"github.com/blindvault/blindvault/internal/fhir"
)

// ExportFHIR writes every record this account owns or reads, as List lists
// them, to w as one HL7 FHIR R4 Bundle of type collection, and returns how
// many records it wrote. A record whose body is a FHIR resource goes in as
// itself; any other body as a Binary with a DocumentReference (type, title,
// dates, tags). Each record gets a Provenance that names its author by key
// fingerprint, the version, and that every signature verified: each body is
// fetched and verified as Get verifies it, and a record that fails stops the
// export with Get's error; what was written to w is then an incomplete bundle
// to discard. Bodies are held in memory one at a time.
func (c *Client) ExportFHIR(ctx context.Context, w io.Writer) (_ int, err error) {
	// One operation: the log and the chains are read once, not once a record.
	defer c.begin(&err)()
	recs, err := c.list(ctx)
	if err != nil {
		return 0, err
	}
	bw, err := fhir.NewWriter(w, newBundleID(), time.Now())
	if err != nil {
		return 0, err
	}
	ids := make([][32]byte, len(recs))
	for i, r := range recs {
		ids[i] = r.RecordID
	}
	var body bytes.Buffer
	err = c.eachView(ctx, ids, func(v *version) error {
		body.Reset()
		if err := c.openBody(ctx, v, &body); err != nil {
			return fmt.Errorf("record %x: %w", v.id[:4], err)
		}
		info := v.info()
		return bw.Add(&fhir.Record{
			ID: info.RecordID, Version: info.Version, Type: info.Type, Title: info.Title, Tags: info.Tags,
			Created: info.Created, Modified: info.Modified, Body: body.Bytes(),
			Author:   fhir.Agent{Fingerprint: info.Author.Fingerprint().String(), Handle: info.Author.Handle()},
			Verified: info.AuthorVerified,
		})
	})
	if err != nil {
		return 0, err
	}
	if err := bw.Close(); err != nil {
		return 0, err
	}
	return len(recs), nil
}

// newBundleID is a random UUID (version 4) for an exported bundle.
func newBundleID() string {
	var u [16]byte
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}
