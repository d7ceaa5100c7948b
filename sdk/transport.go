package sdk

import "github.com/blindvault/blindvault/internal/bridge"

// The client's HTTP seam is bridge.Transport: net/http in the native build
// (NewHTTPTransport), the browser's fetch in the wasm build.
type (
	transport = bridge.Transport
	request   = bridge.Request
	response  = bridge.Response
)
