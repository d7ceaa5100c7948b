package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/blindvault/blindvault/sdk"
)

// runAudit shows who wrote, read, shared, revoked or deleted a record (or
// every record this account owns), from the verified transparency log.
func runAudit(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	o := addOnlineFlags(fs, true)
	o.addWitnessFlag(fs)
	var one *[32]byte // the record asked for, if any
	pos, c, err := start(ctx, fs, o, args, func(pos []string) error {
		if len(pos) > 1 {
			return usagef("usage: blindvault audit [ID]")
		}
		if len(pos) == 1 {
			id, err := recordID(pos[0])
			one = &id
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer c.Logout(context.WithoutCancel(ctx))
	type recordAudit struct {
		ID         string           `json:"id"`
		Title      string           `json:"title,omitempty"`
		Events     []sdk.AuditEvent `json:"events"`
		Amendments []amendmentView  `json:"amendments,omitempty"`
	}
	// The right to correct is part of a record's history: requests, answers
	// and disagreements, each a verified record of its own (client-v1 §8).
	amendments, err := c.AllAmendments(ctx)
	if err != nil {
		return friendly(err)
	}
	var audits []recordAudit
	if one != nil {
		evs, err := c.Audit(ctx, *one)
		if err != nil {
			return friendly(err)
		}
		audits = append(audits, recordAudit{ID: pos[0], Events: evs, Amendments: amendmentViews(amendments[*one])})
	} else {
		recs, err := c.List(ctx)
		if err != nil {
			return friendly(err)
		}
		me := c.AccountID()
		for _, r := range recs {
			if r.Owner != nil && r.Owner.AccountID() != me {
				continue
			}
			evs, err := c.Audit(ctx, r.RecordID)
			if err != nil {
				return friendly(err)
			}
			audits = append(audits, recordAudit{ID: r.RecordID.String(), Title: r.Title, Events: evs,
				Amendments: amendmentViews(amendments[r.RecordID])})
		}
	}
	if o.json {
		return printJSON(s.out, audits)
	}
	for _, a := range audits {
		title := ""
		if a.Title != "" {
			title = " " + fmt.Sprintf("%q", clean(a.Title))
		}
		fmt.Fprintf(s.out, "Record %s%s\n", a.ID, title)
		for _, e := range a.Events {
			line := fmt.Sprintf("  %s  %-20s %s", e.Time.Format("2006-01-02 15:04:05Z"), e.Action, clean(e.Who))
			if e.Whom != "" {
				line += " → " + clean(e.Whom)
			}
			if e.Version > 0 {
				line += fmt.Sprintf(" (version %d)", e.Version)
			}
			fmt.Fprintln(s.out, line)
		}
		for _, v := range a.Amendments {
			fmt.Fprintf(s.out, "  %s  amendment %-10s %s: %q (version %d)\n", v.At.Format("2006-01-02 15:04:05Z"), v.step(),
				clean(v.By), clean(v.Text), v.Version)
		}
	}
	return nil
}

// runLog runs "log verify": rebuild the log's tree from every entry and check
// it against the checkpoints this profile has seen.
func runLog(ctx context.Context, args []string, s stdio) error {
	if len(args) == 0 || args[0] != "verify" {
		return usagef("usage: blindvault log verify [--witness URL=KEY]")
	}
	fs := flag.NewFlagSet("log verify", flag.ContinueOnError)
	o := addOnlineFlags(fs, true)
	o.addWitnessFlag(fs)
	_, c, err := start(ctx, fs, o, args[1:], func(pos []string) error {
		if len(pos) != 0 {
			return usagef("usage: blindvault log verify [--witness URL=KEY]")
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer c.Logout(context.WithoutCancel(ctx))
	rep, err := c.VerifyLog(ctx)
	if err != nil {
		return friendly(err)
	}
	if o.json {
		return printJSON(s.out, rep)
	}
	fmt.Fprintf(s.out, "Log %s: %d entries (%d read now), root %s: every entry hashes to the signed checkpoint,\nwhich extends every checkpoint this profile saw before. Your account's chain ends where\nthe log says. No key card or device for this account that it did not make.\nOK\n", rep.Origin, rep.Size, rep.Entries, rep.Root)
	return nil
}
