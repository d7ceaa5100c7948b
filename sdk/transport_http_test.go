//go:build !js

package sdk_test

import (
	"testing"

	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/sdk/transporttest"
)

func TestHTTPTransport_Conformance(t *testing.T) {
	transporttest.Run(t, func(t *testing.T, baseURL string) sdk.Transport {
		return sdk.NewHTTPTransport(baseURL, nil)
	})
}
