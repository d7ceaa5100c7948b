//go:build !js

package transporttest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/servertest"
)

// firstPart is how much of a body the streaming handlers move before they
// wait for the other side: the transport must have passed it on by then.
const firstPart = 16 << 10

// maxEcho bounds what the echo handler reads.
const maxEcho = 64 << 20

// patience bounds every wait of the suite, on either side.
const patience = 10 * time.Second

// fixture is a real server (servertest) with a few routes of the suite's own
// under /transporttest/ beside the API, and the signals they exchange with
// the test.
type fixture struct {
	*servertest.Server
	release   chan struct{} // closed by letGo: /stream may write its second part
	once      sync.Once
	gotFirst  chan struct{} // /upload has read the first part of its body
	hanging   chan struct{} // /hang has its request
	cancelled chan struct{} // /hang saw its request cancelled
}

// letGo lets /stream finish its answers.
func (f *fixture) letGo() { f.once.Do(func() { close(f.release) }) }

func startFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{release: make(chan struct{}), gotFirst: make(chan struct{}, 1),
		hanging: make(chan struct{}, 1), cancelled: make(chan struct{}, 1)}
	t.Cleanup(f.letGo)
	f.Server = servertest.StartBehind(t, server.Config{}, func(api http.Handler) http.Handler {
		mux := http.NewServeMux()
		mux.Handle("/", api)
		mux.HandleFunc("/transporttest/echo", echo)
		mux.HandleFunc("/transporttest/headers", headers)
		mux.HandleFunc("/transporttest/status/{code}", status)
		mux.HandleFunc("/transporttest/stream", f.stream)
		mux.HandleFunc("/transporttest/upload", f.upload)
		mux.HandleFunc("/transporttest/hang", f.hang)
		mux.HandleFunc("/transporttest/drop", drop)
		return mux
	})
	return f
}

// echo answers with the request body and, in headers, what it saw of the
// request line and framing.
func echo(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxEcho))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Transporttest-Method", r.Method)
	h.Set("Transporttest-Query", r.URL.RawQuery)
	h.Set("Transporttest-Content-Length", strconv.FormatInt(r.ContentLength, 10))
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
}

// headers answers with the request's headers as JSON, and sets response
// headers the transport must hand on: one written in lower case on the wire,
// and one with two values.
func headers(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h["transporttest-lower"] = []string{"lower"} // sent as written
	h.Add("Transporttest-Multi", "first")
	h.Add("Transporttest-Multi", "second")
	h.Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(r.Header)
}

// status answers with the status code in the path and, where HTTP allows a
// body, a short one.
func status(w http.ResponseWriter, r *http.Request) {
	code, err := strconv.Atoi(r.PathValue("code"))
	if err != nil || code < 200 || code > 599 {
		http.Error(w, "bad code", http.StatusBadRequest)
		return
	}
	if code == http.StatusNoContent || code == http.StatusNotModified {
		w.WriteHeader(code)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	io.WriteString(w, "status "+strconv.Itoa(code))
}

// stream writes ?size= bytes of pattern: firstPart of them, flushed, then
// the rest only after the test released it (or the request ended).
func (f *fixture) stream(w http.ResponseWriter, r *http.Request) {
	size, err := strconv.Atoi(r.URL.Query().Get("size"))
	if err != nil || size < firstPart {
		http.Error(w, "bad size", http.StatusBadRequest)
		return
	}
	body := pattern(size)
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Write(body[:firstPart])
	http.NewResponseController(w).Flush()
	select {
	case <-f.release:
	case <-r.Context().Done():
		return
	case <-time.After(patience):
		return
	}
	w.Write(body[firstPart:])
}

// upload reads firstPart bytes of the body, says so, then reads the rest and
// answers with its length and SHA-256.
func (f *fixture) upload(w http.ResponseWriter, r *http.Request) {
	first := make([]byte, firstPart)
	if _, err := io.ReadFull(r.Body, first); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	signal(f.gotFirst)
	hash := sha256.New()
	hash.Write(first)
	n, err := io.Copy(hash, io.LimitReader(r.Body, maxEcho))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, strconv.FormatInt(firstPart+n, 10)+" "+hex.EncodeToString(hash.Sum(nil)))
}

// hang answers only when the request is cancelled, and says that it was.
func (f *fixture) hang(w http.ResponseWriter, r *http.Request) {
	signal(f.hanging)
	select {
	case <-r.Context().Done():
		signal(f.cancelled)
	case <-time.After(patience):
		http.Error(w, "the request was never cancelled", http.StatusGatewayTimeout)
	}
}

// signal sends on a channel with room for one signal, without blocking.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// drop closes the connection without an answer.
func drop(w http.ResponseWriter, r *http.Request) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	conn.Close()
}

// pattern returns n bytes that repeat only every 251 bytes, so that a lost,
// doubled or reordered run of bytes shows unless its length is a multiple of
// 251.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}

// hashHex is the SHA-256 of b in hex, as /upload answers it.
func hashHex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
