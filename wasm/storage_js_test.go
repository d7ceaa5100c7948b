package main

import (
	"syscall/js"
	"testing"

	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/sdk/storagetest"
)

// memoryStore is a page's store as blindvault.mjs's memoryStore() makes it:
// a Map behind async load and save that copy what they are given and return.
var memoryStore = js.Global().Get("Function").New(`
	const files = new Map();
	return {
		async load(name) { return files.has(name) ? files.get(name).slice() : null; },
		async save(name, data) { files.set(name, data.slice()); },
	};`)

func TestJSStorage_Conformance(t *testing.T) {
	storagetest.Run(t, func(*testing.T) sdk.Storage { return jsStorage{memoryStore.Invoke()} })
}
