package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"syscall/js"

	"github.com/blindvault/blindvault/internal/bridge"
	"github.com/blindvault/blindvault/sdk"
)

// fetchTransport is the SDK's Transport in the browser: each request is one
// fetch(). net/http stays out of the build, for the size budget of
// docs/benchmarks.md (Browser).
type fetchTransport struct {
	base  string   // the server's URL, no trailing slash
	fetch js.Value // globalThis.fetch, or the caller's
}

// maxGoBody bounds a request body built in Go: JSON calls, and frame heads.
const maxGoBody = 64 << 20

func (t *fetchTransport) RoundTrip(ctx context.Context, req *bridge.Request) (*bridge.Response, error) {
	init := jsObject.New()
	init.Set("method", req.Method)
	// Sessions are bearer tokens: no cookies are sent, no redirect is followed
	// and nothing is cached.
	init.Set("credentials", "omit")
	init.Set("redirect", "error")
	init.Set("cache", "no-store")
	headers := jsObject.New()
	for k, v := range req.Header {
		headers.Set(k, v)
	}
	init.Set("headers", headers)
	if req.Body != nil {
		body, err := requestBody(req.Body)
		if err != nil {
			return nil, err
		}
		init.Set("body", body)
	}
	ac := js.Global().Get("AbortController").New()
	init.Set("signal", ac.Get("signal"))
	stop := context.AfterFunc(ctx, func() { ac.Call("abort") })

	resp, err := await(ctx, t.fetch.Invoke(t.base+req.Path, init))
	if err != nil {
		stop()
		return nil, fmt.Errorf("%w: %w", sdk.ErrUnreachable, err)
	}
	h := map[string]string{}
	each := js.FuncOf(func(_ js.Value, args []js.Value) any {
		k := bridge.CanonicalHeaderKey(arg(args, 1).String())
		if _, seen := h[k]; !seen {
			h[k] = arg(args, 0).String()
		}
		return nil
	})
	resp.Get("headers").Call("forEach", each)
	each.Release()
	return &bridge.Response{Status: resp.Get("status").Int(), Header: h, Body: &fetchBody{ctx: ctx, resp: resp, stop: stop}}, nil
}

// requestBody makes a fetch body: a SplicedBody whose tail is a Blob of
// ciphertext goes as a Blob of both, never through Go; anything else is
// small and copied.
func requestBody(r io.Reader) (js.Value, error) {
	if sb, ok := r.(*bridge.SplicedBody); ok {
		if b, ok := sb.Tail.(*blobBody); ok {
			parts := js.Global().Get("Array").New(bytesToJS(sb.Head), b.blob)
			return js.Global().Get("Blob").New(parts), nil
		}
	}
	b, err := io.ReadAll(io.LimitReader(r, maxGoBody+1))
	if err != nil {
		return js.Undefined(), err
	}
	if len(b) > maxGoBody {
		return js.Undefined(), fmt.Errorf("%w: request body over %d bytes built in Go", sdk.ErrTooLarge, maxGoBody)
	}
	return bytesToJS(b), nil
}

// blobBody is a body held in JavaScript as a Blob, the ciphertext of a
// PutSealed. Go never reads it: the transport hands the Blob to fetch.
type blobBody struct{ blob js.Value }

func (b *blobBody) Read([]byte) (int, error) {
	return 0, fmt.Errorf("blindvault: a browser Blob body is sent by the fetch transport only")
}

// fetchBody is a response body. Go reads JSON answers through it; the record
// body engine takes the Response itself, and then Go lets it go.
type fetchBody struct {
	ctx      context.Context
	resp     js.Value
	reader   js.Value
	buf      []byte
	eof      bool
	detached bool
	stop     func() bool
}

func (b *fetchBody) Read(p []byte) (int, error) {
	if b.detached {
		return 0, io.ErrClosedPipe
	}
	for len(b.buf) == 0 {
		if b.eof {
			return 0, io.EOF
		}
		if b.reader.IsUndefined() {
			if b.resp.Get("body").IsNull() {
				b.eof = true
				continue
			}
			b.reader = b.resp.Get("body").Call("getReader")
		}
		r, err := await(b.ctx, b.reader.Call("read"))
		if err != nil {
			return 0, err
		}
		if r.Get("done").Bool() {
			b.eof = true
			continue
		}
		v := r.Get("value")
		b.buf = make([]byte, v.Get("byteLength").Int())
		js.CopyBytesToGo(b.buf, v)
	}
	n := copy(p, b.buf)
	b.buf = b.buf[n:]
	return n, nil
}

func (b *fetchBody) Close() error {
	b.stop()
	if b.detached {
		return nil
	}
	b.detached = true
	if !b.reader.IsUndefined() {
		b.reader.Call("cancel")
	} else if body := b.resp.Get("body"); !body.IsNull() && !body.Get("locked").Bool() {
		body.Call("cancel")
	}
	return nil
}

// detach hands the Response to JavaScript: Go neither reads nor cancels it.
func (b *fetchBody) detach() js.Value {
	b.detached = true
	return b.resp
}

var _ bridge.Transport = (*fetchTransport)(nil)

func trimBase(u string) string { return strings.TrimRight(u, "/") }
