//go:build !js

package sdk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/blindvault/blindvault/internal/fhir"
)

// The bundles themselves, written and parsed with the FHIR models. The
// browser does this part in a module of its own (wasm/fhir, fhir.wasm) that a
// page loads only to export or import: linked into blindvault.wasm, the
// models would add ~80 KB (brotli) to what every page loads.

// ExportFHIR writes every record this account owns or reads, as List lists
// them, to w as one HL7 FHIR R4 Bundle of type collection, and returns how
// many records it wrote. A record whose body is a FHIR resource goes in as
// itself; any other body as a Binary with a DocumentReference (type, title,
// dates, tags). Each record gets a Provenance that names its author by key
// fingerprint, the version, and that every signature verified: each body is
// fetched and verified as Get verifies it, and a record that fails stops the
// export with Get's error; what was written to w is then an incomplete bundle
// to discard. Bodies are held in memory one at a time.
func (c *Client) ExportFHIR(ctx context.Context, w io.Writer) (int, error) {
	bw, err := fhir.NewWriter(w, fhir.NewBundleID(), time.Now())
	if err != nil {
		return 0, err
	}
	n, err := c.exportRecords(ctx, bw.Add)
	if err != nil {
		return 0, err
	}
	return n, bw.Close()
}

// ImportFHIR reads a whole FHIR R4 Bundle from r and stores each entry's
// resource as a new record of this account: a FHIR resource as its JSON,
// typed by its resourceType; a Binary as its raw bytes, typed by its
// contentType. The DocumentReferences and Provenances that ExportFHIR adds
// are not stored again: a DocumentReference's title, type and tags go to its
// Binary's record, and this account signs every record it writes.
//
// The bundle is checked whole before anything is written: one that is not a
// Bundle, is not JSON, or holds an entry that is not an R4 resource is
// ErrInvalid; one over a limit (64 MiB, nesting 32, strings of 1 MiB,
// 10,000 entries) is ErrTooLarge. If a write fails midway, the records this
// call wrote are deleted again before the error is returned (the log keeps
// their tombstones), so a failed import leaves nothing half-imported; a
// second attempt writes only what is missing.
func (c *Client) ImportFHIR(ctx context.Context, r io.Reader) (*ImportResult, error) {
	entries, err := fhir.Parse(r, nil)
	if err != nil {
		return nil, bundleError(err)
	}
	return c.importEntries(ctx, entries)
}

// bundleError puts a refused bundle in the SDK's model. (The mapping is here,
// not in internalErrors, so that blindvault.wasm, whose bundles are parsed
// by the FHIR module, links no FHIR parsing.)
func bundleError(err error) error {
	switch {
	case errors.Is(err, fhir.ErrTooLarge):
		return &sentinelError{is: ErrTooLarge, err: fmt.Errorf("import: %w", err)}
	case errors.Is(err, fhir.ErrNotBundle), errors.Is(err, fhir.ErrMalformed):
		return &sentinelError{is: ErrInvalid, err: fmt.Errorf("import: %w", err)}
	}
	return fmt.Errorf("import: %w", err)
}
