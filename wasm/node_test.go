//go:build !js

package main

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"
)

// TestNode_BodyKeyZeroed runs testdata/node/body.test.mjs under Node's test
// runner: js/body.mjs zeroes the raw AEAD key it is handed on success and on
// every failure path (bad body argument, layout error, short header, failing
// or malformed key callback, commitment mismatch, failed import). body.mjs
// needs only WebCrypto, Blob and streams, which Node (≥ 20) provides, so no
// browser is needed.
func TestNode_BodyKeyZeroed(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed: the wasm tests need it (wasm/README.md)")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, node, "--test", "testdata/node/body.test.mjs").CombinedOutput()
	if err != nil {
		t.Fatalf("node --test testdata/node/body.test.mjs: %v\n%s", err, out)
	}
}

// TestNode_Client runs testdata/node/client.test.mjs: the JS package (as
// build.sh makes it) under Node, against a real server on loopback: register,
// put, share, list and get, as a JavaScript service would.
func TestNode_Client(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed: the wasm tests need it (wasm/README.md)")
	}
	dir := built(t)
	s := startSite(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "testdata/node/client.test.mjs")
	cmd.Env = append(os.Environ(), "BLINDVAULT_JS="+dir, "BLINDVAULT_SERVER="+s.URL)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("node --test testdata/node/client.test.mjs: %v\n%s", err, out)
	}
}
