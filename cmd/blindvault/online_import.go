package main

import (
	"context"
	"flag"
	"fmt"
)

// runImport stores the resources of a FHIR R4 Bundle as records of this
// account, skipping those an earlier import stored. The whole bundle is
// checked before anything is written.
func runImport(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	o := addOnlineFlags(fs, true)
	pos, c, err := start(ctx, fs, o, args, func(pos []string) error {
		if len(pos) != 1 {
			return usagef("usage: blindvault import BUNDLE.json (a FHIR R4 Bundle; - for stdin)")
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer c.Logout(context.WithoutCancel(ctx))
	in, _, err := openInput(pos[0])
	if err != nil {
		return err
	}
	defer in.Close()
	res, err := c.ImportFHIR(ctx, in)
	if err != nil {
		return friendly(err)
	}
	if o.json {
		out := struct {
			Imported []recordView `json:"imported"`
			Skipped  int          `json:"skipped"`
		}{Imported: []recordView{}, Skipped: res.Skipped}
		for _, info := range res.Imported {
			out.Imported = append(out.Imported, recordOf(info, c.AccountID()))
		}
		return printJSON(s.out, out)
	}
	for _, info := range res.Imported {
		fmt.Fprintf(s.out, "%s  %s  %s\n", info.RecordID, clean(info.Type), clean(info.Title))
	}
	fmt.Fprintf(s.out, "Imported %d records; %d already here, skipped.\n", len(res.Imported), res.Skipped)
	return nil
}
