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
	"os"
	"syscall/js"
	"time"

	"github.com/blindvault/blindvault/internal/fhir"
)

// main hands the API to the callback that blindvault.mjs named in argv[1]
// and then serves calls until the page goes away.
func main() {
	if len(os.Args) < 2 {
		js.Global().Get("console").Call("error", "fhir.wasm: load it through blindvault.mjs")
		return
	}
	api := map[string]any{
		"bundle": syncFunc(bundle),
		"parse":  syncFunc(parse),
	}
	js.Global().Get(os.Args[1]).Invoke(js.ValueOf(api))
	select {}
}

// bundle(recordsJSON) writes the records blindvault.wasm verified and opened
// ([]fhir.Record as JSON) as one Bundle, and returns its bytes.
func bundle(args []js.Value) (any, error) {
	var recs []*fhir.Record
	if err := json.Unmarshal([]byte(arg(args).String()), &recs); err != nil {
		return nil, coded("INVALID_ARGUMENT", fmt.Errorf("fhir.wasm: records: %w", err))
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
	u := js.Global().Get("Uint8Array").New(buf.Len())
	js.CopyBytesToJS(u, buf.Bytes())
	return u, nil
}

// parse(bytes) reads a whole Bundle and returns its entries ([]fhir.Entry
// as JSON) for blindvault.wasm to write, or fails as the SDK's ImportFHIR
// does: TOO_LARGE over a limit, INVALID for anything else it refuses.
func parse(args []js.Value) (any, error) {
	v := arg(args)
	if !v.InstanceOf(js.Global().Get("Uint8Array")) {
		return nil, coded("INVALID_ARGUMENT", errors.New("fhir.wasm: the bundle must be a Uint8Array"))
	}
	n := v.Get("byteLength").Int()
	if int64(n) > fhir.DefaultLimits.MaxBytes {
		return nil, coded("TOO_LARGE", fmt.Errorf("import: %w: more than %d bytes", fhir.ErrTooLarge, fhir.DefaultLimits.MaxBytes))
	}
	data := make([]byte, n)
	js.CopyBytesToGo(data, v)
	entries, err := fhir.Parse(bytes.NewReader(data), nil)
	switch {
	case errors.Is(err, fhir.ErrTooLarge):
		return nil, coded("TOO_LARGE", fmt.Errorf("import: %w", err))
	case err != nil:
		return nil, coded("INVALID", fmt.Errorf("import: %w", err))
	}
	out, err := json.Marshal(entries)
	return string(out), err
}

func arg(args []js.Value) js.Value {
	if len(args) == 0 {
		return js.Undefined()
	}
	return args[0]
}

// codedError carries the code the page's BlindvaultError gets: the SDK's
// code for the same failure (docs/errors.md).
type codedError struct {
	code string
	err  error
}

func (e *codedError) Error() string { return e.err.Error() }

func coded(code string, err error) error { return &codedError{code, err} }

// syncFunc wraps fn as a synchronous JavaScript function that returns
// {value} or {error}, as blindvault.wasm's synchronous calls do.
func syncFunc(fn func(args []js.Value) (any, error)) js.Func {
	return js.FuncOf(func(_ js.Value, args []js.Value) (out any) {
		defer func() {
			if r := recover(); r != nil {
				out = map[string]any{"error": jsError("INTERNAL", fmt.Sprintf("fhir.wasm: internal error: %v", r))}
			}
		}()
		v, err := fn(args)
		if err != nil {
			code := "ERROR"
			var ce *codedError
			if errors.As(err, &ce) {
				code = ce.code
			}
			return map[string]any{"error": jsError(code, err.Error())}
		}
		return map[string]any{"value": v}
	})
}

func jsError(code, msg string) js.Value {
	e := js.Global().Get("Error").New(msg)
	e.Set("code", code)
	e.Set("name", "BlindvaultError")
	return e
}
