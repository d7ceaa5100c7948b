// Command webservice is a small notes web service whose users' notes are
// stored end-to-end encrypted in Blindvault.
//
// Each user of the service gets a Blindvault account and an sdk.Client of
// their own. Notes are encrypted by that client before they leave this
// process; the Blindvault server (the "blind server") only ever stores
// ciphertext, and the titles travel as encrypted metadata too.
//
// Here the keys live in this process, in memory: the encryption is end to end
// between this service and the storage. A real service would keep one
// sdk.DirStorage profile per user (protected by the user's passphrase), or,
// better, run the SDK in the user's browser (the WebAssembly build) so that
// not even this service sees the keys.
//
// Run it, and it starts a Blindvault server in-process, serves the notes API on
// a loopback port, calls the API itself, prints the answers, and checks that
// the server's database file holds none of the plaintext:
//
//	go run ./examples/webservice
//	go run ./examples/webservice -serve            # then keep serving, for curl
//	go run ./examples/webservice -server https://vault.example
//
// The API (X-User names the user; a stand-in for real authentication):
//
//	POST /users       {"name":"alice","passphrase":"..."}  create a user
//	POST /notes       {"title":"...","text":"..."}         store a note
//	GET  /notes                                            list titles
//	GET  /notes/{id}                                       read a note
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server/local"
)

// service is the web service: its users, each with their own Blindvault client.
type service struct {
	vaultURL string
	suffix   string // appended to handles, which must be unique on a shared server

	mu    sync.Mutex
	users map[string]*sdk.Client
}

type note struct {
	ID       string    `json:"id"`
	Title    string    `json:"title"`
	Text     string    `json:"text,omitempty"`
	Modified time.Time `json:"modified,omitzero"`
}

func (s *service) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /users", s.createUser)
	mux.HandleFunc("POST /notes", s.withUser(s.putNote))
	mux.HandleFunc("GET /notes", s.withUser(s.listNotes))
	mux.HandleFunc("GET /notes/{id}", s.withUser(s.getNote))
	return mux
}

// createUser registers a Blindvault account for a new user of the service.
// The passphrase protects the account's key backup on the Blindvault server.
func (s *service) createUser(w http.ResponseWriter, r *http.Request) {
	var req struct{ Name, Passphrase string }
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Name == "" {
		http.Error(w, "want {\"name\":...,\"passphrase\":...}", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	_, exists := s.users[req.Name]
	s.mu.Unlock()
	if exists {
		http.Error(w, "user exists", http.StatusConflict)
		return
	}
	// MemoryStorage: the profile (keys, pinned contacts) lives as long as
	// this process. Use sdk.DirStorage(dir) to keep it across restarts.
	c, err := sdk.Connect(r.Context(), sdk.Config{Server: s.vaultURL, Storage: &sdk.MemoryStorage{}})
	if err == nil {
		_, err = c.Register(r.Context(), &sdk.RegisterOptions{Handle: req.Name + s.suffix, Passphrase: []byte(req.Passphrase)})
	}
	if err != nil {
		httpError(w, err)
		return
	}
	s.mu.Lock()
	s.users[req.Name] = c
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]string{"name": req.Name, "fingerprint": c.Card().Fingerprint().String()})
}

// withUser finds the caller's client. A real service would authenticate the
// request (a session cookie, OAuth...) instead of trusting a header.
func (s *service) withUser(h func(http.ResponseWriter, *http.Request, *sdk.Client)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		c := s.users[r.Header.Get("X-User")]
		s.mu.Unlock()
		if c == nil {
			http.Error(w, "unknown user: set X-User", http.StatusUnauthorized)
			return
		}
		h(w, r, c)
	}
}

// putNote encrypts the note on this side and stores it: the text is the
// record's body, the title its (also encrypted) metadata.
func (s *service) putNote(w http.ResponseWriter, r *http.Request, c *sdk.Client) {
	var n note
	if err := json.NewDecoder(r.Body).Decode(&n); err != nil || n.Title == "" {
		http.Error(w, "want {\"title\":...,\"text\":...}", http.StatusBadRequest)
		return
	}
	info, err := c.Put(r.Context(), strings.NewReader(n.Text), &sdk.PutOptions{
		Title: n.Title, Type: "note", Size: int64(len(n.Text))})
	if err != nil {
		httpError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, note{ID: info.RecordID.String(), Title: info.Title})
}

// listNotes lists the user's records; List decrypts and verifies each one's
// metadata, so the titles come back in the clear only here.
func (s *service) listNotes(w http.ResponseWriter, r *http.Request, c *sdk.Client) {
	list, err := c.List(r.Context())
	if err != nil {
		httpError(w, err)
		return
	}
	notes := []note{}
	for _, info := range list {
		if info.Type == "note" {
			notes = append(notes, note{ID: info.RecordID.String(), Title: info.Title, Modified: info.Modified})
		}
	}
	writeJSON(w, http.StatusOK, notes)
}

// getNote fetches, verifies and decrypts one note.
func (s *service) getNote(w http.ResponseWriter, r *http.Request, c *sdk.Client) {
	id, err := sdk.ParseRecordID(r.PathValue("id"))
	if err != nil {
		http.Error(w, "bad note id", http.StatusBadRequest)
		return
	}
	var body bytes.Buffer
	info, err := c.Get(r.Context(), id, &body)
	if err != nil {
		httpError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, note{ID: info.RecordID.String(), Title: info.Title, Text: body.String(), Modified: info.Modified})
}

// httpError maps the SDK's typed errors to HTTP statuses.
func httpError(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	switch {
	case errors.Is(err, sdk.ErrNotFound), errors.Is(err, sdk.ErrDeleted):
		code = http.StatusNotFound
	case errors.Is(err, sdk.ErrRevoked), errors.Is(err, sdk.ErrForbidden):
		code = http.StatusForbidden
	case errors.Is(err, sdk.ErrWeakPassphrase):
		code = http.StatusBadRequest
	case errors.Is(err, sdk.ErrConflict):
		code = http.StatusConflict
	}
	http.Error(w, err.Error(), code)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func main() {
	serverURL := flag.String("server", "", "URL of a running blindvault server (default: start one in-process)")
	addr := flag.String("addr", "127.0.0.1:0", "address the web service listens on")
	serve := flag.Bool("serve", false, "keep serving after the demo requests, until interrupted")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *serverURL, *addr, *serve); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, serverURL, addr string, serve bool) error {
	svc := &service{vaultURL: serverURL, users: map[string]*sdk.Client{}}
	dbPath := ""
	if serverURL == "" {
		srv, err := local.StartTemp(ctx)
		if err != nil {
			return err
		}
		defer srv.Close()
		svc.vaultURL, dbPath = srv.URL, srv.DBPath
		fmt.Println("Blindvault server (in-process):", srv.URL)
	} else {
		svc.suffix = "-" + randomHex(3)
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	web := &http.Server{Handler: svc.routes(), ReadHeaderTimeout: 10 * time.Second}
	go web.Serve(ln)
	defer web.Close()
	base := "http://" + ln.Addr().String()
	fmt.Println("Notes web service:", base)
	fmt.Println()

	// Exercise the API as a client of the web service would.
	secret := "Ibuprofen made the migraine worse; try sumatriptan next time"
	call := func(method, path, user, body string) (string, error) {
		req, err := http.NewRequestWithContext(ctx, method, base+path, strings.NewReader(body))
		if err != nil {
			return "", err
		}
		if user != "" {
			req.Header.Set("X-User", user)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		out, err := io.ReadAll(resp.Body)
		who := ""
		if user != "" {
			who = " as " + user
		}
		fmt.Printf("%s %s%s → %s\n  %s\n", method, path, who, resp.Status, bytes.TrimSpace(out))
		return string(out), err
	}
	steps := []struct{ method, path, user, body string }{
		{"POST", "/users", "", `{"name":"alice","passphrase":"correct horse battery staple 42"}`},
		{"POST", "/users", "", `{"name":"bob","passphrase":"bob's long passphrase, 2026"}`},
		{"POST", "/notes", "alice", `{"title":"Migraine diary","text":"` + secret + `"}`},
		{"POST", "/notes", "alice", `{"title":"Questions for Dr Jones","text":"Is the rash related to the new medication?"}`},
		{"POST", "/notes", "bob", `{"title":"Physio exercises","text":"3x10 knee extensions daily"}`},
		{"GET", "/notes", "alice", ""},
	}
	var firstID string
	for _, st := range steps {
		out, err := call(st.method, st.path, st.user, st.body)
		if err != nil {
			return err
		}
		if firstID == "" && st.path == "/notes" && st.method == "POST" {
			var n note
			json.Unmarshal([]byte(out), &n)
			firstID = n.ID
		}
	}
	// Alice reads her note; Bob, who is no reader of it, cannot.
	if _, err := call("GET", "/notes/"+firstID, "alice", ""); err != nil {
		return err
	}
	if _, err := call("GET", "/notes/"+firstID, "bob", ""); err != nil {
		return err
	}
	fmt.Println()

	// Look at the blind server's disk as its operator, or a thief, would.
	if dbPath != "" {
		db, err := os.ReadFile(dbPath)
		if err != nil {
			return err
		}
		fmt.Printf("Blind server's database %s: %d bytes\n", dbPath, len(db))
		for _, s := range []string{secret, "sumatriptan", "Migraine diary", "Questions for Dr Jones", "knee extensions"} {
			found := bytes.Contains(db, []byte(s))
			fmt.Printf("  contains %-62q %v\n", s, found)
			if found {
				return fmt.Errorf("plaintext %q found in the server's database", s)
			}
		}
		// A control, to show the search works: handles are public, and there.
		fmt.Printf("  contains %-62q %v (a handle: public by design)\n", "alice"+svc.suffix, bytes.Contains(db, []byte("alice")))
		fmt.Println("OK: no note text or title is stored in the clear")
	} else {
		fmt.Println("(-server: the database file is on the other server; not checked)")
	}

	if serve {
		fmt.Printf("\nServing %s until interrupted (Ctrl-C). Try:\n", base)
		fmt.Printf("  curl -H 'X-User: alice' %s/notes\n", base)
		<-ctx.Done()
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
