package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/blindvault/blindvault/sdk"
)

// The emergency-access commands (docs/spec/threshold-v1.md):
//
//	blindvault emergency setup --guardian NAME… --threshold K --delay D   k of the guardians, after the delay
//	    [--guardian-team ORG/NAME…]                                          a care team as one guardian: any member approves
//	blindvault emergency setup --holder NAME… --threshold K --joint        a threshold key (2-of-2: you and a platform)
//	blindvault emergency share ID [--key KEY]                              share a record with your key
//	blindvault emergency request OWNER [--joint]                           ask for OWNER's key; prints the request id
//	blindvault emergency approve REQUEST                                   as a guardian, after the delay
//	blindvault emergency refuse REQUEST                                    as the owner, before the delay ends
//	blindvault emergency status                                            requests for your keys and yours
//	blindvault emergency open REQUEST --out DIR                            as the requester, once approved
const emergencyUsage = "usage: blindvault emergency setup --guardian NAME… [--guardian-team ORG/NAME…] --threshold K --delay D [--joint] | share ID | " +
	"request OWNER [--joint] | approve REQUEST | refuse REQUEST | status | open REQUEST --out DIR"

type requestView struct {
	ID        string    `json:"id"`
	Requester string    `json:"requester"`
	Owner     string    `json:"owner"`
	Key       string    `json:"key"`
	Logged    time.Time `json:"logged"`
	NotBefore time.Time `json:"not_before"`
	Refused   bool      `json:"refused"`
	Approvals int       `json:"approvals"`
	K         int       `json:"k"`
	Role      string    `json:"role,omitempty"` // yours: owner, requester or holder
	// Notes: the key's guardian teams that rotated their key since set-up.
	Notes []string `json:"notes,omitempty"`
}

func newRequestView(r *sdk.EmergencyRequest) requestView {
	return requestView{ID: r.ID, Requester: r.RequesterHandle, Owner: r.Owner.String(), Key: r.Key.String(), Logged: r.Logged,
		NotBefore: r.NotBefore, Refused: r.Refused, Approvals: r.Approvals, K: r.K, Role: r.Role, Notes: r.Notes}
}

func runEmergency(ctx context.Context, args []string, s stdio) error {
	if len(args) == 0 {
		return usagef(emergencyUsage)
	}
	switch args[0] {
	case "setup":
		return emergencySetup(ctx, args[1:], s)
	case "share":
		return emergencyShare(ctx, args[1:], s)
	case "request":
		return emergencyRequest(ctx, args[1:], s)
	case "approve", "refuse":
		return emergencyDecide(ctx, args[0], args[1:], s)
	case "status":
		return emergencyStatus(ctx, args[1:], s)
	case "open":
		return emergencyOpen(ctx, args[1:], s)
	case "-h", "-help", "--help":
		fmt.Fprintln(s.err, emergencyUsage)
		return flag.ErrHelp
	}
	return usagef(emergencyUsage)
}

func emergencySetup(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("emergency setup", flag.ContinueOnError)
	o := addOnlineFlags(fs, true)
	var holders listFlag
	fs.Var(&holders, "guardian", "a guardian's `name` (repeat; --holder is the same)")
	fs.Var(&holders, "holder", "a holder's `name` (repeat)")
	fs.Func("guardian-team", "a care team `ORG/NAME` as one guardian, any of whose members approves (repeat)", func(v string) error {
		if org, name, ok := strings.Cut(v, "/"); !ok || org == "" || name == "" {
			return fmt.Errorf("a guardian team is ORG/NAME")
		}
		holders = append(holders, v)
		return nil
	})
	k := fs.Int("threshold", 0, "how many guardians must approve (`K`)")
	delay := fs.Duration("delay", 0, "how long you have to refuse a request (emergency keys; up to 720h)")
	joint := fs.Bool("joint", false, "a threshold key (no delay): the holders open together, as a customer and a platform do")
	_, c, err := start(ctx, fs, o, args, func(pos []string) error {
		if len(pos) != 0 || len(holders) == 0 || *k < 1 {
			return usagef("usage: blindvault emergency setup --guardian NAME… [--guardian-team ORG/NAME…] --threshold K --delay D [--joint]")
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer c.Logout(context.WithoutCancel(ctx))
	var key *sdk.ThresholdKey
	if *joint {
		key, err = c.SetUpThreshold(ctx, holders, *k)
	} else {
		key, err = c.SetUpEmergency(ctx, holders, *k, *delay)
	}
	if err != nil {
		return notFoundAs(err, "no account among %v", holders)
	}
	if o.json {
		return printJSON(s.out, map[string]any{"key": key.ID.String(), "k": key.K, "n": key.N, "delay": key.Delay.String()})
	}
	fmt.Fprintf(s.out, "Set up a %d-of-%d key; a request waits %s for your refusal. Share records with it: blindvault emergency share ID\n%s\n",
		key.K, key.N, key.Delay, key.ID)
	return nil
}

func emergencyShare(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("emergency share", flag.ContinueOnError)
	o := addOnlineFlags(fs, true)
	keyRef := fs.String("key", "", "the threshold `key` id (default: your only one)")
	pos, c, err := start(ctx, fs, o, args, func(pos []string) error {
		if len(pos) != 1 {
			return usagef("usage: blindvault emergency share ID [--key KEY]")
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer c.Logout(context.WithoutCancel(ctx))
	id, err := recordID(pos[0])
	if err != nil {
		return err
	}
	keys, err := c.ThresholdKeys(ctx)
	if err != nil {
		return friendly(err)
	}
	var key *sdk.ThresholdKey
	for _, k := range keys {
		if *keyRef == k.ID.String() || (*keyRef == "" && len(keys) == 1) {
			key = k
		}
	}
	if key == nil {
		return usagef("name one of your %d threshold keys with --key (blindvault emergency status shows them)", len(keys))
	}
	if err := c.ShareWithThreshold(ctx, id, key.ID); err != nil {
		return notFoundAs(err, "no record %s of yours", pos[0])
	}
	if o.json {
		return printJSON(s.out, map[string]string{"record": pos[0], "key": key.ID.String()})
	}
	fmt.Fprintf(s.out, "Shared with your %d-of-%d key.\n", key.K, key.N)
	return nil
}

func emergencyRequest(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("emergency request", flag.ContinueOnError)
	o := addOnlineFlags(fs, true)
	joint := fs.Bool("joint", false, "ask for OWNER's threshold key rather than its emergency key")
	pos, c, err := start(ctx, fs, o, args, func(pos []string) error {
		if len(pos) != 1 {
			return usagef("usage: blindvault emergency request OWNER [--joint]")
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer c.Logout(context.WithoutCancel(ctx))
	var r *sdk.EmergencyRequest
	if *joint {
		r, err = c.RequestThreshold(ctx, pos[0])
	} else {
		r, err = c.RequestEmergency(ctx, pos[0])
	}
	if err != nil {
		return notFoundAs(err, "%q has no such key", clean(pos[0]))
	}
	if o.json {
		return printJSON(s.out, newRequestView(r))
	}
	fmt.Fprintf(s.out, "Requested; %s is alerted and may refuse until %s. Give the guardians the request id:\n%s\n",
		clean(pos[0]), r.NotBefore.Local().Format(time.DateTime), r.ID)
	return nil
}

func emergencyDecide(ctx context.Context, verb string, args []string, s stdio) error {
	fs := flag.NewFlagSet("emergency "+verb, flag.ContinueOnError)
	o := addOnlineFlags(fs, true)
	pos, c, err := start(ctx, fs, o, args, func(pos []string) error {
		if len(pos) != 1 {
			return usagef("usage: blindvault emergency %s REQUEST", verb)
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer c.Logout(context.WithoutCancel(ctx))
	if verb == "refuse" {
		err = c.RefuseEmergency(ctx, pos[0])
	} else {
		_, err = c.ApproveEmergency(ctx, pos[0])
	}
	if err != nil {
		return notFoundAs(err, "no request %s in the log", clean(pos[0]))
	}
	if o.json {
		return printJSON(s.out, map[string]string{"request": pos[0], "done": verb})
	}
	fmt.Fprint(s.out, map[string]string{"refuse": "Refused: no guardian's client will approve it.\n",
		"approve": "Approved: your share is sealed to the requester.\n"}[verb])
	return nil
}

func emergencyStatus(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("emergency status", flag.ContinueOnError)
	o := addOnlineFlags(fs, true)
	_, c, err := start(ctx, fs, o, args, func(pos []string) error {
		if len(pos) != 0 {
			return usagef("usage: blindvault emergency status")
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer c.Logout(context.WithoutCancel(ctx))
	rs, err := c.EmergencyStatus(ctx)
	if err != nil {
		return friendly(err)
	}
	views := make([]requestView, 0, len(rs))
	for _, r := range rs {
		views = append(views, newRequestView(r))
	}
	if o.json {
		return printJSON(s.out, views)
	}
	// The owner's keys whose guardian teams moved on, requested or not.
	keys, err := c.ThresholdKeys(ctx)
	if err != nil {
		return friendly(err)
	}
	for _, k := range keys {
		for _, g := range k.Teams {
			if n := g.Note(); n != "" {
				fmt.Fprintf(s.out, "Key %s: %s.\n", k.ID, clean(n))
			}
		}
	}
	tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REQUEST\tBY\tYOU ARE\tLOGGED\tREFUSE BEFORE\tAPPROVALS\tSTATE")
	for _, v := range views {
		state := "open"
		if v.Refused {
			state = "refused"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d of %d\t%s\n", v.ID, clean(v.Requester), v.Role, v.Logged.Local().Format(time.DateTime),
			v.NotBefore.Local().Format(time.DateTime), v.Approvals, v.K, state)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, v := range views {
		for _, n := range v.Notes {
			if v.Role != "owner" { // the owner's were printed with its keys
				fmt.Fprintf(s.out, "Request %s: %s.\n", v.ID, clean(n))
			}
		}
	}
	return nil
}

func emergencyOpen(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("emergency open", flag.ContinueOnError)
	o := addOnlineFlags(fs, true)
	out := fs.String("out", "", "a new `directory` for the records, one file per record id")
	pos, c, err := start(ctx, fs, o, args, func(pos []string) error {
		if len(pos) != 1 || *out == "" {
			return usagef("usage: blindvault emergency open REQUEST --out DIR")
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer c.Logout(context.WithoutCancel(ctx))
	ids, err := c.OpenEmergency(ctx, pos[0])
	if err != nil {
		return notFoundAs(err, "no request %s of yours in the log", clean(pos[0]))
	}
	if err := os.Mkdir(*out, 0o700); err != nil {
		return err
	}
	var written []string
	for _, id := range ids {
		path := filepath.Join(*out, id.String())
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		_, err = c.Get(ctx, id, f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
			return friendly(err)
		}
		written = append(written, id.String())
	}
	if o.json {
		return printJSON(s.out, map[string]any{"records": written, "dir": *out})
	}
	fmt.Fprintf(s.out, "Opened %d records into %s.\n", len(written), *out)
	return nil
}
