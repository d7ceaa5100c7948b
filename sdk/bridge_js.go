//go:build js

package sdk

import (
	"context"

	"github.com/blindvault/blindvault/internal/bridge"
	"github.com/blindvault/blindvault/internal/fhir/fhirrec"
	"github.com/blindvault/blindvault/internal/summary"
)

// The browser build's bridge: bodies sealed and opened in WebCrypto. Its types
// are internal, so only this module's wasm package can call it.

// PutSealed is Put with the body sealed by s outside Go: it writes a new
// record, or a new version of opts.Update, whose header signs the leaves and
// length s reports. opts.Size is not used.
func (c *Client) PutSealed(ctx context.Context, s bridge.BodySealer, opts *PutOptions) (*RecordInfo, error) {
	return c.putSealed(ctx, s, opts)
}

// GetEncrypted verifies the newest version of record id as Get does, and
// checks its leaf list against the signed root, but leaves the body encrypted
// for the caller to open (see bridge.EncryptedBody).
func (c *Client) GetEncrypted(ctx context.Context, id RecordID) (*RecordInfo, *bridge.EncryptedBody, error) {
	return c.getEncrypted(ctx, id)
}

// GetEncryptedVersion is GetEncrypted of version n of record id (0: the
// newest), verified as GetVersion verifies it.
func (c *Client) GetEncryptedVersion(ctx context.Context, id RecordID, n uint64) (*RecordInfo, *bridge.EncryptedBody, error) {
	return c.getEncryptedVersion(ctx, id, n)
}

// ExportRecords verifies and opens every record this account owns or reads
// and hands each to add, as ExportFHIR does before it writes the bundle; the
// browser's FHIR module (wasm/fhir) writes it.
func (c *Client) ExportRecords(ctx context.Context, add func(*fhirrec.Record) error) (int, error) {
	return c.exportRecords(ctx, add)
}

// ImportEntries stores the records of a bundle the browser's FHIR module
// parsed, as ImportFHIR does after it parses one.
func (c *Client) ImportEntries(ctx context.Context, entries []fhirrec.Entry) (*ImportResult, error) {
	return c.importEntries(ctx, entries)
}

// SummaryData gathers what ExportSummary prints, for the browser's PDF
// module (wasm/pdf) to print.
func (c *Client) SummaryData(ctx context.Context) (*summary.Data, error) {
	return c.summaryData(ctx)
}
