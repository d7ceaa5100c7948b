package sdk

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/blindvault/blindvault/internal/fhir/fhirrec"
	"github.com/blindvault/blindvault/internal/record"
)

// The half of FHIR export and import that needs this account's keys, in every
// build: opening and verifying each record for a bundle, and writing the
// records a parsed bundle holds. fhir_bundle.go writes and parses the bundles.

// ImportTagPrefix starts the tag ImportFHIR puts on each record it writes:
// the prefix, then the unpadded base64url SHA-256 of the resource's
// canonical form (a Binary's: of its contentType and bytes). A later import skips a resource
// whose tag one of this account's records already carries.
const ImportTagPrefix = fhirrec.DigestTagPrefix

// ImportResult says what ImportFHIR wrote.
type ImportResult struct {
	// Imported are the new records, in bundle order.
	Imported []*RecordInfo
	// Skipped counts the resources this account already holds from an
	// earlier import.
	Skipped int
}

// exportRecords verifies and opens every record this account owns or reads,
// as List lists them, and hands each to add, one body in memory at a time.
// The browser builds the bundle from them in a module of its own
// (wasm/fhir), so that the FHIR models stay out of blindvault.wasm.
func (c *Client) exportRecords(ctx context.Context, add func(*fhirrec.Record) error) (_ int, err error) {
	// One operation: the log and the chains are read once, not once a record.
	defer c.begin(&err)()
	recs, err := c.list(ctx)
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
		return add(&fhirrec.Record{
			ID: info.RecordID, Version: info.Version, Type: info.Type, Title: info.Title, Tags: info.Tags,
			Created: info.Created, Modified: info.Modified, Body: body.Bytes(),
			Author:   fhirrec.Agent{Fingerprint: info.Author.Fingerprint().String(), Handle: info.Author.Handle()},
			Verified: info.AuthorVerified,
		})
	})
	if err != nil {
		return 0, err
	}
	return len(recs), nil
}

// importEntries stores the records of a parsed bundle, as ImportFHIR says.
// The browser parses the bundle in a module of its own (wasm/fhir), so that
// the FHIR models stay out of blindvault.wasm.
func (c *Client) importEntries(ctx context.Context, entries []fhirrec.Entry) (*ImportResult, error) {
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
