package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/blindvault/blindvault/sdk"
)

// runAlerts prints what the alert rules find in the verified log since the
// last look (docs/alerts.md).
func runAlerts(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("alerts", flag.ContinueOnError)
	o := addOnlineFlags(fs, true)
	var opts sdk.AlertOptions
	fs.BoolVar(&opts.All, "all", false, "look at the whole log, not only what came since the last look")
	fs.IntVar(&opts.ReadBurst, "read-burst", sdk.DefaultReadBurst, "alert when one reader reads this many of your records within --read-window")
	fs.DurationVar(&opts.ReadWindow, "read-window", sdk.DefaultReadWindow, "the window of --read-burst")
	fs.IntVar(&opts.Guesses, "guesses", sdk.DefaultGuesses, "alert at this many failed passphrase attempts on your backup within --guess-window")
	fs.DurationVar(&opts.GuessWindow, "guess-window", sdk.DefaultGuessWindow, "the window of --guesses and --code-failures")
	fs.IntVar(&opts.CodeFailures, "code-failures", sdk.DefaultCodeFailures, "alert at this many wrong second-factor codes within --guess-window")
	fs.IntVar(&opts.ExportBurst, "export-burst", sdk.DefaultExportBurst, "alert when this many of your records are read within --export-window after a new device is enrolled")
	fs.DurationVar(&opts.ExportWindow, "export-window", sdk.DefaultExportWindow, "the window of --export-burst")
	_, c, err := start(ctx, fs, o, args, func(pos []string) error {
		if len(pos) != 0 {
			return usagef("usage: blindvault alerts [--all] [--read-burst N --read-window D] [--guesses N --guess-window D] [--code-failures N] [--export-burst N --export-window D]")
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer c.Logout(context.WithoutCancel(ctx))
	alerts, err := c.Alerts(ctx, &opts)
	if err != nil {
		return friendly(err)
	}
	if o.json {
		if alerts == nil {
			alerts = []sdk.Alert{}
		}
		return printJSON(s.out, map[string]any{"alerts": alerts})
	}
	if len(alerts) == 0 {
		fmt.Fprintln(s.out, "No alerts since the last look.")
		return nil
	}
	for _, a := range alerts {
		fmt.Fprintf(s.out, "%s  %-22s %s\n", a.Time.UTC().Format(time.DateTime), a.Kind, clean(a.Message))
	}
	return nil
}
