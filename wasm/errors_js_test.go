package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/blindvault/blindvault/sdk"
)

// The wasm build's codes are the SDK's, plus its own for JavaScript callers.
func TestErrorCode_FromSDK(t *testing.T) {
	for _, err := range []error{sdk.CheckRollback, sdk.ErrRevoked, sdk.CheckLeafMismatch, sdk.ErrInvalid, context.Canceled} {
		if got, want := errorCode(fmt.Errorf("wrapped: %w", err)), sdk.ErrorCode(err); got != want {
			t.Errorf("errorCode(%v) = %s, want sdk.ErrorCode's %s", err, got, want)
		}
	}
	if got := errorCode(fmt.Errorf("%w: not a string", errArgument)); got != "INVALID_ARGUMENT" {
		t.Errorf("errorCode(bad argument) = %s, want INVALID_ARGUMENT", got)
	}
	dts, err := os.ReadFile("js/blindvault.d.ts")
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{"INVALID_ARGUMENT", "INTERNAL", "ABORTED"} {
		if !strings.Contains(string(dts), "'"+code+"'") {
			t.Errorf("code %s is missing from ErrorCode in js/blindvault.d.ts", code)
		}
	}
}

func TestCodedError_RoundTrip(t *testing.T) {
	e := fromJSError(newJSError("TRUNCATED", "body ends inside chunk 3"))
	if !errors.Is(e, sdk.CheckTruncated) || errorCode(fmt.Errorf("seal: %w", e)) != "TRUNCATED" || e.Error() != "body ends inside chunk 3" {
		t.Errorf("fromJSError(TRUNCATED) = %v (code %s), want it to be sdk.CheckTruncated", e, errorCode(e))
	}
	v := toJSError(fmt.Errorf("get: %w", sdk.ErrRevoked))
	if v.Get("code").String() != "REVOKED" || v.Get("name").String() != "BlindvaultError" || v.Get("serverMisbehaved").Bool() {
		t.Errorf("toJSError(ErrRevoked) = code %s name %s", v.Get("code"), v.Get("name"))
	}
	v = toJSError(fmt.Errorf("get: %w", sdk.CheckRollback))
	if v.Get("explanation").String() != sdk.CheckRollback.Explain() || !v.Get("serverMisbehaved").Bool() {
		t.Errorf("toJSError(CheckRollback) = explanation %q, serverMisbehaved %v", v.Get("explanation"), v.Get("serverMisbehaved"))
	}
}

// A panic in an operation rejects its Promise; it never reaches JavaScript as
// a crash of the Go program.
func TestPromise_PanicRejects(t *testing.T) {
	_, err := await(context.Background(), promise(func(context.Context) (any, error) { panic("boom") }))
	if errorCode(err) != "INTERNAL" {
		t.Errorf("await(promise that panics) = %v, want an INTERNAL error", err)
	}
	v, err := await(context.Background(), promise(func(context.Context) (any, error) { return "ok", nil }))
	if err != nil || v.String() != "ok" {
		t.Errorf("await(promise) = %v, %v; want ok", v, err)
	}
	_, err = await(context.Background(), promise(func(context.Context) (any, error) { return nil, sdk.CheckRollback }))
	if !errors.Is(err, sdk.CheckRollback) {
		t.Errorf("await(promise failing with ErrRollback) = %v, want ErrRollback", err)
	}
}
