package main

import (
	"context"
	"syscall/js"

	"github.com/blindvault/blindvault/sdk"
)

// addSummary adds the half of the printable summary that needs keys:
// summaryData() gathers and verifies it (the SDK's SummaryData, the same as
// ExportSummary's) and returns it as JSON (summary.Data). The PDF module
// (wasm/pdf, pdf.wasm) prints it, so that the PDF library loads only for it.
func addSummary(c *sdk.Client, add func(string, func(context.Context, []js.Value) (any, error))) {
	add("summaryData", func(ctx context.Context, _ []js.Value) (any, error) {
		d, err := c.SummaryData(ctx)
		if err != nil {
			return nil, err
		}
		return toJSON(d)
	})
}
