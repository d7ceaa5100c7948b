//go:build !js

package sdk_test

import (
	"testing"

	"github.com/blindvault/blindvault/internal/bridge"
	"github.com/blindvault/blindvault/internal/bridge/transporttest"
	"github.com/blindvault/blindvault/sdk"
)

func TestHTTPTransport_Conformance(t *testing.T) {
	transporttest.Run(t, func(t *testing.T, baseURL string) bridge.Transport {
		return sdk.NewHTTPTransport(baseURL, nil)
	})
}
