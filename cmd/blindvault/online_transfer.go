package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/blindvault/blindvault/sdk"
)

// runTransfer moves this profile's account and every record it owns to
// another server (the right to portability):
//
//	blindvault transfer --to URL [--to-home DIR] [--invite CODE] [--log-key KEY]
//	blindvault transfer --resume
//
// The new server's profile goes to --to-home (default: the profile
// directory with "-moved" appended); the old one stays, with the signed
// pointer that ls shows. Run again with the same --to-home, it resumes.
// Readers not on the new server yet are listed as pending; --resume, run
// with the new profile (--home), gives them their keys once they are there.
func runTransfer(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("transfer", flag.ContinueOnError)
	o := addOnlineFlags(fs, true)
	to := fs.String("to", "", "the new server's `URL`, such as https://vault.example")
	toHome := fs.String("to-home", "", "profile `directory` for the account on the new server (default: this profile's directory with -moved appended)")
	invite := fs.String("invite", "", "invite `code` of the new server, for a role other than patient")
	logKey := fs.String("log-key", "", "pin the new server's transparency-log `key` (default: trust it on first use)")
	resume := fs.Bool("resume", false, "with the profile on the new server: give the readers still pending their keys, once they are there")
	var base string
	_, c, err := start(ctx, fs, o, args, func(pos []string) error {
		if *resume {
			if len(pos) != 0 || *to != "" || *toHome != "" || *invite != "" || *logKey != "" {
				return usagef("usage: blindvault transfer --resume (with the new server's profile as --home)")
			}
			return nil
		}
		if len(pos) != 0 || *to == "" {
			return usagef("usage: blindvault transfer --to URL [--to-home DIR] [--invite CODE] [--log-key KEY] | --resume")
		}
		var err error
		base, err = checkServerURL(*to)
		return err
	})
	if err != nil {
		return err
	}
	defer c.Logout(context.WithoutCancel(ctx))
	if *resume {
		granted, pending, err := c.GrantPending(ctx)
		if err != nil {
			return friendly(err)
		}
		if o.json {
			return printJSON(s.out, map[string]any{"grants": granted, "pending": nonNil(pending)})
		}
		fmt.Fprintf(s.out, "%d grant(s) sealed for readers who arrived on %s.\n", granted, c.Server())
		printPending(s, pending)
		return nil
	}
	dir := *toHome
	if dir == "" {
		dir = c.home + "-moved"
	}
	if p, err := readProfile(dir); err == nil && p.Server != base {
		return fmt.Errorf("%s holds an account on %s, not %s: choose another --to-home", dir, p.Server, base)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	var pass []byte
	if c.Role() != "service" {
		if pass, err = passphraseSource(o.passphraseFile(), "Passphrase for your backup on "+base+": ")(); err != nil {
			return err
		}
		defer clear(pass)
	}
	opts := &sdk.TransferOptions{
		To:     sdk.Config{Server: base, Storage: sdk.DirStorage(dir), Transport: newProgressTransport(base), LogKey: *logKey},
		Invite: *invite, Passphrase: pass,
	}
	shown := false
	if !o.json {
		opts.Progress = func(done, total int) {
			shown = true
			fmt.Fprintf(s.err, "\rMoved %d of %d record(s)", done, total)
		}
	}
	moved, rep, err := c.Transfer(ctx, opts)
	if shown {
		fmt.Fprintln(s.err)
	}
	if err != nil {
		return friendly(err)
	}
	defer moved.Logout(context.WithoutCancel(ctx))
	if o.json {
		return printJSON(s.out, map[string]any{"to": rep.To, "home": dir, "records": rep.Records, "versions": rep.Versions,
			"grants": rep.Grants, "pending": nonNil(rep.Pending)})
	}
	fmt.Fprintf(s.out, "Moved %d record(s) to %s: %d version(s) uploaded with their signatures, %d grant(s) sealed again for your readers.\n",
		rep.Records, rep.To, rep.Versions, rep.Grants)
	printPending(s, rep.Pending)
	fmt.Fprintf(s.out, "The old server keeps its copy and now shows a pointer to %s, signed by you.\n"+
		"Use the new profile with --home %s; delete the old account with 'blindvault account delete' when you are ready.\n%s\n",
		rep.To, dir, dir)
	return nil
}

// printPending lists the readers a transfer left pending, by name and the
// fingerprint this device pinned, so the patient can tell each one.
func printPending(s stdio, pending []sdk.PendingReader) {
	if len(pending) == 0 {
		return
	}
	fmt.Fprintf(s.out, "%d reader(s) are not on the new server yet; they keep their place in your records' access lists but have no key there until they move and you run 'blindvault transfer --resume' with the new profile:\n", len(pending))
	for _, p := range pending {
		who := clean(p.Name)
		if p.Fingerprint != "" {
			who += " (" + p.Fingerprint + ")"
		}
		fmt.Fprintf(s.out, "  %s: %d record(s)\n", who, p.Records)
	}
}

// nonNil makes a nil list an empty one, for JSON.
func nonNil[T any](l []T) []T {
	if l == nil {
		return []T{}
	}
	return l
}

// movedNotice tells the owner of the profile, on stderr, that its account
// moved away from this server.
func movedNotice(ctx context.Context, c *session, s stdio) {
	if to, err := c.MovedTo(ctx, c.AccountID()); err == nil && to != "" {
		fmt.Fprintf(s.err, "This account moved its records to %s (a pointer you signed, in this server's log).\n", clean(to))
	}
}
