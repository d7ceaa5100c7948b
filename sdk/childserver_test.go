//go:build linux

package sdk_test

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// childServer is the real `blindvault serve`, built by the benchmark and run
// as a child process on loopback, so that the client's CPU (this process's)
// and the server's (the child's, from /proc) are measured apart.
type childServer struct {
	bin, data, addr string
	URL             string // http://127.0.0.1:PORT, also its origin
	AdminInvite     string
	cmd             *exec.Cmd
	logs            *os.File
}

// buildServer builds cmd/blindvault into b's temporary directory.
func buildServer(b *testing.B) string {
	bin := filepath.Join(b.TempDir(), "blindvault")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/blindvault/blindvault/cmd/blindvault")
	// In the module, wherever the test binary runs from (go test -c).
	_, self, _, _ := runtime.Caller(0)
	cmd.Dir = filepath.Dir(self)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v: %s", err, out)
	}
	return bin
}

// startChildServer starts the server bin (buildServer) over a new data
// directory with the given serve flags (such as --rate-account off); it is
// stopped when b ends.
func startChildServer(b *testing.B, bin string, flags ...string) *childServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := b.TempDir()
	s := &childServer{bin: bin, data: filepath.Join(dir, "data"), addr: addr, URL: "http://" + addr}
	if s.logs, err = os.Create(filepath.Join(dir, "serve.log")); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		s.stop(b)
		s.logs.Close()
	})
	s.start(b, flags...)
	invite, err := os.ReadFile(filepath.Join(s.data, "bootstrap-invite"))
	if err != nil {
		b.Fatal(err)
	}
	s.AdminInvite = strings.TrimSpace(string(invite))
	return s
}

// start runs the server on its data directory and address, and waits until
// it answers.
func (s *childServer) start(b *testing.B, flags ...string) {
	args := append([]string{"serve", "--data", s.data, "--addr", s.addr, "--insecure-http"}, flags...)
	s.cmd = exec.Command(s.bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get(s.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
	}
	b.Fatalf("blindvault serve did not start on %s (log in %s)", s.addr, s.logs.Name())
}

// restart stops the server and starts it again on the same data and address
// with other flags: the set-up writes with the rate limits off, the
// measurements run under the defaults.
func (s *childServer) restart(b *testing.B, flags ...string) {
	s.stop(b)
	s.start(b, flags...)
}

func (s *childServer) stop(b *testing.B) {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
	s.cmd = nil
}

// cpu is the server process's user and system CPU time so far, from
// /proc/PID/stat (fields 14 and 15, in clock ticks of 10 ms).
func (s *childServer) cpu(b *testing.B) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		b.Fatal(err)
	}
	// The command name, field 2, is in parentheses and may hold spaces.
	f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
	// f[0] is field 3 (state): utime and stime are f[11] and f[12].
	if len(f) < 13 {
		b.Fatalf("/proc/%d/stat: %q", s.cmd.Process.Pid, raw)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		b.Fatalf("/proc/%d/stat: %q", s.cmd.Process.Pid, raw)
	}
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// clockTicks is the kernel's USER_HZ, the unit of /proc's CPU times: 100 on
// every Linux architecture Go supports.
const clockTicks = 100
