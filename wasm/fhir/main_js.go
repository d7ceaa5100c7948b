// Command fhir.wasm writes and parses the FHIR R4 bundles of the portal's
// "Download my records" and "Import records", with the same Go code as the
// CLI's export --fhir and import (internal/fhir). It holds no key and checks
// nothing of the server's: blindvault.wasm opens and verifies the records it
// is given and writes the entries it returns. It is a module of its own so
// that the FHIR models load only when a patient exports or imports, not with
// every page (blindvault.wasm's size budget, docs/benchmarks.md).
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"syscall/js"
	"time"

	"github.com/blindvault/blindvault/internal/fhir"
	"github.com/blindvault/blindvault/wasm/internal/sidemodule"
)

func main() {
	sidemodule.Serve("fhir.wasm", map[string]sidemodule.Func{"bundle": bundle, "parse": parse})
}

// bundle(recordsJSON) writes the records blindvault.wasm verified and opened
// ([]fhir.Record as JSON) as one Bundle, and returns its bytes.
func bundle(args []js.Value) (any, error) {
	var recs []*fhir.Record
	if err := json.Unmarshal([]byte(sidemodule.Arg(args).String()), &recs); err != nil {
		return nil, sidemodule.Coded("INVALID_ARGUMENT", fmt.Errorf("fhir.wasm: records: %w", err))
	}
	var buf bytes.Buffer
	w, err := fhir.NewWriter(&buf, fhir.NewBundleID(), time.Now())
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		if err := w.Add(r); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return sidemodule.ToBytes(buf.Bytes()), nil
}

// parse(bytes) reads a whole Bundle and returns its entries ([]fhir.Entry
// as JSON) for blindvault.wasm to write, or fails as the SDK's ImportFHIR
// does: TOO_LARGE over a limit, INVALID for anything else it refuses.
func parse(args []js.Value) (any, error) {
	data, err := sidemodule.Bytes(sidemodule.Arg(args), "fhir.wasm: the bundle", int(fhir.DefaultLimits.MaxBytes))
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	entries, err := fhir.Parse(bytes.NewReader(data), nil)
	switch {
	case errors.Is(err, fhir.ErrTooLarge):
		return nil, sidemodule.Coded("TOO_LARGE", fmt.Errorf("import: %w", err))
	case err != nil:
		return nil, sidemodule.Coded("INVALID", fmt.Errorf("import: %w", err))
	}
	out, err := json.Marshal(entries)
	return string(out), err
}
