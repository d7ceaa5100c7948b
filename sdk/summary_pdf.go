//go:build !js

package sdk

import (
	"context"
	"io"

	"github.com/blindvault/blindvault/internal/summary/summarypdf"
)

// The summary printed with the PDF library. The browser prints in a module
// of its own (wasm/pdf, pdf.wasm) that a page loads only for it: linked into
// blindvault.wasm, the library would not fit its size budget.

// ExportSummary writes a printable summary of what this account owns or
// reads to w as a PDF, and returns how many records it lists: the records by
// type and date with their titles, versions and authors (by handle and key
// fingerprint), who can read each of this account's own records now, and
// the recent verified access history of the 25 of them that changed last.
// Every entry comes from List, Readers and Audit, which verify what they
// return; an error from them stops the summary before anything is written.
func (c *Client) ExportSummary(ctx context.Context, w io.Writer) (int, error) {
	d, err := c.summaryData(ctx)
	if err != nil {
		return 0, err
	}
	return len(d.Records), summarypdf.Write(w, d)
}
