package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server"
)

// The account commands:
//
//	blindvault account delete [--yes] [--otp CODE]      schedule this account's deletion
//	blindvault account delete --cancel [--otp CODE]     cancel it inside the retention window
//	blindvault account restore [--otp CODE]             the same as delete --cancel
const accountUsage = "usage: blindvault account delete [--yes] [--otp CODE] | account delete --cancel [--otp CODE] | account restore [--otp CODE]"

func runAccount(ctx context.Context, args []string, s stdio) error {
	if len(args) == 0 {
		return usagef(accountUsage)
	}
	switch args[0] {
	case "delete":
		return accountDelete(ctx, args[1:], s, false)
	case "restore":
		return accountDelete(ctx, args[1:], s, true)
	case "-h", "-help", "--help":
		fmt.Fprintln(s.err, accountUsage)
		return flag.ErrHelp
	}
	return usagef("unknown account command %q; %s", args[0], accountUsage)
}

// retentionConfig maps the serve flag to the server's configuration, where
// zero means the default and NoRetention none.
func retentionConfig(d time.Duration) time.Duration {
	if d == 0 {
		return server.NoRetention
	}
	return d
}

// confirmInput is where the typed confirmation comes from (a test swaps it).
var confirmInput io.Reader = os.Stdin

func accountDelete(ctx context.Context, args []string, s stdio, restore bool) error {
	fs := flag.NewFlagSet("account delete", flag.ContinueOnError)
	o := addOnlineFlags(fs, true)
	yes := fs.Bool("yes", false, "do not ask to type the account's handle (for scripts)")
	cancel := fs.Bool("cancel", restore, "cancel a pending deletion instead")
	otp := fs.String("otp", "", "a current `code` from the account's authenticator, if it has a second factor")
	_, c, err := start(ctx, fs, o, args, func(pos []string) error {
		if len(pos) != 0 {
			return usagef(accountUsage)
		}
		return nil
	})
	if err != nil {
		return err
	}
	opts := &sdk.DeleteAccountOptions{OTP: *otp}
	if *cancel {
		defer c.Logout(context.WithoutCancel(ctx))
		d, err := c.CancelAccountDeletion(ctx, opts)
		if err != nil {
			return deletionFriendly(err)
		}
		if o.json {
			return printJSON(s.out, map[string]any{"cancelled": true, "requested": d.Requested.UTC()})
		}
		fmt.Fprintln(s.out, "Deletion cancelled: your account, records and shares are as they were.")
		return nil
	}
	handle := c.Handle()
	if !*yes {
		if err := confirmDeletion(s, handle); err != nil {
			c.Logout(context.WithoutCancel(ctx))
			return err
		}
	}
	d, err := c.DeleteAccount(ctx, opts)
	if err != nil {
		c.Logout(context.WithoutCancel(ctx))
		return deletionFriendly(err)
	}
	// The profile is gone with the session's keys; the session itself ended
	// with every other one but is no use to anyone now.
	if o.json {
		return printJSON(s.out, map[string]any{"requested": d.Requested.UTC(), "due": d.Due.UTC()})
	}
	fmt.Fprintf(s.out, "Account %s is scheduled for deletion on %s.\n"+
		"No one else can read your records from now on; this device's profile is removed.\n"+
		"To cancel before then: blindvault login --name %s, then blindvault account restore.\n"+
		"Copies that others already downloaded or decrypted stay with them.\n",
		handle, d.Due.UTC().Format(time.RFC1123), handle)
	return nil
}

// confirmDeletion asks for the account's handle on a terminal.
func confirmDeletion(s stdio, handle string) error {
	if f, ok := confirmInput.(*os.File); ok && !term.IsTerminal(int(f.Fd())) {
		return usagef("account delete asks to type the account's handle on a terminal; in a script, pass --yes")
	}
	fmt.Fprintf(s.err, "This deletes account %s: its records, shares, keys and backup are purged after the server's retention window.\n"+
		"Type the account's handle to confirm: ", handle)
	line, err := bufio.NewReader(io.LimitReader(confirmInput, 1024)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if strings.TrimSpace(line) != handle {
		return &cliError{msg: "the handle typed does not match: nothing was deleted"}
	}
	return nil
}

func deletionFriendly(err error) error {
	switch {
	case errors.Is(err, sdk.ErrSecondFactor):
		return &cliError{msg: "this account has a second factor: give a current code with --otp CODE (wrong codes count toward a lockout)", err: err}
	case errors.Is(err, sdk.ErrConflict):
		return &cliError{msg: "a deletion of this account is already scheduled (cancel it with blindvault account restore)", err: err}
	case errors.Is(err, sdk.ErrNotFound):
		return &cliError{msg: "no deletion of this account is pending", err: err}
	}
	return friendly(err)
}
