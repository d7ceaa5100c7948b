package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/blindvault/blindvault/sdk"
)

// The device commands:
//
//	blindvault devices                this account's devices: name, enrolled, last seen
//	blindvault devices revoke NAME    end one: its sessions end at once
const devicesUsage = "usage: blindvault devices | blindvault devices revoke NAME"

type deviceView struct {
	Name      string     `json:"name"`
	ID        string     `json:"id"`
	Enrolled  time.Time  `json:"enrolled"`
	LastSeen  *time.Time `json:"last_seen,omitempty"`
	Revoked   *time.Time `json:"revoked,omitempty"`
	Current   bool       `json:"current"`
	Certified bool       `json:"certified"`
}

func runDevices(ctx context.Context, args []string, s stdio) error {
	if len(args) > 0 {
		switch args[0] {
		case "revoke":
			return devicesRevoke(ctx, args[1:], s)
		case "-h", "-help", "--help":
			fmt.Fprintln(s.err, devicesUsage)
			return flag.ErrHelp
		}
	}
	fs := flag.NewFlagSet("devices", flag.ContinueOnError)
	o := addOnlineFlags(fs, true)
	_, c, err := start(ctx, fs, o, args, func(pos []string) error {
		if len(pos) != 0 {
			return usagef(devicesUsage)
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer c.Logout(context.WithoutCancel(ctx))
	devs, err := c.Devices(ctx)
	if err != nil {
		return friendly(err)
	}
	views := make([]deviceView, 0, len(devs))
	for _, d := range devs {
		v := deviceView{Name: d.Name, ID: hex.EncodeToString(d.ID[:]), Enrolled: d.Enrolled.UTC(), Current: d.Current, Certified: d.Certified}
		if !d.LastSeen.IsZero() {
			t := d.LastSeen.UTC()
			v.LastSeen = &t
		}
		if !d.Revoked.IsZero() {
			t := d.Revoked.UTC()
			v.Revoked = &t
		}
		views = append(views, v)
	}
	if o.json {
		return printJSON(s.out, map[string]any{"devices": views})
	}
	fmt.Fprintf(s.out, "%-10s %-19s %-19s %s\n", "NAME", "ENROLLED", "LAST SEEN", "STATE")
	for _, v := range views {
		seen := "never"
		if v.LastSeen != nil {
			seen = v.LastSeen.Format(time.DateTime)
		}
		state := "active"
		switch {
		case !v.Certified:
			state = "NOT CERTIFIED BY YOUR KEY: revoke it and contact the server's operator"
		case v.Revoked != nil:
			state = "revoked " + v.Revoked.Format(time.DateTime)
		case v.Current:
			state = "active (this device)"
		}
		fmt.Fprintf(s.out, "%-10s %-19s %-19s %s\n", v.Name, v.Enrolled.Format(time.DateTime), seen, state)
	}
	return nil
}

func devicesRevoke(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("devices revoke", flag.ContinueOnError)
	o := addOnlineFlags(fs, true)
	pos, c, err := start(ctx, fs, o, args, func(pos []string) error {
		if len(pos) != 1 {
			return usagef("usage: blindvault devices revoke NAME (the NAME column of blindvault devices)")
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer c.Logout(context.WithoutCancel(ctx))
	if err := c.RevokeDevice(ctx, pos[0]); err != nil {
		switch {
		case errors.Is(err, sdk.ErrNotFound):
			return &cliError{msg: fmt.Sprintf("no device of this account is named %q: see blindvault devices", pos[0]), err: err}
		case errors.Is(err, sdk.ErrConflict):
			return &cliError{msg: fmt.Sprintf("device %s is already revoked", pos[0]), err: err}
		}
		return friendly(err)
	}
	if o.json {
		return printJSON(s.out, map[string]any{"revoked": pos[0]})
	}
	fmt.Fprintf(s.out, "Revoked device %s: its sessions ended, and it can log in no more.\n"+
		"Revoking stops its access through the server, not what it already holds: copies of records it read, "+
		"and this account's keys if it was unlocked.\n", pos[0])
	return nil
}
