//go:build !js

package sdk_test

import (
	"bytes"
	"testing"

	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/servertest"
)

// BenchmarkPut is one small record written by a patient, the server on
// loopback: what a glucose sensor's upload costs per reading.
func BenchmarkPut(b *testing.B) {
	srv := servertest.Start(b, server.Config{})
	alice, _ := reopenablePatient(b, srv, nil)
	body := []byte(`{"resourceType":"Observation","valueQuantity":{"value":97,"unit":"mg/dL"}}`)
	for b.Loop() {
		if _, err := alice.Put(b.Context(), bytes.NewReader(body), &sdk.PutOptions{Type: "Observation", Size: int64(len(body))}); err != nil {
			b.Fatal(err)
		}
	}
}
