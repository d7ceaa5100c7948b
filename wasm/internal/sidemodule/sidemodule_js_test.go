package sidemodule

import (
	"errors"
	"fmt"
	"syscall/js"
	"testing"
)

// call runs fn as the page would and returns {value} or {error}.
func call(t *testing.T, fn Func, args ...any) js.Value {
	t.Helper()
	f := syncFunc("test.wasm", fn)
	defer f.Release()
	return f.Invoke(args...)
}

// TestSyncFunc_Codes: a side module's failures reach the page as
// BlindvaultErrors with the SDK's code, and a panic as INTERNAL, never a
// crash of the module.
func TestSyncFunc_Codes(t *testing.T) {
	for _, c := range []struct {
		fn   Func
		code string
	}{
		{func([]js.Value) (any, error) { return nil, Coded("TOO_LARGE", errors.New("big")) }, "TOO_LARGE"},
		{func([]js.Value) (any, error) {
			return nil, fmt.Errorf("wrapped: %w", Coded("INVALID", errors.New("bad")))
		}, "INVALID"},
		{func([]js.Value) (any, error) { return nil, errors.New("plain") }, "ERROR"},
		{func([]js.Value) (any, error) { panic("boom") }, "INTERNAL"},
	} {
		r := call(t, c.fn)
		e := r.Get("error")
		if e.IsUndefined() || e.Get("code").String() != c.code || e.Get("name").String() != "BlindvaultError" {
			t.Errorf("error = %v, want a BlindvaultError with code %s", e, c.code)
		}
	}
	r := call(t, func(args []js.Value) (any, error) { return Arg(args).String() + "!", nil }, "hi")
	if got := r.Get("value").String(); got != "hi!" || !r.Get("error").IsUndefined() {
		t.Errorf("value = %q, error %v; want hi!", got, r.Get("error"))
	}
}

// TestBytes_Bounds: bytes from the page are copied in only as a Uint8Array
// within the limit.
func TestBytes_Bounds(t *testing.T) {
	in := ToBytes([]byte("abc"))
	if got, err := Bytes(in, "x", 3); err != nil || string(got) != "abc" {
		t.Fatalf("Bytes(3 bytes, limit 3) = %q, %v", got, err)
	}
	var ce *codedError
	if _, err := Bytes(in, "x", 2); !errors.As(err, &ce) || ce.code != "TOO_LARGE" {
		t.Errorf("Bytes(3 bytes, limit 2) = %v, want TOO_LARGE", err)
	}
	if _, err := Bytes(js.ValueOf("abc"), "x", 10); !errors.As(err, &ce) || ce.code != "INVALID_ARGUMENT" {
		t.Errorf("Bytes(a string) = %v, want INVALID_ARGUMENT", err)
	}
	if !Arg(nil).IsUndefined() {
		t.Errorf("Arg(no args) is not undefined")
	}
}
