package main

import (
	"syscall/js"
	"testing"

	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/sdk/storagetest"
)

// memoryStore is a page's store as blindvault.mjs's memoryStore() makes it:
// a Map behind async load, save and append that copy what they are given
// and return.
var memoryStore = js.Global().Get("Function").New(`
	const files = new Map();
	return {
		async load(name) { return files.has(name) ? files.get(name).slice() : null; },
		async save(name, data) { files.set(name, data.slice()); },
		async append(name, data) {
			const old = files.get(name) ?? new Uint8Array(0);
			const next = new Uint8Array(old.length + data.length);
			next.set(old);
			next.set(data, old.length);
			files.set(name, next);
		},
	};`)

// loadSaveStore is a page's own store with load and save only, no append.
var loadSaveStore = js.Global().Get("Function").New(`
	const files = new Map();
	return {
		async load(name) { return files.has(name) ? files.get(name).slice() : null; },
		async save(name, data) { files.set(name, data.slice()); },
	};`)

func TestJSStorage_Conformance(t *testing.T) {
	storagetest.Run(t, func(*testing.T) sdk.Storage { return jsStorage{memoryStore.Invoke()} })
}

// A page's store without append still appends: jsStorage loads and saves.
func TestJSStorage_ConformanceWithoutAppend(t *testing.T) {
	storagetest.Run(t, func(*testing.T) sdk.Storage { return jsStorage{loadSaveStore.Invoke()} })
}
