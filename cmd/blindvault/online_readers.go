package main

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"
)

// readerView is one reader in the JSON output of readers.
type readerView struct {
	Handle      string `json:"handle,omitempty"`
	Fingerprint string `json:"fingerprint,omitempty"`
	KeyID       string `json:"key_id"`
	Team        string `json:"team,omitempty"` // a care team's id
	Status      string `json:"status,omitempty"`
	Rights      string `json:"rights"`
}

// runReaders shows who can read a record now: its ACL in force, verified,
// each reader named by the key card this device verified for it.
func runReaders(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("readers", flag.ContinueOnError)
	o := addOnlineFlags(fs, true)
	var id [32]byte
	pos, c, err := start(ctx, fs, o, args, func(pos []string) (err error) {
		if len(pos) != 1 {
			return usagef("usage: blindvault readers ID")
		}
		id, err = recordID(pos[0])
		return err
	})
	if err != nil {
		return err
	}
	defer c.Logout(context.WithoutCancel(ctx))
	rs, err := c.Readers(ctx, id)
	if err != nil {
		return notFoundAs(err, "no record %s that you can read", pos[0])
	}
	views := make([]readerView, len(rs))
	for i, r := range rs {
		v := readerView{KeyID: r.KeyID, Rights: "read"}
		switch {
		case r.Owner:
			v.Rights = "owner"
		case r.Write:
			v.Rights = "read, write"
		}
		if ct := r.Contact; ct != nil {
			v.Handle, v.Fingerprint, v.Status = ct.Handle, ct.Fingerprint.String(), ct.Status()
		}
		if t := r.Team; t != nil {
			v.Handle, v.Team, v.Fingerprint, v.Status = "team "+t.Name, t.ID.String(), "key "+v.KeyID[:16]+"…", t.Status()
		}
		views[i] = v
	}
	if o.json {
		return printJSON(s.out, views)
	}
	tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tFINGERPRINT\tSTATUS\tRIGHTS")
	for _, v := range views {
		name := clean(v.Handle)
		if name == "" {
			name, v.Fingerprint = "(unknown to this device)", "key "+v.KeyID[:16]+"…"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", name, v.Fingerprint, clean(v.Status), v.Rights)
	}
	return tw.Flush()
}
