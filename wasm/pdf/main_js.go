// Command pdf.wasm prints the portal's "Download summary (PDF)", with the same
// Go code as the CLI's export --pdf (internal/summary/summarypdf). It holds no
// key and checks nothing of the server's: blindvault.wasm gathers and
// verifies the summary (summaryData) and this module only prints it. It is a
// module of its own so that the PDF library loads only when a patient prints
// a summary, not with every page (blindvault.wasm's size budget,
// docs/benchmarks.md).
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"syscall/js"

	"github.com/blindvault/blindvault/internal/summary"
	"github.com/blindvault/blindvault/internal/summary/summarypdf"
	"github.com/blindvault/blindvault/wasm/internal/sidemodule"
)

// maxData bounds the summary data handed to render: ~50 times what 1,000
// records with their readers and history take.
const maxData = 64 << 20

func main() {
	sidemodule.Serve("pdf.wasm", map[string]sidemodule.Func{"render": render})
}

// render(dataJSON) prints the summary blindvault.wasm gathered (summary.Data
// as JSON) and returns the PDF's bytes.
func render(args []js.Value) (any, error) {
	v := sidemodule.Arg(args)
	if v.Type() != js.TypeString {
		return nil, sidemodule.Coded("INVALID_ARGUMENT", errors.New("pdf.wasm: the summary data must be a string"))
	}
	raw := v.String()
	if len(raw) > maxData {
		return nil, sidemodule.Coded("TOO_LARGE", fmt.Errorf("pdf.wasm: the summary data: more than %d bytes", maxData))
	}
	var d summary.Data
	if err := json.Unmarshal([]byte(raw), &d); err != nil {
		return nil, sidemodule.Coded("INVALID_ARGUMENT", fmt.Errorf("pdf.wasm: the summary data: %w", err))
	}
	var buf bytes.Buffer
	if err := summarypdf.Write(&buf, &d); err != nil {
		return nil, err
	}
	return sidemodule.ToBytes(buf.Bytes()), nil
}
