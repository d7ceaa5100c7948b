package main

import (
	"context"
	"syscall/js"

	"github.com/blindvault/blindvault/internal/fhir/fhirrec"
	"github.com/blindvault/blindvault/sdk"
)

// addFHIR adds the halves of the patient's rights of access and import that
// need keys: exportRecords() verifies and opens every record and returns them
// as JSON ([]fhirrec.Record, bodies in base64), and importEntries(json) stores
// the entries of a parsed bundle ([]fhirrec.Entry). The FHIR module
// (wasm/fhir, fhir.wasm) writes and parses the bundles themselves, so that
// the FHIR models, which only these two actions use, load only for them.
func addFHIR(c *sdk.Client, add func(string, func(context.Context, []js.Value) (any, error))) {
	add("exportRecords", func(ctx context.Context, _ []js.Value) (any, error) {
		var recs []*fhirrec.Record
		if _, err := c.ExportRecords(ctx, func(r *fhirrec.Record) error {
			r.Body = append([]byte(nil), r.Body...) // the SDK reuses its buffer
			recs = append(recs, r)
			return nil
		}); err != nil {
			return nil, err
		}
		return toJSON(recs)
	})
	add("importEntries", func(ctx context.Context, args []js.Value) (any, error) {
		var entries []fhirrec.Entry
		if err := fromJSON(arg(args, 0), &entries); err != nil {
			return nil, err
		}
		res, err := c.ImportEntries(ctx, entries)
		if err != nil {
			return nil, err
		}
		type resultJSON struct {
			Imported []recordInfoJSON `json:"imported"`
			Skipped  int              `json:"skipped"`
		}
		out := resultJSON{Imported: make([]recordInfoJSON, len(res.Imported)), Skipped: res.Skipped}
		for i, r := range res.Imported {
			out.Imported[i] = infoOf(c, r)
		}
		return toJSON(out)
	})
}
