package sdk

import (
	"context"
	"fmt"
	"time"

	"github.com/blindvault/blindvault/internal/summary"
)

// The printable summary's data, in every build: what ExportSummary prints
// and what the browser's PDF module (wasm/pdf) is handed. Every entry comes
// from a verified call: List, Readers and Audit.

// summaryData gathers the summary of what this account owns or reads: every
// record (List), who can read each of its own now (Readers), and the recent
// history (Audit) of the summary.MaxHistoryRecords of its own that changed
// last, without the owner's bookkeeping (its own grants and ACL changes).
func (c *Client) summaryData(ctx context.Context) (*summary.Data, error) {
	recs, err := c.List(ctx)
	if err != nil {
		return nil, err
	}
	me := c.Card()
	d := &summary.Data{Account: agentOf(me), Time: time.Now(), Records: make([]summary.Record, len(recs))}
	var own []*RecordInfo
	var ownOut []*summary.Record // own[k]'s entry in d.Records
	for i, r := range recs {
		s := &d.Records[i]
		*s = summary.Record{Type: r.Type, Title: r.Title, Version: r.Version, Modified: r.Modified}
		if r.Author != nil {
			a := agentOf(r.Author)
			s.Author = &a
		}
		if r.Owner == nil {
			continue
		}
		o := agentOf(r.Owner)
		s.Owner = &o
		if r.Owner.Fingerprint() != me.Fingerprint() {
			continue
		}
		own, ownOut = append(own, r), append(ownOut, s)
	}
	ownIDs := make([]RecordID, len(own))
	for i, r := range own {
		ownIDs[i] = r.RecordID
	}
	readersOf, err := c.readersOf(ctx, ownIDs) // the views of 200 a request
	if err != nil {
		return nil, fmt.Errorf("readers: %w", err)
	}
	for k, r := range own {
		s := ownOut[k]
		readers := readersOf[r.RecordID]
		s.Readers = make([]summary.Reader, len(readers))
		for j, rd := range readers {
			sr := summary.Reader{Owner: rd.Owner, KeyID: rd.KeyID}
			if rd.Team != nil {
				sr.Team, sr.TeamStatus = rd.Team.Name, rd.Team.Status()
			}
			if ct := rd.Contact; ct != nil {
				sr.Contact = &summary.Agent{Handle: ct.Handle, Fingerprint: ct.Fingerprint.String()}
				sr.ContactStatus = ct.Status()
			}
			s.Readers[j] = sr
		}
	}
	// List lists the most recently changed first. (This loop and the next
	// are plain loops, not slices' generics: each instantiation adds to
	// blindvault.wasm.)
	d.HistoryLeftOut = max(0, len(own)-summary.MaxHistoryRecords)
	own = own[:min(len(own), summary.MaxHistoryRecords)]
	audits, err := c.auditRecords(ctx, ownIDs[:len(own)]) // one read of the log for them all
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	for _, r := range own {
		h := summary.History{Title: r.Title}
		for _, e := range audits[r.RecordID] {
			if e.Action == "ACL changed" || (e.Action == "grant created" && e.Who == e.Whom) {
				continue // the owner's own bookkeeping, not news
			}
			h.Events = append(h.Events, summary.Event{Time: e.Time, Action: e.Action, Who: e.Who, Whom: e.Whom, Version: e.Version})
		}
		h.Events = h.Events[max(0, len(h.Events)-summary.MaxHistoryEvents):]
		d.History = append(d.History, h)
	}
	return d, nil
}

func agentOf(k *KeyCard) summary.Agent {
	return summary.Agent{Handle: k.Handle(), Fingerprint: k.Fingerprint().String()}
}
