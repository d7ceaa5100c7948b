package main

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/servertest"
)

// The messages a person sees when the server misbehaves or fails: run
// in-process against a real server behind a handler that rewrites its answers
// as a malicious operator (or a broken network) would.

// tamperHook answers one request in place of the real server, which it may
// call through next.
type tamperHook func(w http.ResponseWriter, r *http.Request, next http.Handler)

// tamperServer is a real server whose answers a test can rewrite. Its origin
// is its own URL, so profiles talk to it as to any server.
type tamperServer struct {
	URL   string
	mu    sync.Mutex
	hooks map[string]tamperHook // by "METHOD /path"
}

func startTamperServer(t *testing.T) *tamperServer {
	t.Helper()
	s := &tamperServer{hooks: map[string]tamperHook{}}
	s.URL = servertest.StartBehind(t, server.Config{}, func(real http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.mu.Lock()
			h := s.hooks[r.Method+" "+r.URL.Path]
			s.mu.Unlock()
			if h == nil {
				real.ServeHTTP(w, r)
				return
			}
			h(w, r, real)
		})
	}).URL
	return s
}

// attack makes the server answer method path with h until the (sub)test ends.
func (s *tamperServer) attack(t *testing.T, method, path string, h tamperHook) {
	key := method + " " + path
	s.mu.Lock()
	s.hooks[key] = h
	s.mu.Unlock()
	t.Cleanup(func() {
		s.mu.Lock()
		delete(s.hooks, key)
		s.mu.Unlock()
	})
}

// rewriteBody serves the real answer with its body passed through edit,
// without a Content-Length: a body cut short ends cleanly, as if complete.
func rewriteBody(edit func([]byte) []byte) tamperHook {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			if k != "Content-Length" {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(rec.Code)
		w.Write(edit(rec.Body.Bytes()))
	}
}

// askFor answers as the real server answers path instead.
func askFor(path string) tamperHook {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		r2 := r.Clone(r.Context())
		r2.URL.Path, r2.URL.RawPath = path, ""
		next.ServeHTTP(w, r2)
	}
}

// failWith answers status without passing the request on.
func failWith(status int) tamperHook {
	return func(w http.ResponseWriter, r *http.Request, _ http.Handler) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprint(w, `{"error":{"code":"unavailable","message":"try later"}}`)
	}
}

// hangUp drops the connection without an answer, as a stopped server or a
// broken network does.
func hangUp() tamperHook {
	return func(w http.ResponseWriter, r *http.Request, _ http.Handler) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	}
}

// msgWorld is two patients on a tampering server, alice owning a record of
// several chunks that she shared with bob.
type msgWorld struct {
	srv        *tamperServer
	dir        string
	alice, bob []string // --home and --passphrase-file
	bobPass    string
	id         string
	body       []byte
}

func newMsgWorld(t *testing.T) *msgWorld {
	t.Helper()
	w := &msgWorld{srv: startTamperServer(t), dir: t.TempDir()}
	p := func(n string) string { return filepath.Join(w.dir, n) }
	os.WriteFile(p("alice.pass"), []byte("correct horse battery staple 42\n"), 0o600)
	os.WriteFile(p("bob.pass"), []byte("bob's own long passphrase, 2026\n"), 0o600)
	w.bobPass = p("bob.pass")
	w.alice = []string{"--home", p("alice"), "--passphrase-file", p("alice.pass")}
	w.bob = []string{"--home", p("bob"), "--passphrase-file", p("bob.pass")}
	mustCLI(t, append([]string{"register", "--server", w.srv.URL, "--name", "alice"}, w.alice...)...)
	mustCLI(t, append([]string{"register", "--server", w.srv.URL, "--name", "bob"}, w.bob...)...)
	w.body = make([]byte, 200<<10) // about 13 chunks
	rand.Read(w.body)
	os.WriteFile(p("scan.bin"), w.body, 0o600)
	out := mustCLI(t, append([]string{"put", p("scan.bin")}, w.alice...)...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	w.id = lines[len(lines)-1]
	mustCLI(t, append([]string{"share", w.id, "--with", "bob"}, w.alice...)...)
	return w
}

func with(args []string, who []string) []string {
	return append(append([]string(nil), args...), who...)
}

func wantPhrases(t *testing.T, what, got string, phrases ...string) {
	t.Helper()
	for _, p := range phrases {
		if !strings.Contains(got, p) {
			t.Errorf("%s: the message lacks %q:\n%s", what, p, got)
		}
	}
}

func TestMessages_GetCutOrAlteredBody(t *testing.T) {
	w := newMsgWorld(t)
	bodyPath := fmt.Sprintf("/v1/records/%s/versions/1/body", w.id)
	for _, c := range []struct {
		name   string
		edit   func([]byte) []byte
		phrase string
	}{
		{"cut", func(b []byte) []byte { return b[:len(b)*2/3] }, "cut short"},
		{"altered", func(b []byte) []byte {
			b = bytes.Clone(b)
			b[len(b)*2/3] ^= 1
			return b
		}, "does not match what its author signed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w.srv.attack(t, "GET", bodyPath, rewriteBody(c.edit))

			// To stdout: what was printed is a verified start, but not the
			// record, and the message says so instead of "nothing was used".
			code, out, errs := cli(t, with([]string{"get", w.id}, w.alice)...)
			if code != 1 {
				t.Fatalf("get to stdout of a %s body: exit %d, want 1\n%s", c.name, code, errs)
			}
			if len(out) == 0 || len(out) >= len(w.body) || !bytes.HasPrefix(w.body, []byte(out)) {
				t.Fatalf("get printed %d bytes of a %d-byte record; want a verified start of it", len(out), len(w.body))
			}
			wantPhrases(t, "get to stdout", errs, "SECURITY:", c.phrase, "may be tampering",
				"printed so far", "incomplete and must be discarded", "What to do: try again", "contact the server's operator",
				"Technical detail (for support):")
			if strings.Contains(errs, "Nothing from that answer was used") || strings.Contains(errs, "was not used") {
				t.Errorf("get to stdout says nothing was used, after printing part of the record:\n%s", errs)
			}

			// To a file: no file, not even a partial one beside it.
			outDir := t.TempDir()
			dst := filepath.Join(outDir, "scan.out")
			code, _, errs = cli(t, with([]string{"get", w.id, "-o", dst}, w.alice)...)
			if code != 1 {
				t.Fatalf("get -o of a %s body: exit %d, want 1\n%s", c.name, code, errs)
			}
			if left, _ := os.ReadDir(outDir); len(left) != 0 {
				t.Fatalf("get -o of a %s body left %v behind", c.name, left)
			}
			wantPhrases(t, "get -o", errs, "SECURITY:", c.phrase, dst+" was not created", "What to do: try again")
		})
	}
	// The attack over, the record reads whole.
	if got := mustCLI(t, with([]string{"get", w.id}, w.bob)...); got != string(w.body) {
		t.Fatalf("get after the attack: %d bytes, want %d", len(got), len(w.body))
	}
}

func TestMessages_LoginAnsweredWithAnotherAccount(t *testing.T) {
	w := newMsgWorld(t)
	home := filepath.Join(w.dir, "laptop")
	// Asked for alice, the directory answers with bob's card. Bob's
	// passphrase would open bob's backup: without the handle check this
	// device would sign in as bob while the user asked for alice.
	w.srv.attack(t, "GET", "/v1/directory/alice", askFor("/v1/directory/bob"))
	code, _, errs := cli(t, "login", "--server", w.srv.URL, "--name", "alice", "--home", home, "--passphrase-file", w.bobPass)
	if code != 1 {
		t.Fatalf("login answered with another account's card: exit %d, want 1\n%s", code, errs)
	}
	wantPhrases(t, "login", errs, "SECURITY:", "another record or account than the one asked for", "may be tampering",
		"What to do: try again", "Technical detail (for support):", `"alice"`, `"bob"`)
	if _, err := os.Stat(home); !os.IsNotExist(err) {
		t.Fatalf("a refused login left a profile behind (%v)", err)
	}
}

func TestMessages_RevokeFailed(t *testing.T) {
	w := newMsgWorld(t)
	aclPath := fmt.Sprintf("/v1/records/%s/acl", w.id)
	for _, c := range []struct {
		name   string
		h      tamperHook
		phrase string
	}{
		{"server error", failWith(http.StatusServiceUnavailable), "the server failed"},
		{"connection lost", hangUp(), "cannot reach the server"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w.srv.attack(t, "PUT", aclPath, c.h)
			code, _, errs := cli(t, with([]string{"revoke", w.id, "--from", "bob"}, w.alice)...)
			if code != 1 {
				t.Fatalf("revoke the server failed: exit %d, want 1\n%s", code, errs)
			}
			wantPhrases(t, "revoke", errs, "revoking failed", c.phrase, "bob may still be able to read this record",
				"Nothing was changed on this device", "run the same revoke again", "blindvault revoke "+w.id+" --from bob")
			// Bob still reads.
			if got := mustCLI(t, with([]string{"get", w.id}, w.bob)...); got != string(w.body) {
				t.Fatalf("bob's get after a failed revoke: %d bytes", len(got))
			}
		})
	}
	// Run again, as the message says: it works, and bob is refused.
	mustCLI(t, with([]string{"revoke", w.id, "--from", "bob"}, w.alice)...)
	mustCLI(t, with([]string{"put", filepath.Join(w.dir, "scan.bin"), "--update", w.id}, w.alice)...)
	if code, _, errs := cli(t, with([]string{"get", w.id}, w.bob)...); code != 1 {
		t.Fatalf("bob's get of a version written after the revoke: exit %d\n%s", code, errs)
	}
	// Once more: nothing left to revoke, said plainly.
	code, _, errs := cli(t, with([]string{"revoke", w.id, "--from", "bob"}, w.alice)...)
	if code != 1 || !strings.Contains(errs, "is not shared with") || strings.Contains(errs, "may still be able") {
		t.Fatalf("revoke of a revoked share: exit %d\n%s", code, errs)
	}
}

// Every error that can mean tampering is said as such, in words with what it
// means and what to do, the SDK's words kept on a last line; it still matches
// the SDK error. Ordinary failures are not said as tampering.
func TestMessages_TamperingWords(t *testing.T) {
	for _, err := range []error{sdk.CheckRollback, sdk.CheckEquivocation, sdk.CheckLogFork, sdk.CheckLogMismatch,
		sdk.CheckNotLogged, sdk.CheckUnexpectedKey, sdk.CheckLeafMismatch, sdk.CheckChunkAuth, sdk.CheckTruncated,
		sdk.CheckWrongACL, sdk.CheckOPRF, sdk.CheckWrongRecord, sdk.CheckMissingGrant, sdk.CheckGrant, sdk.CheckUnwrap,
		sdk.CheckWeakParams, sdk.CheckExcessiveParams, sdk.ErrInvalid, sdk.CheckBadSignature, sdk.CheckCommitment} {
		got := friendly(fmt.Errorf("reading x: %w", err))
		msg := got.Error()
		if !strings.HasPrefix(msg, "SECURITY:") || !errors.Is(got, err) {
			t.Errorf("friendly(%v) = %q, want a SECURITY message that still matches the error", err, msg)
		}
		wantPhrases(t, err.Error(), msg, "What to do:", "contact the server's operator", "\nTechnical detail (for support): reading x: ")
		first := strings.SplitN(msg, "\n", 2)[0]
		for _, jargon := range []string{"cobble", "oprf", "argon2", "leaf", "ACL", "equivocat", "OPRF", "grant is not valid"} {
			if strings.Contains(first, jargon) {
				t.Errorf("friendly(%v) says %q before its technical detail: %q", err, jargon, first)
			}
		}
	}
	for _, err := range []error{sdk.ErrNotFound, sdk.ErrUnreachable, sdk.ErrRateLimited, sdk.ErrWrongPassphrase,
		&sdk.APIError{Status: 503, Message: "down"}} {
		if got := friendly(fmt.Errorf("get: %w", err)); strings.Contains(got.Error(), "SECURITY") {
			t.Errorf("friendly(%v) = %q, a security message", err, got)
		}
	}
	// A grant whose granter could not be fetched is a network failure.
	if got := friendly(fmt.Errorf("%w: granter: %w", sdk.CheckGrant, sdk.ErrUnreachable)); strings.Contains(got.Error(), "SECURITY") {
		t.Errorf("friendly(unreachable granter) = %q, a security message", got)
	}
	// A revoke that caught the server tampering says both.
	got := revokeFailed(fmt.Errorf("revoke: %w", sdk.CheckNotLogged), "ID", "bob").Error()
	wantPhrases(t, "revoke under tampering", got, "SECURITY:", "bob may still be able to read this record",
		"Nothing was changed on this device", "run the same revoke again", "Technical detail (for support):")
	if strings.Contains(got, nothingUsed) {
		t.Errorf("revoke under tampering keeps the generic words:\n%s", got)
	}
	// A tampering error that also reads as "not found" is not reworded as one.
	if got := notFoundAs(fmt.Errorf("%w: %w", sdk.CheckRollback, sdk.ErrNotFound), "no record"); !strings.HasPrefix(got.Error(), "SECURITY:") {
		t.Errorf("notFoundAs(rollback) = %q", got)
	}
}
