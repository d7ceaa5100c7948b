package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/blindvault/blindvault/sdk"
)

// runRestrict marks records restricted (or, as unrestrict, lifts it):
//
//	blindvault restrict ID…     out of every collection and team share, and kept out
//	blindvault unrestrict ID…
func runRestrict(ctx context.Context, args []string, s stdio) error {
	return restrictCommand(ctx, "restrict", args, s)
}

func runUnrestrict(ctx context.Context, args []string, s stdio) error {
	return restrictCommand(ctx, "unrestrict", args, s)
}

func restrictCommand(ctx context.Context, verb string, args []string, s stdio) error {
	fs := flag.NewFlagSet(verb, flag.ContinueOnError)
	o := addOnlineFlags(fs, true)
	var ids []sdk.RecordID
	pos, c, err := start(ctx, fs, o, args, func(pos []string) error {
		if len(pos) == 0 {
			return usagef("usage: blindvault %s ID…", verb)
		}
		for _, p := range pos {
			id, err := recordID(p)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer c.Logout(context.WithoutCancel(ctx))
	for i, id := range ids {
		if verb == "restrict" {
			err = c.Restrict(ctx, id)
		} else {
			err = c.Unrestrict(ctx, id)
		}
		if err != nil {
			return notFoundAs(err, "no record %s of yours", pos[i])
		}
	}
	if o.json {
		return printJSON(s.out, map[string]any{verb: pos})
	}
	if verb == "restrict" {
		fmt.Fprintf(s.out, "Restricted %d record(s): out of every collection and team share, and kept out; "+
			"sharing one with a person asks for --confirm-restricted.\n", len(ids))
	} else {
		fmt.Fprintf(s.out, "Lifted the restriction of %d record(s); they join nothing again by themselves.\n", len(ids))
	}
	return nil
}
