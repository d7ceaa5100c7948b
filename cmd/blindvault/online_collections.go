package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/blindvault/blindvault/sdk"
)

// The collection commands:
//
//	blindvault collection create NAME [--type T] [--tag T]   records of type T, or tagged T, join when written
//	blindvault collection add NAME ID…                        add records by hand
//	blindvault collection remove NAME ID                      take one out (a new epoch of it)
//	blindvault collection share NAME (--with NAME | --team TEAM)   one grant, however many records
//	blindvault collection revoke NAME (--from NAME | --team TEAM)  a new collection key for the others
//	blindvault collection ls
const collectionUsage = "usage: blindvault collection create NAME [--type T] [--tag T] | add NAME ID… | remove NAME ID | " +
	"share NAME (--with NAME | --team TEAM) | revoke NAME (--from NAME | --team TEAM) | ls"

func runCollection(ctx context.Context, args []string, s stdio) error {
	if len(args) == 0 {
		return usagef(collectionUsage)
	}
	verb, args := args[0], args[1:]
	switch verb {
	case "-h", "-help", "--help":
		fmt.Fprintln(s.err, collectionUsage)
		return flag.ErrHelp
	case "create", "add", "remove", "share", "revoke", "ls":
	default:
		return usagef(collectionUsage)
	}
	fs := flag.NewFlagSet("collection "+verb, flag.ContinueOnError)
	o := addOnlineFlags(fs, true)
	typ := fs.String("type", "", "create: records of this `type` join when written")
	tag := fs.String("tag", "", "create: records with this `tag` join when written")
	with := fs.String("with", "", "share: the `handle` of the account to share the collection with")
	from := fs.String("from", "", "revoke: the `handle` of the account to revoke")
	team := fs.String("team", "", "share, revoke: a care `team` (ORG/NAME) instead of an account")
	pos, c, err := start(ctx, fs, o, args, func(pos []string) error {
		n := map[string]int{"create": 1, "add": -2, "remove": 2, "share": 1, "revoke": 1, "ls": 0}[verb]
		switch {
		case n >= 0 && len(pos) != n, n < 0 && len(pos) < -n:
			return usagef(collectionUsage)
		case verb == "share" && (*with == "") == (*team == ""), verb == "revoke" && (*from == "") == (*team == ""):
			return usagef(collectionUsage)
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer c.Logout(context.WithoutCancel(ctx))
	if verb == "ls" {
		return collectionList(ctx, c.Client, o, s)
	}
	name := pos[0]
	var done string
	switch verb {
	case "create":
		if _, err = c.CreateCollection(ctx, name, &sdk.CollectionOptions{Type: *typ, Tag: *tag}); err == nil {
			done = "Created collection " + name + "."
		}
	case "add", "remove":
		ids := make([]sdk.RecordID, 0, len(pos)-1)
		for _, p := range pos[1:] {
			id, err := recordID(p)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		if verb == "add" {
			err, done = c.AddToCollection(ctx, name, ids...), fmt.Sprintf("Added %d record(s) to %s.", len(ids), name)
		} else {
			err, done = c.RemoveFromCollection(ctx, name, ids[0]), "Removed "+pos[1]+" from "+name+"."
		}
	case "share", "revoke":
		err = collectionSharing(ctx, c.Client, verb, name, *with, *from, *team)
		done = fmt.Sprintf("%s collection %s.", map[string]string{"share": "Shared", "revoke": "Revoked"}[verb], name)
	}
	if err != nil {
		if errors.Is(err, sdk.ErrConflict) {
			return &cliError{msg: fmt.Sprintf("you already have a collection named %q", clean(name)), err: err}
		}
		return notFoundAs(err, "no collection %q of yours, or no such record, account or team", clean(name))
	}
	if o.json {
		return printJSON(s.out, map[string]any{"collection": name, "done": verb})
	}
	fmt.Fprintln(s.out, clean(done))
	return nil
}

// collectionSharing shares or revokes a collection: its key record, shared
// with history so that its reader opens every record in it.
func collectionSharing(ctx context.Context, c *sdk.Client, verb, name, with, from, team string) error {
	cols, err := c.Collections(ctx)
	if err != nil {
		return err
	}
	var id sdk.RecordID
	for _, col := range cols {
		if col.Name == name || col.ID.String() == name {
			id = col.ID
		}
	}
	if id == (sdk.RecordID{}) {
		return fmt.Errorf("collection %q: %w", name, sdk.ErrNotFound)
	}
	opts := &sdk.ShareOptions{History: true}
	switch {
	case verb == "share" && team != "":
		_, err = c.ShareWithTeam(ctx, id, team, opts)
	case verb == "share":
		_, err = c.Share(ctx, id, with, opts)
	case team != "":
		err = c.RevokeTeam(ctx, id, team)
	default:
		err = c.Revoke(ctx, id, from)
	}
	return err
}

func collectionList(ctx context.Context, c *sdk.Client, o *onlineFlags, s stdio) error {
	cols, err := c.Collections(ctx)
	if err != nil {
		return friendly(err)
	}
	type view struct {
		ID    string `json:"id"`
		Name  string `json:"name"`
		Type  string `json:"type,omitempty"`
		Tag   string `json:"tag,omitempty"`
		Epoch uint32 `json:"epoch"`
	}
	views := make([]view, 0, len(cols))
	for _, col := range cols {
		views = append(views, view{col.ID.String(), col.Name, col.Type, col.Tag, col.Epoch})
	}
	if o.json {
		return printJSON(s.out, map[string]any{"collections": views})
	}
	tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COLLECTION\tJOINS BY\tID")
	for _, v := range views {
		rule := "hand"
		switch {
		case v.Type != "" && v.Tag != "":
			rule = "type " + v.Type + ", tag " + v.Tag
		case v.Type != "":
			rule = "type " + v.Type
		case v.Tag != "":
			rule = "tag " + v.Tag
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", clean(v.Name), clean(rule), v.ID)
	}
	return tw.Flush()
}
