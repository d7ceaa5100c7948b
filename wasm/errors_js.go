package main

import (
	"errors"
	"syscall/js"

	"github.com/blindvault/blindvault/sdk"
)

// errorCode returns err's code: its own if it came from JavaScript with one,
// INVALID_ARGUMENT for a bad argument to this API, else the SDK's
// (sdk.ErrorCode).
func errorCode(err error) string {
	var je *codedError
	if errors.As(err, &je) {
		return je.code
	}
	if errors.Is(err, errArgument) {
		return "INVALID_ARGUMENT"
	}
	return sdk.ErrorCode(err)
}

// codedError is an error with a code: one thrown by JavaScript (the body
// engine's TRUNCATED, say), carried through Go and back unchanged.
type codedError struct{ code, msg string }

func (e *codedError) Error() string { return e.msg }

// Is matches the SDK error of the same code, so a JavaScript COMMITMENT is
// sdk.CheckCommitment to Go callers.
func (e *codedError) Is(target error) bool {
	code := sdk.ErrorCode(target)
	return code != "ERROR" && code == e.code
}

func newJSError(code, msg string) js.Value {
	e := jsError.New(msg)
	e.Set("code", code)
	e.Set("name", "BlindvaultError")
	return e
}

// toJSError makes err a BlindvaultError for JavaScript: its code, the SDK's
// words for a person when a check failed (explanation), and whether the
// server misbehaved.
func toJSError(err error) js.Value {
	e := newJSError(errorCode(err), err.Error())
	var check sdk.Check
	if errors.As(err, &check) {
		e.Set("explanation", check.Explain())
	}
	e.Set("serverMisbehaved", sdk.ServerMisbehaved(err))
	return e
}

// fromJSError turns a rejection reason into a Go error, keeping its code.
func fromJSError(v js.Value) error {
	if v.Type() == js.TypeObject {
		msg := v.Get("message")
		code := v.Get("code")
		m := "javascript error"
		if msg.Type() == js.TypeString {
			m = msg.String()
		}
		if code.Type() == js.TypeString && code.String() != "" {
			return &codedError{code: code.String(), msg: m}
		}
		if v.Get("name").Type() == js.TypeString && v.Get("name").String() == "AbortError" {
			return &codedError{code: "ABORTED", msg: m}
		}
		return errors.New(m)
	}
	return errors.New(v.String())
}
