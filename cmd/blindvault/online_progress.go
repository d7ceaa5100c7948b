package main

import (
	"context"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/blindvault/blindvault/internal/bridge"
	"github.com/blindvault/blindvault/sdk"
)

// progressTransport is the SDK's HTTP transport with progress bars (on a
// terminal, for large transfers) on record uploads and body downloads.
type progressTransport struct {
	inner bridge.Transport
	// upload and download label the bars; empty means none.
	upload, download string
}

func newProgressTransport(server string) *progressTransport {
	return &progressTransport{inner: sdk.NewHTTPTransport(server, nil)}
}

func (t *progressTransport) RoundTrip(ctx context.Context, req *bridge.Request) (*bridge.Response, error) {
	var up *progress
	if t.upload != "" && req.Body != nil && req.ContentLength >= progressThreshold {
		up = startProgress(t.upload, req.ContentLength)
		req.Body = up.Reader(req.Body)
	}
	resp, err := t.inner.RoundTrip(ctx, req)
	up.Stop()
	if err != nil || t.download == "" || req.Method != "GET" || !strings.HasSuffix(pathOnly(req.Path), "/body") {
		return resp, err
	}
	total := int64(-1)
	if n, err := strconv.ParseInt(resp.Header["Content-Length"], 10, 64); err == nil && n >= 0 {
		total = n
	}
	if bar := startProgress(t.download, total); bar != nil {
		resp.Body = &progressBody{Reader: bar.Reader(resp.Body), body: resp.Body, bar: bar}
	}
	return resp, nil
}

func pathOnly(p string) string {
	path, _, _ := strings.Cut(p, "?")
	return path
}

// progressBody ends its bar when the SDK closes the body.
type progressBody struct {
	io.Reader
	body io.Closer
	bar  *progress
	once sync.Once
}

func (b *progressBody) Close() error {
	b.once.Do(b.bar.Stop)
	return b.body.Close()
}

// inputBar shows the progress of reading an input (on a terminal, if large) and
// ends its line at EOF, before the upload's own bar starts. stop may be called
// again after that.
func inputBar(label string, total int64, r io.Reader) (io.Reader, func()) {
	bar := startProgress(label, total)
	if bar == nil {
		return r, func() {}
	}
	stop := sync.OnceFunc(bar.Stop)
	return &stopAtEOF{r: bar.Reader(r), stop: stop}, stop
}

type stopAtEOF struct {
	r    io.Reader
	stop func()
}

func (s *stopAtEOF) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err == io.EOF {
		s.stop()
	}
	return n, err
}
