package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/blindvault/blindvault/sdk"
)

// The care-team commands:
//
//	blindvault team create NAME [--org ORG] [--history]   as an organisation admin
//	blindvault team add TEAM NAME [--fingerprint FP]      add a member (one grant)
//	blindvault team remove TEAM NAME                      a new team key for the others
//	blindvault team ls                                    teams you administer or belong to
//	blindvault team show TEAM                             a team as verified: ORG/NAME, or a name or id you know
//
// Sharing with a team is "blindvault share ID --team ORG/NAME" and
// "blindvault revoke ID --team ORG/NAME".
const teamUsage = "usage: blindvault team create NAME [--org ORG] [--history] | team add TEAM NAME | team remove TEAM NAME | team ls | team show TEAM"

type teamView struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Org      string   `json:"org"`
	Admin    string   `json:"admin"`
	Verified bool     `json:"verified"`
	History  bool     `json:"history"`
	Epoch    uint32   `json:"epoch"`
	Members  []string `json:"members"`
	Status   string   `json:"status"`
}

func newTeamView(t *sdk.Team) teamView {
	return teamView{ID: t.ID.String(), Name: t.Name, Org: t.Org, Admin: t.AdminHandle, Verified: t.Verified,
		History: t.History, Epoch: t.Epoch, Members: append([]string{}, t.MemberHandles...), Status: t.Status()}
}

func runTeam(ctx context.Context, args []string, s stdio) error {
	if len(args) == 0 {
		return usagef(teamUsage)
	}
	switch args[0] {
	case "create":
		return teamCreate(ctx, args[1:], s)
	case "add", "remove":
		return teamMember(ctx, args[0], args[1:], s)
	case "ls":
		return teamList(ctx, args[1:], s)
	case "show":
		return teamShow(ctx, args[1:], s)
	case "-h", "-help", "--help":
		fmt.Fprintln(s.err, teamUsage)
		return flag.ErrHelp
	}
	return usagef(teamUsage)
}

func teamCreate(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("team create", flag.ContinueOnError)
	o := addOnlineFlags(fs, true)
	org := fs.String("org", "", "the `organisation` the team belongs to (patients who trust you for it see it verified)")
	history := fs.Bool("history", false, "members added later read what was shared with the team before they joined")
	pos, c, err := start(ctx, fs, o, args, func(pos []string) error {
		if len(pos) != 1 {
			return usagef("usage: blindvault team create NAME [--org ORG] [--history]")
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer c.Logout(context.WithoutCancel(ctx))
	t, err := c.CreateTeam(ctx, pos[0], &sdk.TeamOptions{Org: *org, History: *history})
	if err != nil {
		if errors.Is(err, sdk.ErrConflict) {
			return &cliError{msg: fmt.Sprintf("you already have a team named %q: see blindvault team ls", clean(pos[0])), err: err}
		}
		return friendly(err)
	}
	return printTeam(s, o, t, "Created")
}

func teamMember(ctx context.Context, verb string, args []string, s stdio) error {
	fs := flag.NewFlagSet("team "+verb, flag.ContinueOnError)
	o := addOnlineFlags(fs, true)
	fp := fs.String("fingerprint", "", "require the member's `fingerprint`, compared out of band (add)")
	pos, c, err := start(ctx, fs, o, args, func(pos []string) error {
		if len(pos) != 2 {
			return usagef("usage: blindvault team %s TEAM NAME", verb)
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer c.Logout(context.WithoutCancel(ctx))
	var t *sdk.Team
	if verb == "add" {
		t, err = c.AddTeamMember(ctx, pos[0], pos[1], &sdk.LookupOptions{Fingerprint: *fp})
	} else {
		t, err = c.RemoveTeamMember(ctx, pos[0], pos[1])
	}
	if err != nil {
		return notFoundAs(err, "no team %q that you administer, or no member or account %q", clean(pos[0]), clean(pos[1]))
	}
	if verb == "remove" && !o.json {
		fmt.Fprintf(s.err, "The team has a new key; records shared with it take the new key at their next write. "+
			"Until then, and for what %s already read, removal cannot take back copies.\n", clean(pos[1]))
	}
	return printTeam(s, o, t, map[string]string{"add": "Added " + pos[1] + " to", "remove": "Removed " + pos[1] + " from"}[verb])
}

func teamShow(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("team show", flag.ContinueOnError)
	o := addOnlineFlags(fs, true)
	pos, c, err := start(ctx, fs, o, args, func(pos []string) error {
		if len(pos) != 1 {
			return usagef("usage: blindvault team show TEAM (ORG/NAME, or a team you know by name or id)")
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer c.Logout(context.WithoutCancel(ctx))
	t, err := c.LookupTeam(ctx, pos[0])
	if err != nil {
		return notFoundAs(err, "no team %q known to this device", clean(pos[0]))
	}
	return printTeam(s, o, t, "")
}

func teamList(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("team ls", flag.ContinueOnError)
	o := addOnlineFlags(fs, true)
	_, c, err := start(ctx, fs, o, args, func(pos []string) error {
		if len(pos) != 0 {
			return usagef("usage: blindvault team ls")
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer c.Logout(context.WithoutCancel(ctx))
	ts, err := c.Teams(ctx)
	if err != nil {
		return friendly(err)
	}
	views := make([]teamView, 0, len(ts))
	for _, t := range ts {
		views = append(views, newTeamView(t))
	}
	if o.json {
		return printJSON(s.out, map[string]any{"teams": views})
	}
	tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TEAM\tORGANISATION\tADMIN\tMEMBERS\tID")
	for _, v := range views {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", clean(v.Name), clean(v.Org), clean(v.Admin), len(v.Members), v.ID)
	}
	return tw.Flush()
}

// printTeam prints a team as verified, after what was done to it (or nothing).
func printTeam(s stdio, o *onlineFlags, t *sdk.Team, done string) error {
	v := newTeamView(t)
	if o.json {
		return printJSON(s.out, v)
	}
	if done != "" {
		fmt.Fprintf(s.out, "%s team %s.\n", done, clean(t.Name))
	}
	fmt.Fprintf(s.out, "Status:  %s\nAdmin:   %s\nMembers: %s\nHistory: %v (members added later read what was shared before)\n",
		clean(v.Status), clean(v.Admin), clean(strings.Join(v.Members, ", ")), v.History)
	fmt.Fprintln(s.out, v.ID)
	return nil
}
