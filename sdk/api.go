package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/blindvault/blindvault/internal/api"
)

// HTTP statuses the client acts on. net/http is not imported here: it would
// add a megabyte to the WebAssembly build (size budget: docs/benchmarks.md,
// Browser).
const (
	statusCreated         = 201
	statusPartial         = 206
	statusUnauthorized    = 401
	statusForbidden       = 403
	statusNotFound        = 404
	statusConflict        = 409
	statusPrecondition    = 412
	statusTooManyRequests = 429
	statusUnavailable     = 503
)

// maxAPIResponse bounds a JSON answer (a page of 1000 chain entries is ~6 MB).
const maxAPIResponse = 32 << 20

// APIError is an error answer of the server. errors.Is matches it against
// ErrNotFound (404), ErrForbidden (401, 403), ErrConflict (409, 412),
// ErrRateLimited (429) and ErrUnreachable (503: the server is up but its
// storage is not; a write that got it may have been stored).
type APIError struct {
	Status  int
	Code    string
	Message string
	// RetryAfter is the wait a 429 or a 503 asks for (zero if it names none).
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	return fmt.Sprintf("server: %d %s: %s", e.Status, e.Code, e.Message)
}

func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Status == statusNotFound
	case ErrForbidden:
		return e.Status == statusForbidden || e.Status == statusUnauthorized
	case ErrConflict:
		return e.Status == statusConflict || e.Status == statusPrecondition
	case ErrRateLimited:
		return e.Status == statusTooManyRequests
	case ErrUnreachable:
		return e.Status == statusUnavailable
	}
	return false
}

// isStatus reports whether err is an APIError with the given status.
func isStatus(err error, status int) bool {
	var e *APIError
	return errors.As(err, &e) && e.Status == status
}

// isCode reports whether err is an APIError with the given error code.
func isCode(err error, code string) bool {
	var e *APIError
	return errors.As(err, &e) && e.Code == code
}

// send makes one request with the session token, if any, and turns an error
// status into an *APIError. The caller closes the body of a success.
func (c *Client) send(ctx context.Context, req *request) (*response, error) {
	if req.Header == nil {
		req.Header = map[string]string{}
	}
	if c.token != "" {
		req.Header["Authorization"] = "Bearer " + c.token
	}
	resp, err := c.transport.RoundTrip(ctx, req)
	if err != nil {
		return nil, err
	}
	if resp.Status < 400 {
		return resp, nil
	}
	defer resp.Body.Close()
	var body api.Error
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_ = json.Unmarshal(data, &body)
	ae := &APIError{Status: resp.Status, Code: body.Error.Code, Message: body.Error.Message}
	if s, err := strconv.Atoi(resp.Get("Retry-After")); err == nil && s >= 0 {
		ae.RetryAfter = time.Duration(s) * time.Second
	}
	return nil, ae
}

// maxRateWait is the longest a rate-limited request waits to be retried; a
// longer wait (the backup lockout's) is returned to the caller as
// ErrRateLimited.
const maxRateWait = 5 * time.Second

// waitRetry reports whether err is worth waiting out, and waits: a 429, or
// a 503 (storage unavailable) to a read. A write that got a 503 may have been
// stored, so it is the caller's to retry (ErrUnreachable), as after a lost
// connection.
func waitRetry(ctx context.Context, method string, err error, attempt int) bool {
	var ae *APIError
	if !errors.As(err, &ae) || ae.RetryAfter > maxRateWait || attempt >= 3 {
		return false
	}
	read := method == "GET" || method == "HEAD"
	if ae.Status != statusTooManyRequests && (ae.Status != statusUnavailable || !read) {
		return false
	}
	wait := max(ae.RetryAfter, 100*time.Millisecond)
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// call sends in as JSON (no body if nil) and decodes the answer into out (if
// not nil), with stream's retries.
func (c *Client) call(ctx context.Context, method, path string, in, out any) error {
	var header map[string]string
	var open func() (io.Reader, int64, error)
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return err
		}
		header = map[string]string{"Content-Type": "application/json"}
		open = func() (io.Reader, int64, error) { return bytes.NewReader(data), int64(len(data)), nil }
	}
	resp, err := c.stream(ctx, method, path, header, open)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxAPIResponse)).Decode(out); err != nil {
		return fmt.Errorf("%s %s: %w: answer does not decode: %w", method, path, ErrInvalid, err)
	}
	return nil
}

// stream sends a request whose body comes from open (called again on a retry)
// and returns the answer for the caller to read. It waits out a rate limit,
// and a read's 503, (up to a bound) and, if the session has lapsed, logs the device in again
// once.
func (c *Client) stream(ctx context.Context, method, path string, header map[string]string, open func() (io.Reader, int64, error)) (*response, error) {
	for attempt := 0; ; attempt++ {
		req := &request{Method: method, Path: path, Header: map[string]string{}}
		for k, v := range header {
			req.Header[k] = v
		}
		if open != nil {
			body, n, err := open()
			if err != nil {
				return nil, err
			}
			req.Body, req.ContentLength = body, n
		}
		resp, err := c.send(ctx, req)
		if err != nil && waitRetry(ctx, method, err, attempt) {
			continue
		}
		if err != nil && attempt == 0 && c.token != "" && isStatus(err, statusUnauthorized) {
			if err := c.startSession(ctx); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", method, path, err)
		}
		return resp, nil
	}
}
