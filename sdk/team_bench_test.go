//go:build !js

package sdk_test

import (
	"bytes"
	"flag"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/servertest"
)

// Care teams at clinic size (issue 15): -team-members accounts in the team,
// -team-records records in a collection shared with it. Setting up is not
// timed and takes a while (about 0.1 s a record and 0.3 s a member here).
var (
	teamMembers = flag.Int("team-members", 50, "members of the team in BenchmarkTeam")
	teamRecords = flag.Int("team-records", 100, "records in the collection in BenchmarkTeam")
)

// BenchmarkTeam measures, with one server in the process (so each figure is
// the client's time plus the server's, on one machine):
//   - share-collection: sharing a collection of -team-records records with the
//     team, one grant whatever the records and members;
//   - add-member and remove-member: one member in or out of the team;
//   - next-write, and next-write-after-removal: a new version of a record in
//     the collection, as usual and after the team changed its key (the work a
//     removal defers to each record's next write: one ACL and grant set more).
func BenchmarkTeam(b *testing.B) {
	ctx := b.Context()
	// Registering the team's members, all from one address, would meet the
	// limits on unknown accounts' OPRF evaluations: they are off here.
	off := server.RateLimit{Rate: -1}
	srv := servertest.Start(b, server.Config{RateAddress: off, RateAccount: off, RateAnonymous: off, RateUnknownEvaluations: off})
	w := setUpWorld(b, srv, func(string) *sdk.Client { return newClient(b, srv, nil) })
	if _, err := w.admin.CreateTeam(ctx, "Ward", &sdk.TeamOptions{Org: org}); err != nil {
		b.Fatal(err)
	}
	handles := []string{"dr-jones"}
	for i := 1; i < *teamMembers+1; i++ { // one more, to add and remove
		invite, err := w.admin.Invite(ctx, "clinician", 0)
		if err != nil {
			b.Fatal(err)
		}
		h := fmt.Sprintf("clin-%03d", i)
		register(b, newClient(b, srv, nil), h, "clinician", invite, clinicianPass)
		handles = append(handles, h)
	}
	extra := handles[len(handles)-1]
	for _, h := range handles[:*teamMembers] {
		if _, err := w.admin.AddTeamMember(ctx, "Ward", h, nil); err != nil {
			b.Fatal(err)
		}
	}
	col, err := w.patient.CreateCollection(ctx, "Everything", &sdk.CollectionOptions{Type: "Observation"})
	if err != nil {
		b.Fatal(err)
	}
	var last *sdk.RecordInfo
	for i := range *teamRecords {
		body := fmt.Appendf(nil, `{"resourceType":"Observation","id":"%d"}`, i)
		if last, err = w.patient.Put(ctx, bytes.NewReader(body), &sdk.PutOptions{Type: "Observation", Size: int64(len(body))}); err != nil {
			b.Fatal(err)
		}
	}
	team := org + "/Ward"
	name := fmt.Sprintf("members=%d/records=%d", *teamMembers, *teamRecords)

	b.Run("share-collection/"+name, func(b *testing.B) {
		for range b.N {
			if _, err := w.patient.ShareWithTeam(ctx, col.ID, team, &sdk.ShareOptions{History: true}); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if err := w.patient.RevokeTeam(ctx, col.ID, team); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	})
	if _, err := w.patient.ShareWithTeam(ctx, col.ID, team, &sdk.ShareOptions{History: true}); err != nil {
		b.Fatal(err)
	}
	b.Run("add-member/"+name, func(b *testing.B) {
		for range b.N {
			if _, err := w.admin.AddTeamMember(ctx, "Ward", extra, nil); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if _, err := w.admin.RemoveTeamMember(ctx, "Ward", extra); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	})
	// The same add, without and with the client's caches of verified work
	// (opencache.go), alternating in one loop so both see the same load;
	// medians, since one descheduled add on a loaded machine moves a mean.
	b.Run("add-member-side-by-side/"+name, func(b *testing.B) {
		var took [2][]time.Duration // without, with
		for i := range b.N {
			for j := range 2 {
				cached := (i+j)%2 == 1
				sdk.SetCaches(w.admin, cached)
				start := time.Now()
				if _, err := w.admin.AddTeamMember(ctx, "Ward", extra, nil); err != nil {
					b.Fatal(err)
				}
				took[btoi(cached)] = append(took[btoi(cached)], time.Since(start))
				if _, err := w.admin.RemoveTeamMember(ctx, "Ward", extra); err != nil {
					b.Fatal(err)
				}
			}
		}
		sdk.SetCaches(w.admin, true)
		b.ReportMetric(median(took[0]), "ms/add-uncached")
		b.ReportMetric(median(took[1]), "ms/add-cached")
		b.ReportMetric(0, "ns/op")
	})
	write := func(b *testing.B) {
		body := []byte(`{"resourceType":"Observation","status":"amended"}`)
		if _, err := w.patient.Put(ctx, bytes.NewReader(body), &sdk.PutOptions{Update: last.RecordID, Size: int64(len(body))}); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("next-write/"+name, func(b *testing.B) {
		for range b.N {
			write(b)
		}
	})
	b.Run("remove-member/"+name, func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			if _, err := w.admin.AddTeamMember(ctx, "Ward", extra, nil); err != nil {
				b.Fatal(err)
			}
			write(b) // the record follows the team's key before the removal
			b.StartTimer()
			if _, err := w.admin.RemoveTeamMember(ctx, "Ward", extra); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("next-write-after-removal/"+name, func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			if _, err := w.admin.AddTeamMember(ctx, "Ward", extra, nil); err != nil {
				b.Fatal(err)
			}
			write(b)
			if _, err := w.admin.RemoveTeamMember(ctx, "Ward", extra); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			write(b)
		}
	})
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// median is the median of ds, in milliseconds.
func median(ds []time.Duration) float64 {
	slices.Sort(ds)
	return float64(ds[len(ds)/2].Microseconds()) / 1000
}
