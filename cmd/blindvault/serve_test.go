package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for a server goroutine and a test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServe runs "blindvault serve" in-process until the test ends and returns
// its base URL and its stderr.
func startServe(t *testing.T, args ...string) (string, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var errb syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, append([]string{"serve"}, args...), &bytes.Buffer{}, &errb) }()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exited %d after shutdown: %s", code, errb.String())
			}
		case <-time.After(30 * time.Second):
			t.Errorf("serve did not shut down")
		}
	})
	re := regexp.MustCompile(`listening on (\S+)`)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(errb.String()); m != nil {
			return m[1], &errb
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited %d: %s", code, errb.String())
		default:
		}
	}
	t.Fatalf("serve did not start: %s", errb.String())
	return "", nil
}

func TestServe_InsecureHTTPOnLoopback(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	url, errb := startServe(t, "--data", data, "--addr", "127.0.0.1:0", "--insecure-http")
	resp, err := http.Get(url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz = %d, want 200", resp.StatusCode)
	}
	st, err := os.Stat(filepath.Join(data, "bootstrap-invite"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("bootstrap-invite: %v, mode %v; want a 0600 file (stderr %s)", err, st, errb.String())
	}
	if st, err := os.Stat(data + ".master-key"); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("master key beside the data directory: %v", err)
	}
}

func TestServe_RefusesPlainHTTPOffLoopback(t *testing.T) {
	code, _, errs := cli(t, "serve", "--data", t.TempDir(), "--addr", "0.0.0.0:0", "--origin", "http://vault.example", "--insecure-http")
	if code != 2 || !strings.Contains(errs, "only on a loopback address") {
		t.Fatalf("serve --insecure-http on 0.0.0.0 = exit %d (%s), want 2, plain HTTP refused", code, errs)
	}
	code, _, _ = cli(t, "serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0")
	if code != 2 {
		t.Fatalf("serve without a transport = exit %d, want 2", code)
	}
}

// Listening on every address, the default origin would be the listener's own
// ([::]:PORT), which no client can sign for and which would name the log for
// good: serve asks for --origin before it creates anything.
func TestServe_EveryAddressNeedsOrigin(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:8443", ":8443", "[::]:8443"} {
		data := filepath.Join(t.TempDir(), "d")
		code, _, errs := cli(t, "serve", "--data", data, "--addr", addr, "--dev-tls")
		if code != 2 || !strings.Contains(errs, "--origin") {
			t.Errorf("serve --addr %s without --origin = exit %d (%s), want 2 asking for --origin", addr, code, errs)
		}
		if _, err := os.Stat(data); !os.IsNotExist(err) {
			t.Errorf("serve --addr %s without --origin created %s", addr, data)
		}
	}
}

func TestServe_DevTLS_TLS13Pinned(t *testing.T) {
	url, errb := startServe(t, "--data", filepath.Join(t.TempDir(), "d"), "--addr", "127.0.0.1:0", "--dev-tls")
	m := regexp.MustCompile(`fingerprint:\s+([0-9a-f]{64})`).FindStringSubmatch(errb.String())
	if m == nil {
		t.Fatalf("no certificate fingerprint printed: %s", errb.String())
	}
	pin := func(raw [][]byte, _ [][]*x509.Certificate) error {
		sum := sha256.Sum256(raw[0])
		if hex.EncodeToString(sum[:]) != m[1] {
			return errors.New("certificate does not match the printed fingerprint")
		}
		return nil
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true, VerifyPeerCertificate: pin}}}
	resp, err := client.Get(url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.TLS == nil || resp.TLS.Version != tls.VersionTLS13 {
		t.Fatalf("TLS version = %v, want TLS 1.3", resp.TLS)
	}
	old := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12}}}
	if _, err := old.Get(url + "/healthz"); err == nil {
		t.Fatalf("a TLS 1.2 client connected; want TLS 1.3 only")
	}
}

// TestServe_Slowloris holds 200 connections that dribble out their headers: the
// server must close every one within the header timeout while normal requests
// keep succeeding.
func TestServe_Slowloris(t *testing.T) {
	const slow, timeout = 200, 2 * time.Second
	url, _ := startServe(t, "--data", filepath.Join(t.TempDir(), "d"), "--addr", "127.0.0.1:0", "--insecure-http",
		"--header-timeout", timeout.String())
	addr := url[len("http://"):]
	conns := make([]net.Conn, 0, slow)
	for range slow {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n"))
		conns = append(conns, c)
	}
	start := time.Now()
	// Keep dribbling a header byte now and then, and check normal service.
	for time.Since(start) < timeout/2 {
		for _, c := range conns {
			c.Write([]byte("X"))
		}
		resp, err := http.Get(url + "/healthz")
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("normal request during the attack: %v", err)
		}
		resp.Body.Close()
		time.Sleep(100 * time.Millisecond)
	}
	var wg sync.WaitGroup
	closed := make(chan time.Duration, slow)
	for _, c := range conns {
		wg.Add(1)
		go func(c net.Conn) {
			defer wg.Done()
			c.SetReadDeadline(start.Add(timeout + 3*time.Second))
			buf := make([]byte, 512)
			for {
				if _, err := c.Read(buf); err != nil {
					var ne net.Error
					if errors.As(err, &ne) && ne.Timeout() {
						return // still open at the deadline: counted as not closed
					}
					closed <- time.Since(start)
					return
				}
			}
		}(c)
	}
	wg.Wait()
	close(closed)
	n := 0
	for d := range closed {
		n++
		if d > timeout+time.Second {
			t.Errorf("a slow connection was closed after %v, want within %v", d, timeout)
		}
	}
	if n != slow {
		t.Fatalf("%d of %d slow connections were closed by the server", n, slow)
	}
}

// serveUntilListening starts serve, waits until it listens (or exits), stops it,
// and returns its exit code and stderr.
func serveUntilListening(t *testing.T, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var errb syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, append([]string{"serve"}, args...), &bytes.Buffer{}, &errb) }()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		select {
		case code := <-done:
			return code, errb.String()
		default:
		}
		if regexp.MustCompile(`listening on`).MatchString(errb.String()) {
			cancel()
			return <-done, errb.String()
		}
	}
	t.Fatalf("serve neither started nor exited: %s", errb.String())
	return 0, ""
}

func TestRotateMasterKey_NewKeyOpensOldDoesNot(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	base := []string{"--data", data, "--addr", "127.0.0.1:0", "--insecure-http"}
	if code, errs := serveUntilListening(t, base...); code != 0 {
		t.Fatalf("first start = exit %d: %s", code, errs)
	}
	newKey := filepath.Join(t.TempDir(), "new.key")
	if code, _, errs := cli(t, "rotate-master-key", "--data", data, "--new-master-key-file", newKey); code != 0 {
		t.Fatalf("rotate-master-key = exit %d: %s", code, errs)
	}
	if code, errs := serveUntilListening(t, append(base, "--master-key-file", newKey)...); code != 0 {
		t.Fatalf("start with the new key = exit %d: %s", code, errs)
	}
	if code, errs := serveUntilListening(t, base...); code == 0 || !strings.Contains(errs, "master key") {
		t.Fatalf("start with the old key = exit %d (%s), want a master-key error", code, errs)
	}
}

// --store-committers is PostgreSQL's: a negative count, or one given for the
// bbolt default, is a usage error.
func TestServe_StoreCommittersNeedsPostgres(t *testing.T) {
	for _, args := range [][]string{
		{"--store-committers", "-1"},
		{"--store-committers", "1"},
	} {
		all := append([]string{"serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0", "--insecure-http"}, args...)
		code, _, errs := cli(t, all...)
		if code != 2 || !strings.Contains(errs, "--store-committers") {
			t.Fatalf("serve %v = exit %d (%s), want 2 naming --store-committers", args, code, errs)
		}
	}
}
