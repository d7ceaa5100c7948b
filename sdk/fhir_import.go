//go:build !js

// Not in the browser build yet: linked there, FHIR export and import add
// ~37 KB (brotli) to blindvault.wasm, which no page uses until the portal
// offers them; the portal drops this constraint.

package sdk

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/blindvault/blindvault/internal/fhir"
	"github.com/blindvault/blindvault/internal/record"
)

// ImportTagPrefix starts the tag ImportFHIR puts on each record it writes:
// the prefix, then the unpadded base64url SHA-256 of the resource's
// canonical form (a Binary's: of its contentType and bytes). A later import skips a resource
// whose tag one of this account's records already carries.
const ImportTagPrefix = fhir.DigestTagPrefix

// ImportResult says what ImportFHIR wrote.
type ImportResult struct {
	// Imported are the new records, in bundle order.
	Imported []*RecordInfo
	// Skipped counts the resources this account already holds from an
	// earlier import.
	Skipped int
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
	recs, err := c.List(ctx)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, rec := range recs {
		if rec.Owner == nil || rec.Owner.AccountID() != c.AccountID() {
			continue
		}
		for _, t := range rec.Tags {
			if strings.HasPrefix(t, ImportTagPrefix) {
				have[t] = true
			}
		}
	}
	res := &ImportResult{}
	var todo []int
	puts := make([]*PutOptions, len(entries))
	for i, e := range entries {
		tag := ImportTagPrefix + base64.RawURLEncoding.EncodeToString(e.Digest[:])
		if have[tag] {
			res.Skipped++
			continue
		}
		have[tag] = true
		puts[i] = &PutOptions{Title: e.Title, Type: e.Type, Tags: append(e.Tags[:len(e.Tags):len(e.Tags)], tag), Size: int64(len(e.Body))}
		meta := record.Meta{Title: puts[i].Title, Type: puts[i].Type, Tags: puts[i].Tags}
		if err := meta.Check(); err != nil { // before anything is written
			return nil, checked(fmt.Errorf("import: resource %d of %d (%s): %w", i+1, len(entries), e.ResourceType, err), false)
		}
		todo = append(todo, i)
	}
	for _, i := range todo {
		e := entries[i]
		info, err := c.Put(ctx, bytes.NewReader(e.Body), puts[i])
		if err != nil {
			return nil, c.undoImport(ctx, res.Imported, fmt.Errorf("import: resource %d of %d (%s): %w", i+1, len(entries), e.ResourceType, err))
		}
		res.Imported = append(res.Imported, info)
	}
	return res, nil
}

// bundleError puts a refused bundle in the SDK's model. (The mapping is here,
// not in internalErrors, so that the browser build, which does not import,
// links no FHIR code.)
func bundleError(err error) error {
	switch {
	case errors.Is(err, fhir.ErrTooLarge):
		return &sentinelError{is: ErrTooLarge, err: fmt.Errorf("import: %w", err)}
	case errors.Is(err, fhir.ErrNotBundle), errors.Is(err, fhir.ErrMalformed):
		return &sentinelError{is: ErrInvalid, err: fmt.Errorf("import: %w", err)}
	}
	return fmt.Errorf("import: %w", err)
}

// undoImport deletes the records a failed import wrote, newest first, and
// returns cause with what was undone.
func (c *Client) undoImport(ctx context.Context, written []*RecordInfo, cause error) error {
	ctx = context.WithoutCancel(ctx)
	var left []string
	var errs []error
	for i := len(written) - 1; i >= 0; i-- {
		if err := c.Delete(ctx, written[i].RecordID); err != nil {
			left = append(left, written[i].RecordID.String())
			errs = append(errs, err)
		}
	}
	if len(left) > 0 {
		return fmt.Errorf("%w; %d records it wrote could not be deleted again (%s): %w",
			cause, len(left), strings.Join(left, ", "), errors.Join(errs...))
	}
	if len(written) > 0 {
		return fmt.Errorf("%w; the %d records it wrote before were deleted again", cause, len(written))
	}
	return cause
}
