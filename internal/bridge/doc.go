// Package bridge holds what the SDK shares with its browser build and nothing
// else: the Transport seam that keeps net/http out of the WebAssembly binary,
// and the types that let a body be sealed and opened outside Go (in
// WebCrypto) while every key, signature and check stays in the SDK. It is
// internal so that neither is part of the SDK's public API.
package bridge
