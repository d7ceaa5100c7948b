//go:build !js

package sdk_test

import (
	"testing"

	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/servertest"
)

// A client waits out short rate-limit refusals instead of failing: a burst of
// verified reads needs many requests.
func TestClient_WaitsOutRateLimits(t *testing.T) {
	srv := servertest.Start(t, server.Config{RateAccount: server.RateLimit{Rate: 20, Burst: 5}})
	c := newClient(t, srv, nil)
	register(t, c, "alice", "", "", patientPass)
	for i := range 3 {
		put(t, c, []byte{byte(i)}, "r")
	}
	list, err := c.List(t.Context())
	if err != nil || len(list) != 3 {
		t.Fatalf("List under a tight rate limit = %d records, %v", len(list), err)
	}
}
