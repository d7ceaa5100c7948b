// Package testenv starts the real components that storage tests run against:
// a private PostgreSQL cluster and a versitygw S3 server, each in a temporary
// directory, listening on loopback only, and stopped when the test ends.
//
// When a component cannot start, the test is skipped, except under CI=true,
// where it fails: CI must never pass by skipping (.ci/deps installs both).
package testenv

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"testing"
)

// unavailable skips the test, or fails it under CI=true.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
		t.Fatalf("%s (CI=true: tests that need it fail instead of skipping; run .ci/deps)", msg)
	}
	t.Skipf("%s (run .ci/deps to install it)", msg)
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
