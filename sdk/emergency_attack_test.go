//go:build !js

package sdk_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/blindvault/blindvault/internal/auditlog"
	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server/servertest"
)

// Emergency access under a malicious server. A guardian approves only what
// the log shows, after the delay measured from the log's time, and only
// while the owner's chain (synced against the log) holds no refusal; the
// requester opens only shares that hash-chain into the holders' signed
// chains and lie on the set-up's commitments.

// emergencyAttackWorld: alice set up a 2-of-3 emergency key (delay 20 s)
// and shared a record with it; dr-jones asked for it. Gwen and dr-jones talk
// to the server through proxies.
type emergencyAttackWorld struct {
	*emergencyWorld
	gwen, jones, alice *proxy
	req                *sdk.EmergencyRequest
	rec                *sdk.RecordInfo
	body               []byte
}

func newEmergencyAttackWorld(t *testing.T) *emergencyAttackWorld {
	t.Helper()
	ctx := t.Context()
	aw := &emergencyAttackWorld{}
	aw.emergencyWorld = newEmergencyWorldVia(t, func(srv *servertest.Server, handle string) *sdk.Client {
		p := map[string]**proxy{"gwen": &aw.gwen, "dr-jones": &aw.jones, "alice": &aw.alice}[handle]
		if p == nil {
			return nil
		}
		*p = newProxy(t, srv.URL)
		return connectVia(t, srv, *p)
	})
	w := aw.emergencyWorld
	key, err := w.patient.SetUpEmergency(ctx, guardianNames, 2, 20*time.Second)
	if err != nil {
		t.Fatalf("SetUpEmergency: %v", err)
	}
	aw.body = []byte("blood type: O negative")
	aw.rec = put(t, w.patient, aw.body, "blood type")
	if err := w.patient.ShareWithThreshold(ctx, aw.rec.RecordID, key.ID); err != nil {
		t.Fatalf("ShareWithThreshold: %v", err)
	}
	if aw.req, err = w.clinician.RequestEmergency(ctx, "alice"); err != nil {
		t.Fatalf("RequestEmergency: %v", err)
	}
	return aw
}

// editChainEntries rewrites the entries of a chain page with edit; entries
// edit returns nil for are dropped.
func editChainEntries(t *testing.T, edit func(e *format.AccountEntry) *format.AccountEntry) hook {
	return editJSON(t, func(m map[string]json.RawMessage) {
		var es []struct {
			Seq   uint64 `json:"seq"`
			Entry []byte `json:"entry"`
		}
		if err := json.Unmarshal(m["entries"], &es); err != nil {
			t.Errorf("proxy: chain page: %v", err)
			return
		}
		out := es[:0]
		for _, item := range es {
			e, err := format.ParseAccountEntry(item.Entry)
			if err != nil {
				out = append(out, item)
				continue
			}
			if e = edit(e); e != nil {
				item.Entry = e.Marshal()
				out = append(out, item)
			}
		}
		m["entries"] = toJSON(out)
	})
}

// The server hides alice's refusal from a guardian: the guardian's sync of
// alice's chain against the log catches the missing entry, and nothing is
// approved.
func TestEmergencyAttack_RefusalHidden(t *testing.T) {
	aw := newEmergencyAttackWorld(t)
	ctx := t.Context()
	if err := aw.patient.RefuseEmergency(ctx, aw.req.ID); err != nil {
		t.Fatalf("RefuseEmergency: %v", err)
	}
	aw.clock.next()
	aw.gwen.attack(t, "GET", chainPath(aw.patient.AccountID()), editChainEntries(t, func(e *format.AccountEntry) *format.AccountEntry {
		if e.Event == format.EventRefusal {
			return nil
		}
		return e
	}))
	_, err := aw.guardian[0].ApproveEmergency(ctx, aw.req.ID)
	if !errors.Is(err, sdk.CheckRollback) {
		t.Fatalf("ApproveEmergency with the refusal hidden = %v, want CheckRollback", err)
	}
}

// The server forges an approval, or substitutes the share of a real one:
// either way the entry no longer carries its holder's signature, and the
// requester's sync of the holder's chain refuses it.
func TestEmergencyAttack_ApprovalForged(t *testing.T) {
	aw := newEmergencyAttackWorld(t)
	ctx := t.Context()
	aw.clock.next()
	for _, g := range []*sdk.Client{aw.guardian[0], aw.guardian[1]} {
		if _, err := g.ApproveEmergency(ctx, aw.req.ID); err != nil {
			t.Fatalf("ApproveEmergency: %v", err)
		}
	}
	aw.jones.attack(t, "GET", chainPath(aw.guardian[1].AccountID()), editChainEntries(t, func(e *format.AccountEntry) *format.AccountEntry {
		if e.Event == format.EventApproval {
			e.Share.CT = bytes.Repeat([]byte{0x42}, format.ShareCTSize) // a share of the server's choosing
		}
		return e
	}))
	_, err := aw.clinician.OpenEmergency(ctx, aw.req.ID)
	if !errors.Is(err, sdk.CheckChain) {
		t.Fatalf("OpenEmergency with a substituted share = %v, want CheckChain", err)
	}
	if _, _, err := get(t, aw.clinician, aw.rec.RecordID); err == nil {
		t.Fatalf("Get after a refused OpenEmergency = nil error")
	}
}

// editLogEntries rewrites the emergency requests among the log entries
// served, as a server that wants to show them otherwise would.
func editLogEntries(t *testing.T, edit func(e *auditlog.Entry)) hook {
	return editJSON(t, func(m map[string]json.RawMessage) {
		var raw [][]byte
		if err := json.Unmarshal(m["entries"], &raw); err != nil {
			t.Errorf("proxy: log entries: %v", err)
			return
		}
		for i, b := range raw {
			if e, err := auditlog.Parse(b); err == nil && e.Type == auditlog.EmergencyRequest {
				edit(e)
				raw[i] = e.Marshal()
			}
		}
		m["entries"] = toJSON(raw)
	})
}

// The server claims the request was logged long ago (an older log time for
// it), to get a guardian's approval before the delay: the log's entries no
// longer hash to its signed checkpoint, and the guardian approves nothing.
// Unattacked, the guardian still waits for the delay.
func TestEmergencyAttack_DelaySkipped(t *testing.T) {
	aw := newEmergencyAttackWorld(t)
	ctx := t.Context()
	if _, err := aw.guardian[0].ApproveEmergency(ctx, aw.req.ID); !errors.Is(err, sdk.ErrForbidden) {
		t.Fatalf("ApproveEmergency before the delay = %v, want ErrForbidden", err)
	}
	aw.gwen.attack(t, "GET", "/v1/log/entries", editLogEntries(t, func(e *auditlog.Entry) { e.Time -= 3600 }))
	if _, err := aw.guardian[0].ApproveEmergency(ctx, aw.req.ID); !errors.Is(err, sdk.CheckLogMismatch) {
		t.Fatalf("ApproveEmergency with a backdated log time = %v, want CheckLogMismatch", err)
	}
}

// The server hides the request from the owner's devices (shows its log entry
// as a plain chain entry): the log no longer verifies on the owner's device,
// and a guardian approves only a request logged as one to its owner.
func TestEmergencyAttack_HiddenFromOwner(t *testing.T) {
	aw := newEmergencyAttackWorld(t)
	ctx := t.Context()
	// A second device of alice's, unattacked, lists the request.
	alice2 := newClient(t, aw.srv, nil)
	if _, err := alice2.Login(ctx, &sdk.LoginOptions{Handle: "alice", Passphrase: []byte(patientPass)}); err != nil {
		t.Fatalf("Login: %v", err)
	}
	st, err := alice2.EmergencyStatus(ctx)
	if err != nil || len(st) != 1 || st[0].ID != aw.req.ID {
		t.Fatalf("owner EmergencyStatus = %+v, %v; want the request", st, err)
	}
	aw.alice.attack(t, "GET", "/v1/log/entries", editLogEntries(t, func(e *auditlog.Entry) {
		e.Type, e.Peer = auditlog.ChainEntry, [32]byte{}
	}))
	if _, err := aw.patient.EmergencyStatus(ctx); !errors.Is(err, sdk.CheckLogMismatch) {
		t.Fatalf("owner EmergencyStatus with the request hidden = %v, want CheckLogMismatch", err)
	}
}

// A requester's client of its own making asks for an ordinary record of the
// owner as if it were a threshold key: the server serves nothing, since no
// set-up names it (and nothing would open without the record's grants).
func TestEmergencyAttack_RequestForOrdinaryRecord(t *testing.T) {
	w := newEmergencyWorld(t)
	ctx := t.Context()
	rec := put(t, w.patient, []byte("not shared with anyone"), "private")
	if err := sdk.AppendRequest(ctx, w.clinician, rec.RecordID, w.patient.AccountID()); err != nil {
		t.Fatalf("AppendRequest: %v", err)
	}
	if _, _, err := get(t, w.clinician, rec.RecordID); !errors.Is(err, sdk.ErrNotFound) {
		t.Fatalf("Get of a record named by a forged request = %v, want ErrNotFound", err)
	}
}
