package bridge

import (
	"context"
	"io"
)

// Transport carries one HTTP request to the server and returns its answer. The
// native build uses net/http; the browser build supplies a fetch bridge, so
// that net/http stays out of the WebAssembly binary and no client logic is
// written twice.
type Transport interface {
	RoundTrip(ctx context.Context, req *Request) (*Response, error)
}

// Request is one API call. Path is relative to the server URL ("/v1/…", with
// any query). Body, if not nil, is sent with ContentLength bytes (-1: unknown).
type Request struct {
	Method        string
	Path          string
	Header        map[string]string
	Body          io.Reader
	ContentLength int64
}

// Response is the server's answer. The caller closes Body.
type Response struct {
	Status int
	Header map[string]string // canonical header names (textproto), first value only
	Body   io.ReadCloser
}

// Get returns a response header by name, in any case.
func (r *Response) Get(name string) string {
	return r.Header[CanonicalHeaderKey(name)]
}

// CanonicalHeaderKey returns name in the canonical form of Response.Header
// keys ("content-type" becomes "Content-Type"), as net/textproto does;
// net/textproto itself is not imported because it brings package net into the
// WebAssembly build.
func CanonicalHeaderKey(name string) string {
	b := []byte(name)
	upper := true
	for i, c := range b {
		switch {
		case upper && 'a' <= c && c <= 'z':
			b[i] = c - ('a' - 'A')
		case !upper && 'A' <= c && c <= 'Z':
			b[i] = c + ('a' - 'A')
		}
		upper = c == '-'
	}
	return string(b)
}
