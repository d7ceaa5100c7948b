//go:build !js

package sdk_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/servertest"
)

// An admin adding members one by one moves the team key record's ACL with
// no new version: its header keeps signing the first ACL. Each add walks
// back only over the ACLs it has not verified yet (opencache.go), so the
// twelfth add asks the server for no earlier ACL (the view brings the last
// eight) and reads no member's key card.
func TestAddTeamMember_NoRewalk(t *testing.T) {
	ctx := t.Context()
	off := server.RateLimit{Rate: -1}
	srv := servertest.Start(t, server.Config{RateAddress: off, RateAccount: off, RateAnonymous: off, RateUnknownEvaluations: off})
	p := newProxy(t, srv.URL)
	w := setUpWorld(t, srv, func(handle string) *sdk.Client {
		if handle == "admin" {
			return connectVia(t, srv, p)
		}
		return newClient(t, srv, nil)
	})
	if _, err := w.admin.CreateTeam(ctx, "Ward", &sdk.TeamOptions{Org: org}); err != nil {
		t.Fatal(err)
	}
	const n = 12
	for i := range n {
		invite, err := w.admin.Invite(ctx, "clinician", 0)
		if err != nil {
			t.Fatal(err)
		}
		h := fmt.Sprintf("nurse-%02d", i)
		register(t, newClient(t, srv, nil), h, "clinician", invite, clinicianPass)
		mark := p.mark()
		if _, err := w.admin.AddTeamMember(ctx, "Ward", h, nil); err != nil {
			t.Fatalf("AddTeamMember(%s): %v", h, err)
		}
		if i < n-1 {
			continue
		}
		if got := p.since(mark, func(e exchange) bool { return strings.Contains(e.Path, "/acl?seq=") }); len(got) > 0 {
			t.Errorf("add %d walked back over ACLs it had verified: %v", i+1, got)
		}
		if got := p.since(mark, func(e exchange) bool { return strings.HasSuffix(e.Path, "/cards") }); len(got) > 0 {
			t.Errorf("add %d read key cards: %v", i+1, got)
		}
	}
}
