// Package web serves a browser app, such as the patient portal of
// examples/browser with blindvault.wasm, beside the Blindvault API on one
// origin, under a strict Content-Security-Policy.
//
// The page talks to the API with bearer tokens, never cookies, so there is no
// CSRF surface; the policy allows scripts from the origin only (plus
// WebAssembly compilation), no inline script or style, no other origin to
// connect to, and no framing. The server stays blind: the page encrypts
// before it uploads.
package web

import (
	"io/fs"
	"net/http"
	"os"
	"path"
	"strings"
)

// ContentSecurityPolicy is the policy of every page and file served, when
// the pages may connect to their own origin only.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; " +
	"connect-src 'self'; img-src 'self' blob: data:; style-src 'self'; font-src 'self'; manifest-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Handler serves the files of dir for GET and HEAD, / as index.html, and
// passes everything under /v1/ and /log/ (the tiled log), and the
// operational endpoints, to api. The pages may connect to their own origin
// and to the origins in connect ("https://other-vault.example"), such as
// the servers a patient may move their records to; each of those must allow
// this origin (serve --cors-origin).
// Directory listings, dotfiles and anything outside dir are not served.
func Handler(api http.Handler, dir string, connect ...string) http.Handler {
	return HandlerFS(api, os.DirFS(dir), connect...)
}

// HandlerFS is Handler for files in fsys.
func HandlerFS(api http.Handler, fsys fs.FS, connect ...string) http.Handler {
	csp := ContentSecurityPolicy
	if len(connect) > 0 {
		csp = strings.Replace(csp, "connect-src 'self'", "connect-src 'self' "+strings.Join(connect, " "), 1)
	}
	files := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if strings.HasPrefix(p, "/v1/") || p == "/v1" || strings.HasPrefix(p, "/log/") || p == "/healthz" || p == "/readyz" || p == "/metrics" {
			api.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Cache-Control", "no-cache")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name := strings.TrimPrefix(path.Clean(p), "/")
		if strings.HasSuffix(p, "/") {
			name = path.Join(name, "index.html")
		}
		if name == "" {
			name = "index.html"
		}
		if !servable(fsys, name) {
			http.NotFound(w, r)
			return
		}
		files.ServeHTTP(w, r)
	})
}

// servable reports whether name is a regular file, with no dot-named element.
func servable(fsys fs.FS, name string) bool {
	for _, el := range strings.Split(name, "/") {
		if strings.HasPrefix(el, ".") {
			return false
		}
	}
	st, err := fs.Stat(fsys, name)
	return err == nil && st.Mode().IsRegular()
}
