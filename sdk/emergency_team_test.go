//go:build !js

package sdk_test

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server/servertest"
)

// A care team as an emergency guardian (threshold-v1 §3.1, §5): the share
// is sealed to the team's key, any current member approves for the team,
// and the team counts once.

// teamGuardianWorld: the admin's team "Guardians" of the organisation has
// gwen and gus as members; alice set up a 2-of-2 emergency key held by the
// team (index 1) and gina (index 2), delay 20 s, shared a record with it,
// and dr-jones asked for it.
type teamGuardianWorld struct {
	*emergencyWorld
	jones *proxy
	key   *sdk.ThresholdKey
	req   *sdk.EmergencyRequest
	rec   *sdk.RecordInfo
	body  []byte
}

const guardianTeam = org + "/Guardians"

func newTeamGuardianWorld(t *testing.T) *teamGuardianWorld {
	t.Helper()
	ctx := t.Context()
	tw := &teamGuardianWorld{}
	tw.emergencyWorld = newEmergencyWorldVia(t, func(srv *servertest.Server, handle string) *sdk.Client {
		if handle != "dr-jones" {
			return nil
		}
		tw.jones = newProxy(t, srv.URL)
		return connectVia(t, srv, tw.jones)
	})
	w := tw.emergencyWorld
	if _, err := w.admin.CreateTeam(ctx, "Guardians", &sdk.TeamOptions{Org: org}); err != nil {
		t.Fatalf("CreateTeam: %v", err)
	}
	for _, m := range []string{"gwen", "gus"} {
		if _, err := w.admin.AddTeamMember(ctx, "Guardians", m, nil); err != nil {
			t.Fatalf("AddTeamMember(%s): %v", m, err)
		}
	}
	var err error
	if tw.key, err = w.patient.SetUpEmergency(ctx, []string{guardianTeam, "gina"}, 2, 20*time.Second); err != nil {
		t.Fatalf("SetUpEmergency(team, gina): %v", err)
	}
	if len(tw.key.Teams) != 1 || tw.key.Teams[0].Index != 1 || tw.key.Teams[0].Name != "Guardians" || tw.key.Teams[0].Stale() {
		t.Fatalf("SetUpEmergency teams = %+v, want Guardians at index 1, current", tw.key.Teams)
	}
	tw.body = []byte("blood type: AB positive")
	tw.rec = put(t, w.patient, tw.body, "blood type")
	if err := w.patient.ShareWithThreshold(ctx, tw.rec.RecordID, tw.key.ID); err != nil {
		t.Fatalf("ShareWithThreshold: %v", err)
	}
	if tw.req, err = w.clinician.RequestEmergency(ctx, "alice"); err != nil {
		t.Fatalf("RequestEmergency: %v", err)
	}
	w.clock.next()
	return tw
}

func (tw *teamGuardianWorld) gwen() *sdk.Client { return tw.guardian[0] }
func (tw *teamGuardianWorld) gus() *sdk.Client  { return tw.guardian[1] }
func (tw *teamGuardianWorld) gina() *sdk.Client { return tw.guardian[2] }

// approve has c approve the request, as who.
func (tw *teamGuardianWorld) approve(t *testing.T, c *sdk.Client, who string) {
	t.Helper()
	if _, err := c.ApproveEmergency(t.Context(), tw.req.ID); err != nil {
		t.Fatalf("ApproveEmergency(%s): %v", who, err)
	}
}

// wantNotOpened checks that the requester cannot open the request yet, with
// want approvals counted.
func (tw *teamGuardianWorld) wantNotOpened(t *testing.T, want int) {
	t.Helper()
	if _, err := tw.clinician.OpenEmergency(t.Context(), tw.req.ID); !errors.Is(err, sdk.ErrForbidden) {
		t.Fatalf("OpenEmergency = %v, want ErrForbidden", err)
	}
	st, err := tw.clinician.EmergencyStatus(t.Context())
	if err != nil || len(st) != 1 || st[0].Approvals != want {
		for _, r := range st {
			t.Logf("request %+v", *r)
		}
		t.Fatalf("requester EmergencyStatus = %d requests, %v; want one with %d approvals", len(st), err, want)
	}
}

func (tw *teamGuardianWorld) wantOpened(t *testing.T) {
	t.Helper()
	ids, err := tw.clinician.OpenEmergency(t.Context(), tw.req.ID)
	if err != nil || !slices.Contains(ids, tw.rec.RecordID) {
		t.Fatalf("OpenEmergency = %v, %v; want the record", ids, err)
	}
	if got, _, err := get(t, tw.clinician, tw.rec.RecordID); err != nil || !bytes.Equal(got, tw.body) {
		t.Fatalf("clinician Get = %q, %v", got, err)
	}
}

func TestEmergency_TeamGuardian(t *testing.T) {
	tw := newTeamGuardianWorld(t)
	ctx := t.Context()
	// A member sees the request as one it may approve.
	st, err := tw.gus().EmergencyStatus(ctx)
	if err != nil || len(st) != 1 || st[0].Role != "holder" || len(st[0].Notes) != 0 {
		t.Fatalf("member EmergencyStatus = %+v, %v; want the request, as a holder, no notes", st, err)
	}
	tw.approve(t, tw.gwen(), "gwen, for the team")
	tw.wantNotOpened(t, 1)
	// A second member's approval is the same share: the team counts once.
	tw.approve(t, tw.gus(), "gus, for the team")
	tw.wantNotOpened(t, 1)
	tw.approve(t, tw.gina(), "gina")
	tw.wantOpened(t)
}

// A member approves, then is removed: its approval no longer counts (the
// requester asks only the members the team's newest description lists), and
// its client approves nothing more. The owner is told to set up again; a
// remaining member of the set-up's epoch still approves for the team.
func TestEmergency_TeamGuardianRemovedMember(t *testing.T) {
	tw := newTeamGuardianWorld(t)
	ctx := t.Context()
	tw.approve(t, tw.gus(), "gus, a member")
	if _, err := tw.admin.RemoveTeamMember(ctx, "Guardians", "gus"); err != nil {
		t.Fatalf("RemoveTeamMember: %v", err)
	}
	if _, err := tw.gus().ApproveEmergency(ctx, tw.req.ID); !errors.Is(err, sdk.ErrForbidden) {
		t.Fatalf("ApproveEmergency(removed member) = %v, want ErrForbidden", err)
	}
	tw.approve(t, tw.gina(), "gina")
	tw.wantNotOpened(t, 1)
	if _, _, err := get(t, tw.clinician, tw.rec.RecordID); !errors.Is(err, sdk.ErrNotFound) {
		t.Fatalf("clinician Get with the removed member's approval = %v, want ErrNotFound (the server's count)", err)
	}
	// The owner learns that the team's key moved on.
	keys, err := tw.patient.ThresholdKeys(ctx)
	if err != nil || len(keys) != 1 || len(keys[0].Teams) != 1 || !keys[0].Teams[0].Stale() ||
		!strings.Contains(keys[0].Teams[0].Note(), "set up emergency access again") {
		t.Fatalf("ThresholdKeys = %+v, %v; want the guardian team stale", keys, err)
	}
	st, err := tw.patient.EmergencyStatus(ctx)
	if err != nil || len(st) != 1 || len(st[0].Notes) != 1 || !strings.Contains(st[0].Notes[0], "epoch 1, now 2") {
		t.Fatalf("owner EmergencyStatus = %+v, %v; want a note that the team rotated its key", st, err)
	}
	tw.approve(t, tw.gwen(), "gwen, member of the set-up's epoch")
	tw.wantOpened(t)
}

// An account outside the team signs an approval with the team's index: the
// requester does not read it (only the team's members' chains are asked),
// nor does the server count it.
func TestEmergencyAttack_TeamApprovalByNonMember(t *testing.T) {
	tw := newTeamGuardianWorld(t)
	ctx := t.Context()
	if _, err := tw.admin.ApproveEmergency(ctx, tw.req.ID); !errors.Is(err, sdk.ErrForbidden) {
		t.Fatalf("ApproveEmergency(team admin, no member) = %v, want ErrForbidden", err)
	}
	if err := sdk.AppendApproval(ctx, tw.admin, tw.req.ID, 1); err != nil {
		t.Fatalf("AppendApproval(non-member): %v", err)
	}
	tw.approve(t, tw.gina(), "gina")
	tw.wantNotOpened(t, 1)
	if _, _, err := get(t, tw.clinician, tw.rec.RecordID); !errors.Is(err, sdk.ErrNotFound) {
		t.Fatalf("clinician Get with the team unapproved = %v, want ErrNotFound (the server's count)", err)
	}
}

// The server puts a removed member back into the team's description in the
// admin's chain it serves the requester, so that the member's approval
// would count: the edited entry no longer carries the admin's signature.
func TestEmergencyAttack_RemovedMemberRestored(t *testing.T) {
	tw := newTeamGuardianWorld(t)
	ctx := t.Context()
	tw.approve(t, tw.gus(), "gus, a member")
	if _, err := tw.admin.RemoveTeamMember(ctx, "Guardians", "gus"); err != nil {
		t.Fatalf("RemoveTeamMember: %v", err)
	}
	tw.approve(t, tw.gina(), "gina")
	gus := [32]byte(tw.gus().AccountID())
	tw.jones.attack(t, "GET", chainPath(tw.admin.AccountID()), editChainEntries(t, func(e *format.AccountEntry) *format.AccountEntry {
		if e.Event == format.EventTeam && !slices.Contains(e.Team.Members, gus) {
			e.Team.Members = append(e.Team.Members, gus)
			slices.SortFunc(e.Team.Members, func(a, b [32]byte) int { return bytes.Compare(a[:], b[:]) })
		}
		return e
	}))
	if _, err := tw.clinician.OpenEmergency(ctx, tw.req.ID); !errors.Is(err, sdk.CheckChain) {
		t.Fatalf("OpenEmergency with a removed member restored = %v, want CheckChain", err)
	}
}
