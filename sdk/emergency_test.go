//go:build !js

package sdk_test

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/servertest"
)

// emergencyWorld is the world on a server with a test clock, and three
// guardians of alice.
type emergencyWorld struct {
	*world
	clock    *stepClock // shared by the server and the clients (mfa_test.go)
	guardian []*sdk.Client
}

var guardianNames = []string{"gwen", "gus", "gina"}

func newEmergencyWorld(t *testing.T) *emergencyWorld {
	t.Helper()
	return newEmergencyWorldVia(t, nil)
}

// newEmergencyWorldVia is newEmergencyWorld with the clients that via makes
// for some handles (nil, or a nil client: a plain one).
func newEmergencyWorldVia(t *testing.T, via func(srv *servertest.Server, handle string) *sdk.Client) *emergencyWorld {
	t.Helper()
	clk := &stepClock{t: time.Now().Truncate(time.Second)}
	// The limits refill on the server's clock, which this test moves by hand.
	srv := servertest.Start(t, server.Config{Now: clk.Now, RateAddress: server.RateLimit{Rate: -1}, RateAccount: server.RateLimit{Rate: -1}})
	connect := func(handle string) *sdk.Client {
		var c *sdk.Client
		if via != nil {
			c = via(srv, handle)
		}
		if c == nil {
			c = newClient(t, srv, nil)
		}
		sdk.SetClock(c, clk.Now)
		return c
	}
	w := &emergencyWorld{world: setUpWorld(t, srv, connect), clock: clk}
	for _, name := range guardianNames {
		g := connect(name)
		register(t, g, name, "", "", "guardian passphrase of "+name+" 93")
		w.guardian = append(w.guardian, g)
	}
	return w
}

func TestEmergency_TwoOfThree(t *testing.T) {
	w := newEmergencyWorld(t)
	ctx := t.Context()

	start := time.Now()
	key, err := w.patient.SetUpEmergency(ctx, guardianNames, 2, 30*time.Second)
	if err != nil {
		t.Fatalf("SetUpEmergency: %v", err)
	}
	t.Logf("SetUpEmergency(2 of 3) took %v", time.Since(start))
	if key.K != 2 || key.N != 3 || !key.Emergency || key.Delay != 30*time.Second {
		t.Fatalf("SetUpEmergency = %+v, want 2 of 3, emergency, 30s", key)
	}
	body := []byte(`{"resourceType":"AllergyIntolerance","code":{"text":"penicillin"}}`)
	rec := put(t, w.patient, body, "allergies")
	if err := w.patient.ShareWithThreshold(ctx, rec.RecordID, key.ID); err != nil {
		t.Fatalf("ShareWithThreshold: %v", err)
	}

	// Before any request the clinician is served nothing.
	if _, _, err := get(t, w.clinician, rec.RecordID); !errors.Is(err, sdk.ErrNotFound) {
		t.Fatalf("clinician Get before a request = %v, want ErrNotFound", err)
	}
	req, err := w.clinician.RequestEmergency(ctx, "alice")
	if err != nil {
		t.Fatalf("RequestEmergency: %v", err)
	}
	if req.K != 2 || req.Refused || !req.NotBefore.Equal(req.Logged.Add(30*time.Second)) {
		t.Fatalf("RequestEmergency = %+v", req)
	}

	// The owner sees the open request.
	st, err := w.patient.EmergencyStatus(ctx)
	if err != nil || len(st) != 1 || st[0].ID != req.ID || st[0].RequesterHandle != "dr-jones" || st[0].Role != "owner" {
		t.Fatalf("owner EmergencyStatus = %+v, %v; want the request by dr-jones", st, err)
	}

	// ... and is alerted, at high severity, with the time to refuse by.
	alerts, err := w.patient.Alerts(ctx, nil)
	if err != nil {
		t.Fatalf("Alerts: %v", err)
	}
	i := slices.IndexFunc(alerts, func(a sdk.Alert) bool { return a.Kind == sdk.AlertEmergencyRequest })
	if i < 0 || alerts[i].Severity != "high" || alerts[i].Who != "dr-jones" || !strings.Contains(alerts[i].Message, req.ID) {
		t.Fatalf("Alerts = %+v, want a high emergency-request alert by dr-jones naming %s", alerts, req.ID)
	}

	// A guardian sees it among the requests it may approve.
	st, err = w.guardian[1].EmergencyStatus(ctx)
	if err != nil || len(st) != 1 || st[0].ID != req.ID || st[0].Role != "holder" {
		t.Fatalf("guardian EmergencyStatus = %+v, %v; want the request, as a holder", st, err)
	}
	// An account with no part in it does not.
	if st, err := w.admin.EmergencyStatus(ctx); err != nil || len(st) != 0 {
		t.Fatalf("bystander EmergencyStatus = %+v, %v; want nothing", st, err)
	}

	// No guardian approves before the delay.
	if _, err := w.guardian[0].ApproveEmergency(ctx, req.ID); !errors.Is(err, sdk.ErrForbidden) {
		t.Fatalf("ApproveEmergency before the delay = %v, want ErrForbidden", err)
	}
	// The server's clock moves with the clients' (30 s a step): sign-in
	// objects the clients date by the real clock expire after a minute of it.
	w.clock.next()

	if _, err := w.guardian[0].ApproveEmergency(ctx, req.ID); err != nil {
		t.Fatalf("ApproveEmergency(gwen): %v", err)
	}
	// One guardian alone cannot open.
	if _, err := w.clinician.OpenEmergency(ctx, req.ID); !errors.Is(err, sdk.ErrForbidden) {
		t.Fatalf("OpenEmergency with 1 of 2 approvals = %v, want ErrForbidden", err)
	}
	// Nor is the requester served the record (the server's gate counts the
	// approvals logged; the shares are the real gate).
	if _, _, err := get(t, w.clinician, rec.RecordID); !errors.Is(err, sdk.ErrNotFound) {
		t.Fatalf("clinician Get with 1 of 2 approvals = %v, want ErrNotFound", err)
	}
	if _, err := w.guardian[2].ApproveEmergency(ctx, req.ID); err != nil {
		t.Fatalf("ApproveEmergency(gina): %v", err)
	}
	start = time.Now()
	ids, err := w.clinician.OpenEmergency(ctx, req.ID)
	if err != nil {
		t.Fatalf("OpenEmergency: %v", err)
	}
	t.Logf("OpenEmergency(2 approvals) took %v", time.Since(start))
	if !slices.Contains(ids, rec.RecordID) {
		t.Fatalf("OpenEmergency = %v, want %v among them", ids, rec.RecordID)
	}
	if got, _, err := get(t, w.clinician, rec.RecordID); err != nil || !bytes.Equal(got, body) {
		t.Fatalf("clinician Get after OpenEmergency = %q, %v", got, err)
	}
	// The patient's audit of the record shows the grant to the key and the
	// clinician's read.
	events, err := w.patient.Audit(ctx, rec.RecordID)
	if err != nil {
		t.Fatalf("Audit: %v", err)
	}
	if !slices.ContainsFunc(events, func(e sdk.AuditEvent) bool { return e.Action == "body read" && e.Who == "dr-jones" }) ||
		!slices.ContainsFunc(events, func(e sdk.AuditEvent) bool {
			return e.Action == "grant created" && e.Whom == "emergency key (2 of 3)"
		}) {
		t.Fatalf("Audit = %+v, want a grant to the emergency key (2 of 3) and a body read by dr-jones", events)
	}
	st, err = w.clinician.EmergencyStatus(ctx)
	if err != nil || len(st) != 1 || st[0].Approvals != 2 {
		t.Fatalf("requester EmergencyStatus = %+v, %v; want 2 approvals", st, err)
	}
	// A guardian is no reader of the records.
	if _, _, err := get(t, w.guardian[1], rec.RecordID); err == nil {
		t.Fatalf("guardian Get = nil error")
	}
}

func TestEmergency_Refused(t *testing.T) {
	w := newEmergencyWorld(t)
	ctx := t.Context()
	if _, err := w.patient.SetUpEmergency(ctx, guardianNames, 2, 20*time.Second); err != nil {
		t.Fatalf("SetUpEmergency: %v", err)
	}
	req, err := w.clinician.RequestEmergency(ctx, "alice")
	if err != nil {
		t.Fatalf("RequestEmergency: %v", err)
	}
	if err := w.patient.RefuseEmergency(ctx, req.ID); err != nil {
		t.Fatalf("RefuseEmergency: %v", err)
	}
	w.clock.next()
	for i, g := range w.guardian[:2] {
		if _, err := g.ApproveEmergency(ctx, req.ID); !errors.Is(err, sdk.ErrRevoked) {
			t.Fatalf("ApproveEmergency(guardian %d) after a refusal = %v, want ErrRevoked", i, err)
		}
	}
	if _, err := w.clinician.OpenEmergency(ctx, req.ID); !errors.Is(err, sdk.ErrRevoked) {
		t.Fatalf("OpenEmergency after a refusal = %v, want ErrRevoked", err)
	}
	// Only the owner refuses.
	if err := w.guardian[0].RefuseEmergency(ctx, req.ID); !errors.Is(err, sdk.ErrForbidden) {
		t.Fatalf("guardian RefuseEmergency = %v, want ErrForbidden", err)
	}
}

// TestThreshold_TwoOfTwo: a platform and a customer each hold one share of a
// key guarding a credential; neither alone opens it.
func TestThreshold_TwoOfTwo(t *testing.T) {
	w := newEmergencyWorld(t)
	ctx := t.Context()
	platform := w.guardian[0] // gwen plays the platform's service account
	key, err := w.patient.SetUpThreshold(ctx, []string{"alice", "gwen"}, 2)
	if err != nil {
		t.Fatalf("SetUpThreshold: %v", err)
	}
	cred := []byte("ehr-api-token: s3cr3t")
	rec := put(t, w.patient, cred, "EHR credential")
	if err := w.patient.ShareWithThreshold(ctx, rec.RecordID, key.ID); err != nil {
		t.Fatalf("ShareWithThreshold: %v", err)
	}
	req, err := platform.RequestThreshold(ctx, "alice")
	if err != nil {
		t.Fatalf("RequestThreshold: %v", err)
	}
	if _, err := platform.ApproveEmergency(ctx, req.ID); err != nil {
		t.Fatalf("platform ApproveEmergency: %v", err)
	}
	if _, err := platform.OpenEmergency(ctx, req.ID); !errors.Is(err, sdk.ErrForbidden) {
		t.Fatalf("OpenEmergency with the platform's share only = %v, want ErrForbidden", err)
	}
	if _, err := w.patient.ApproveEmergency(ctx, req.ID); err != nil {
		t.Fatalf("customer ApproveEmergency: %v", err)
	}
	if _, err := platform.OpenEmergency(ctx, req.ID); err != nil {
		t.Fatalf("OpenEmergency: %v", err)
	}
	if got, _, err := get(t, platform, rec.RecordID); err != nil || !bytes.Equal(got, cred) {
		t.Fatalf("platform Get = %q, %v", got, err)
	}
}

// A collection shared with the emergency key: what joins it later is
// readable by an approved requester too, through two groups.
func TestEmergency_Collection(t *testing.T) {
	w := newEmergencyWorld(t)
	ctx := t.Context()
	key, err := w.patient.SetUpEmergency(ctx, guardianNames[:2], 1, 0)
	if err != nil {
		t.Fatalf("SetUpEmergency: %v", err)
	}
	col, err := w.patient.CreateCollection(ctx, "Allergies", &sdk.CollectionOptions{Tag: "allergy"})
	if err != nil {
		t.Fatalf("CreateCollection: %v", err)
	}
	if err := w.patient.ShareWithThreshold(ctx, col.ID, key.ID); err != nil {
		t.Fatalf("ShareWithThreshold(collection): %v", err)
	}
	body := []byte("peanuts")
	rec, err := w.patient.Put(ctx, bytes.NewReader(body), &sdk.PutOptions{Title: "peanut allergy", Tags: []string{"allergy"}, Size: int64(len(body))})
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	req, err := w.clinician.RequestEmergency(ctx, "alice")
	if err != nil {
		t.Fatalf("RequestEmergency: %v", err)
	}
	if _, err := w.guardian[1].ApproveEmergency(ctx, req.ID); err != nil {
		t.Fatalf("ApproveEmergency: %v", err)
	}
	ids, err := w.clinician.OpenEmergency(ctx, req.ID)
	if err != nil {
		t.Fatalf("OpenEmergency: %v", err)
	}
	if !slices.Contains(ids, rec.RecordID) {
		t.Fatalf("OpenEmergency = %v, want the collection's record %v among them", ids, rec.RecordID)
	}
	if got, _, err := get(t, w.clinician, rec.RecordID); err != nil || !bytes.Equal(got, body) {
		t.Fatalf("Get through the collection = %q, %v", got, err)
	}
}

// A requester the owner knows by no other name is named in the audit as
// one who came by emergency access: handle and "(emergency access)".
func TestEmergency_AuditNamesRequester(t *testing.T) {
	w := newEmergencyWorld(t)
	ctx := t.Context()
	invite, err := w.admin.Invite(ctx, "clinician", 0)
	if err != nil {
		t.Fatalf("Invite: %v", err)
	}
	er := newClient(t, w.srv, nil)
	sdk.SetClock(er, w.clock.Now)
	register(t, er, "dr-er", "clinician", invite, "night shift passphrase of dr-er 77")

	key, err := w.patient.SetUpEmergency(ctx, guardianNames, 2, 30*time.Second)
	if err != nil {
		t.Fatalf("SetUpEmergency: %v", err)
	}
	rec := put(t, w.patient, []byte(`{"resourceType":"Condition","code":{"text":"asthma"}}`), "conditions")
	if err := w.patient.ShareWithThreshold(ctx, rec.RecordID, key.ID); err != nil {
		t.Fatalf("ShareWithThreshold: %v", err)
	}
	req, err := er.RequestEmergency(ctx, "alice")
	if err != nil {
		t.Fatalf("RequestEmergency: %v", err)
	}
	w.clock.next()
	for _, g := range []*sdk.Client{w.guardian[0], w.guardian[2]} {
		if _, err := g.ApproveEmergency(ctx, req.ID); err != nil {
			t.Fatalf("ApproveEmergency: %v", err)
		}
	}
	if _, err := er.OpenEmergency(ctx, req.ID); err != nil {
		t.Fatalf("OpenEmergency: %v", err)
	}
	if _, _, err := get(t, er, rec.RecordID); err != nil {
		t.Fatalf("Get after OpenEmergency: %v", err)
	}
	events, err := w.patient.Audit(ctx, rec.RecordID)
	if err != nil {
		t.Fatalf("Audit: %v", err)
	}
	if !slices.ContainsFunc(events, func(e sdk.AuditEvent) bool {
		return e.Action == "body read" && e.Who == "dr-er (emergency access)"
	}) {
		t.Fatalf("Audit = %+v, want a body read by %q", events, "dr-er (emergency access)")
	}
}
