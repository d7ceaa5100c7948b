// Package sidemodule is what the browser package's side modules (fhir.wasm,
// pdf.wasm) share: handing their API to blindvault.mjs and answering each
// call as blindvault.wasm's synchronous calls answer, {value} or {error}
// with the SDK's error code. A side module holds no key and checks nothing
// of the server's: blindvault.wasm verifies what it is handed.
package sidemodule

import (
	"errors"
	"fmt"
	"os"
	"syscall/js"
)

// Func is one call of a side module's API.
type Func func(args []js.Value) (any, error)

// Serve hands api to the callback that blindvault.mjs named in argv[1],
// each function synchronous, and then serves calls until the page goes
// away. name is the module's file name, for messages.
func Serve(name string, api map[string]Func) {
	if len(os.Args) < 2 {
		js.Global().Get("console").Call("error", name+": load it through blindvault.mjs")
		return
	}
	obj := map[string]any{}
	for k, fn := range api {
		obj[k] = syncFunc(name, fn)
	}
	js.Global().Get(os.Args[1]).Invoke(js.ValueOf(obj))
	select {}
}

// Arg is args[0], or undefined.
func Arg(args []js.Value) js.Value {
	if len(args) == 0 {
		return js.Undefined()
	}
	return args[0]
}

// Bytes returns a copy of v's bytes, which must be a Uint8Array of at most
// limit bytes.
func Bytes(v js.Value, what string, limit int) ([]byte, error) {
	if !v.InstanceOf(js.Global().Get("Uint8Array")) {
		return nil, Coded("INVALID_ARGUMENT", fmt.Errorf("%s must be a Uint8Array", what))
	}
	n := v.Get("byteLength").Int()
	if n > limit {
		return nil, Coded("TOO_LARGE", fmt.Errorf("%s: more than %d bytes", what, limit))
	}
	data := make([]byte, n)
	js.CopyBytesToGo(data, v)
	return data, nil
}

// ToBytes copies b into a new Uint8Array.
func ToBytes(b []byte) js.Value {
	u := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(u, b)
	return u
}

// codedError carries the code the page's BlindvaultError gets: the SDK's
// code for the same failure (docs/errors.md).
type codedError struct {
	code string
	err  error
}

func (e *codedError) Error() string { return e.err.Error() }
func (e *codedError) Unwrap() error { return e.err }

// Coded gives err the BlindvaultError code code; an error without one is
// ERROR.
func Coded(code string, err error) error { return &codedError{code, err} }

// syncFunc wraps fn as a synchronous JavaScript function that returns
// {value} or {error}.
func syncFunc(name string, fn Func) js.Func {
	return js.FuncOf(func(_ js.Value, args []js.Value) (out any) {
		defer func() {
			if r := recover(); r != nil {
				out = map[string]any{"error": jsError("INTERNAL", fmt.Sprintf("%s: internal error: %v", name, r))}
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
