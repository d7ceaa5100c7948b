package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// runExport decrypts every record this account owns or reads into a new
// directory: one file per record, named by its id, and index.json describing
// them; or, with --fhir FILE, into one FHIR R4 Bundle. The patient's copy of
// everything, verified as get verifies it.
func runExport(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	o := addOnlineFlags(fs, true)
	fhirOut := fs.String("fhir", "", "write one HL7 FHIR R4 Bundle to `FILE` (- for stdout) instead of a directory")
	pdfOut := fs.String("pdf", "", "write a printable summary (records, authors, readers, recent history) to `FILE`")
	pos, c, err := start(ctx, fs, o, args, func(pos []string) error {
		if *fhirOut != "" || *pdfOut != "" {
			if len(pos) != 0 || (*fhirOut != "" && *pdfOut != "") {
				return usagef("usage: blindvault export DIR | --fhir FILE | --pdf FILE")
			}
			return nil
		}
		if len(pos) != 1 {
			return usagef("usage: blindvault export DIR | --fhir FILE | --pdf FILE (DIR must not exist)")
		}
		if _, err := os.Stat(pos[0]); err == nil {
			return usagef("%s exists: export writes a new directory", pos[0])
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer c.Logout(context.WithoutCancel(ctx))
	if *fhirOut != "" {
		return exportFHIR(ctx, c, *fhirOut, o.json, s)
	}
	if *pdfOut != "" {
		return exportPDF(ctx, c, *pdfOut, o.json, s)
	}
	dir := pos[0]
	recs, err := c.List(ctx)
	if err != nil {
		return friendly(err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	index := make([]recordView, 0, len(recs))
	for _, r := range recs {
		dst, commit, abort, err := output(filepath.Join(dir, r.RecordID.String()), s.out, 0o600)
		if err != nil {
			return err
		}
		info, err := c.Get(ctx, r.RecordID, dst)
		if err != nil {
			abort()
			return fmt.Errorf("record %s: %w", r.RecordID.String(), friendly(err))
		}
		if err := commit(); err != nil {
			return err
		}
		index = append(index, recordOf(info, c.AccountID()))
	}
	data, err := json.MarshalIndent(index, "", "  ")
	if err != nil {
		return err
	}
	if err := writeNewFile(filepath.Join(dir, "index.json"), append(data, '\n'), 0o600); err != nil {
		return err
	}
	if o.json {
		return printJSON(s.out, index)
	}
	fmt.Fprintf(s.out, "Exported %d records to %s (index.json lists them).\n", len(index), dir)
	return nil
}

// exportFHIR writes the bundle to path, which appears only once the whole
// export has verified.
func exportFHIR(ctx context.Context, c *session, path string, asJSON bool, s stdio) error {
	return exportFile(path, asJSON, s, "(an HL7 FHIR R4 Bundle)", func(w io.Writer) (int, error) { return c.ExportFHIR(ctx, w) })
}

// exportPDF writes the printable summary to path, which appears only once
// every entry of it has verified.
func exportPDF(ctx context.Context, c *session, path string, asJSON bool, s stdio) error {
	return exportFile(path, asJSON, s, "(a printable summary)", func(w io.Writer) (int, error) {
		return c.ExportSummary(ctx, w)
	})
}

// exportFile writes one export file with write, which returns how many
// records it holds; the file takes its name only once write succeeded.
func exportFile(path string, asJSON bool, s stdio, what string, write func(io.Writer) (int, error)) error {
	dst, commit, abort, err := output(path, s.out, 0o600)
	if err != nil {
		return err
	}
	n, err := write(dst)
	if err != nil {
		abort()
		return friendly(err)
	}
	if err := commit(); err != nil {
		return err
	}
	switch {
	case path == "-":
	case asJSON:
		return printJSON(s.out, map[string]any{"records": n, "file": path})
	default:
		fmt.Fprintf(s.out, "Exported %d records to %s %s.\n", n, path, what)
	}
	return nil
}
