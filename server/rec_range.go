package server

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/blindvault/blindvault/internal/api"
)

// Bodies are served with single HTTP ranges (RFC 9110 §14). Offsets are plain
// ciphertext offsets: a client computes them from the signed ciphertext_len and
// chunk layout, never from what the server says.

// errRange is a Range the server will not serve: malformed, several ranges,
// or none overlapping the body. It becomes 416 with Content-Range: bytes */size.
type errRange struct{ size int64 }

func (e *errRange) Error() string { return "unsatisfiable range" }

// parseRange reads a Range header for a body of size bytes and returns the
// span to send; partial is false when there is no Range header.
func parseRange(header string, size int64) (off, n int64, partial bool, err error) {
	if header == "" {
		return 0, size, false, nil
	}
	bad := &errRange{size}
	spec, ok := strings.CutPrefix(header, "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return 0, 0, false, bad
	}
	first, last, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return 0, 0, false, bad
	}
	if first == "" { // suffix: the last n bytes
		k, ok := digits(last)
		if !ok || k == 0 {
			return 0, 0, false, bad
		}
		k = min(k, size)
		return size - k, k, true, nil
	}
	a, ok := digits(first)
	if !ok || a >= size {
		return 0, 0, false, bad
	}
	b := size - 1
	if last != "" {
		if b, ok = digits(last); !ok || b < a {
			return 0, 0, false, bad
		}
		b = min(b, size-1)
	}
	return a, b - a + 1, true, nil
}

// digits parses a non-empty run of ASCII digits that fits an int64.
func digits(s string) (int64, bool) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// writeRangeError answers 416 for an unsatisfiable range.
func writeRangeError(w http.ResponseWriter, e *errRange) {
	w.Header().Set("Content-Range", "bytes */"+strconv.FormatInt(e.size, 10))
	writeJSON(w, http.StatusRequestedRangeNotSatisfiable, api.Error{Error: api.ErrorDetail{
		Code: "bad_range", Message: "a single range within the body is required"}})
}
