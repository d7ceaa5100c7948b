package main

import (
	"context"
	"errors"
	"fmt"
	"syscall/js"
)

// The boundary between Go and JavaScript: every asynchronous call becomes a
// Promise settled from its own goroutine, a panic becomes a rejection, and
// every js.Func made for one call is released when the call settles.

var (
	jsObject     = js.Global().Get("Object")
	jsPromise    = js.Global().Get("Promise")
	jsUint8Array = js.Global().Get("Uint8Array")
	jsError      = js.Global().Get("Error")
)

// promise runs fn in a goroutine and returns a Promise of its result. Nothing
// fn does, panics included, escapes but as a rejection with a coded Error.
func promise(fn func(ctx context.Context) (any, error)) js.Value {
	var executor js.Func
	executor = js.FuncOf(func(_ js.Value, args []js.Value) any {
		resolve, reject := args[0], args[1]
		go func() {
			defer executor.Release()
			defer func() {
				if r := recover(); r != nil {
					reject.Invoke(newJSError("INTERNAL", fmt.Sprintf("blindvault: internal error: %v", r)))
				}
			}()
			v, err := fn(context.Background())
			if err != nil {
				reject.Invoke(toJSError(err))
				return
			}
			resolve.Invoke(v)
		}()
		return nil
	})
	return jsPromise.New(executor)
}

// method wraps fn as a JavaScript function returning a Promise; the
// arguments are read inside the Promise, so a wrong one rejects it.
func method(fn func(ctx context.Context, args []js.Value) (any, error)) js.Func {
	return js.FuncOf(func(_ js.Value, args []js.Value) any {
		args = append([]js.Value(nil), args...)
		return promise(func(ctx context.Context) (any, error) { return fn(ctx, args) })
	})
}

// syncFunc wraps fn as a synchronous JavaScript function that returns
// {value} or {error}, for calls that must not wait (the body engine asks for
// padded sizes while Go waits on it).
func syncFunc(fn func(args []js.Value) (any, error)) js.Func {
	return js.FuncOf(func(_ js.Value, args []js.Value) (out any) {
		defer func() {
			if r := recover(); r != nil {
				out = map[string]any{"error": newJSError("INTERNAL", fmt.Sprintf("blindvault: internal error: %v", r))}
			}
		}()
		v, err := fn(args)
		if err != nil {
			return map[string]any{"error": toJSError(err)}
		}
		return map[string]any{"value": v}
	})
}

// await waits for a JavaScript Promise (or any value) from a goroutine.
func await(ctx context.Context, p js.Value) (js.Value, error) {
	if p.Type() != js.TypeObject || p.Get("then").Type() != js.TypeFunction {
		return p, nil
	}
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	onOK := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- result{v: arg(args, 0)}
		return nil
	})
	onErr := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- result{err: fromJSError(arg(args, 0))}
		return nil
	})
	release := func() { onOK.Release(); onErr.Release() }
	p.Call("then", onOK, onErr)
	select {
	case r := <-ch:
		release()
		return r.v, r.err
	case <-ctx.Done():
		// The callbacks stay bound to the Promise until it settles.
		go func() { <-ch; release() }()
		return js.Undefined(), ctx.Err()
	}
}

func arg(args []js.Value, i int) js.Value {
	if i < len(args) {
		return args[i]
	}
	return js.Undefined()
}

// bytesToJS copies b into a new Uint8Array.
func bytesToJS(b []byte) js.Value {
	u := jsUint8Array.New(len(b))
	js.CopyBytesToJS(u, b)
	return u
}

// bytesFromJS copies a Uint8Array (or an ArrayBuffer) into Go, refusing
// anything larger than max bytes.
func bytesFromJS(v js.Value, what string, max int) ([]byte, error) {
	if v.InstanceOf(js.Global().Get("ArrayBuffer")) {
		v = jsUint8Array.New(v)
	}
	if !v.InstanceOf(jsUint8Array) {
		return nil, fmt.Errorf("%w: %s must be a Uint8Array", errArgument, what)
	}
	n := v.Get("byteLength").Int()
	if n > max {
		return nil, fmt.Errorf("%w: %s of %d bytes, at most %d", errArgument, what, n, max)
	}
	b := make([]byte, n)
	js.CopyBytesToGo(b, v)
	return b, nil
}

// fixedFromJS reads a Uint8Array of exactly len(dst) bytes into dst.
func fixedFromJS(dst []byte, v js.Value, what string) error {
	b, err := bytesFromJS(v, what, len(dst))
	if err == nil && len(b) != len(dst) {
		err = fmt.Errorf("%w: %s of %d bytes, want %d", errArgument, what, len(b), len(dst))
	}
	copy(dst, b)
	clear(b)
	return err
}

// str reads a string argument; undefined and null read as "".
func str(v js.Value, what string) (string, error) {
	switch v.Type() {
	case js.TypeString:
		return v.String(), nil
	case js.TypeUndefined, js.TypeNull:
		return "", nil
	}
	return "", fmt.Errorf("%w: %s must be a string", errArgument, what)
}

// field reads a property of an options object, which may be undefined.
func field(opts js.Value, name string) js.Value {
	if opts.Type() != js.TypeObject {
		return js.Undefined()
	}
	return opts.Get(name)
}

// errArgument means JavaScript passed an argument of the wrong type or size.
var errArgument = errors.New("invalid argument")
