//go:build !js

package sdk

import (
	"context"
	"fmt"
	"github.com/blindvault/blindvault/internal/bridge"
	"net/http"
	"strings"
)

// NewHTTPTransport returns a transport for Config.Transport (or
// Witness.Transport) that sends requests to the server at baseURL with client
// (http.DefaultClient if nil): a proxy, TLS settings or timeouts of the
// caller's.
func NewHTTPTransport(baseURL string, client *http.Client) bridge.Transport {
	if client == nil {
		client = http.DefaultClient
	}
	return &httpTransport{base: strings.TrimRight(baseURL, "/"), client: client}
}

type httpTransport struct {
	base   string
	client *http.Client
}

func (t *httpTransport) RoundTrip(ctx context.Context, req *request) (*response, error) {
	r, err := http.NewRequestWithContext(ctx, req.Method, t.base+req.Path, req.Body)
	if err != nil {
		return nil, err
	}
	if req.Body != nil {
		r.ContentLength = req.ContentLength
	}
	for k, v := range req.Header {
		r.Header.Set(k, v)
	}
	resp, err := t.client.Do(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	h := make(map[string]string, len(resp.Header))
	for k, v := range resp.Header {
		if len(v) > 0 {
			h[k] = v[0]
		}
	}
	return &response{Status: resp.StatusCode, Header: h, Body: resp.Body}, nil
}

// defaultTransport is the transport Connect uses when none is configured.
func defaultTransport(baseURL string) (transport, error) {
	return NewHTTPTransport(baseURL, nil), nil
}
