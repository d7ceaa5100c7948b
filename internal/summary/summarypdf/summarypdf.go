// Package summarypdf prints a [summary.Data] as the printable summary: an
// A4 PDF, in the PDF core fonts, that a patient would hand to a new clinic or
// keep on paper. It fetches and checks nothing: every line comes from what
// the SDK verified and gathered. The CLI (export --pdf) and the browser's
// PDF module (wasm/pdf, pdf.wasm) both print with it.
package summarypdf

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"

	"codeberg.org/go-pdf/fpdf"

	"github.com/blindvault/blindvault/internal/summary"
)

// Write prints d to w as a PDF: the records by type (the newest first within
// a type) with their titles, dates, versions and authors' fingerprints, who
// can read each record the account owns, and the recent access history.
// Text the core fonts cannot show (outside Windows-1252) and control
// characters print as replacement marks.
func Write(w io.Writer, d *summary.Data) error {
	me := d.Account
	doc := fpdf.New("P", "mm", "A4", "")
	tr := doc.UnicodeTranslatorFromDescriptor("") // the core fonts are cp1252
	text := func(s string) string { return tr(printable(s)) }
	doc.SetTitle("Blindvault summary of "+me.Handle, true)
	doc.SetFooterFunc(func() {
		doc.SetY(-12)
		doc.SetFont("Helvetica", "I", 8)
		doc.CellFormat(0, 5, text(fmt.Sprintf("%s - page %d - every entry verified by the Blindvault client on %s",
			me.Handle, doc.PageNo(), d.Time.Format("2006-01-02 15:04 MST"))), "", 0, "C", false, 0, "")
	})
	doc.AddPage()
	heading := func(size float64, s string) {
		doc.SetFont("Helvetica", "B", size)
		doc.MultiCell(0, size*0.5, text(s), "", "L", false)
		doc.Ln(1)
	}
	line := func(style string, s string) {
		doc.SetFont("Helvetica", style, 10)
		doc.MultiCell(0, 5, text(s), "", "L", false)
	}
	heading(16, "Health records of "+me.Handle)
	line("", "Account fingerprint: "+me.Fingerprint)
	line("", fmt.Sprintf("%d records, as of %s.", len(d.Records), d.Time.Format("2 January 2006 15:04 MST")))
	doc.Ln(4)

	heading(13, "Records by type and date")
	for _, rs := range byType(d.Records) {
		heading(11, fmt.Sprintf("%s (%d)", typeName(rs[0].Type), len(rs)))
		for _, r := range rs {
			author := "unknown"
			if r.Author != nil {
				author = fmt.Sprintf("%s, fingerprint %s", r.Author.Handle, r.Author.Fingerprint)
			}
			line("B", fmt.Sprintf("%s  -  %s, version %d", titleOf(r.Title), r.Modified.Format("2006-01-02"), r.Version))
			line("", "Written by "+author)
			switch {
			case r.Owner != nil && r.Owner.Fingerprint == me.Fingerprint:
				line("", "Can read it now: "+readerNames(r.Readers))
			case r.Owner != nil:
				line("", "Shared with you by "+r.Owner.Handle)
			}
			doc.Ln(1.5)
		}
	}

	heading(13, "Recent access history")
	for _, h := range d.History {
		heading(10, titleOf(h.Title))
		for _, e := range h.Events {
			line("", fmt.Sprintf("%s  %s", e.Time.Format("2006-01-02 15:04"), eventWords(e)))
		}
		doc.Ln(1)
	}
	if d.HistoryLeftOut > 0 {
		line("I", fmt.Sprintf("The history of %d older records is left out: blindvault audit ID shows any record's whole history.", d.HistoryLeftOut))
	}
	if err := doc.Output(w); err != nil {
		return fmt.Errorf("writing the PDF: %w", err)
	}
	return nil
}

// byType groups records by type, the types in order and the newest record
// of each first.
func byType(recs []summary.Record) [][]summary.Record {
	recs = slices.Clone(recs)
	slices.SortStableFunc(recs, func(a, b summary.Record) int {
		return cmp.Or(strings.Compare(typeName(a.Type), typeName(b.Type)), b.Modified.Compare(a.Modified))
	})
	var out [][]summary.Record
	for i, r := range recs {
		if i == 0 || typeName(r.Type) != typeName(recs[i-1].Type) {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], r)
	}
	return out
}

func typeName(t string) string {
	if t == "" {
		return "(no type)"
	}
	return t
}

func titleOf(t string) string {
	if t == "" {
		return "(untitled)"
	}
	return t
}

// readerNames lists a record's readers as a person would say them, the
// owner first.
func readerNames(rs []summary.Reader) string {
	rs = slices.Clone(rs)
	slices.SortStableFunc(rs, func(a, b summary.Reader) int {
		switch {
		case a.Owner == b.Owner:
			return 0
		case a.Owner:
			return -1
		}
		return 1
	})
	var names []string
	for _, r := range rs {
		switch {
		case r.Owner:
			names = append(names, "you")
		case r.Team != "":
			names = append(names, fmt.Sprintf("team %s (%s)", r.Team, r.TeamStatus))
		case r.Contact != nil:
			names = append(names, fmt.Sprintf("%s (%s, fingerprint %s)", r.Contact.Handle, r.ContactStatus, r.Contact.Fingerprint))
		default:
			names = append(names, "a key this device cannot name ("+r.KeyID[:min(len(r.KeyID), 16)]+"...)")
		}
	}
	return strings.Join(names, "; ")
}

// eventWords puts one verified log event in words.
func eventWords(e summary.Event) string {
	who := e.Who
	if who == "" {
		who = "someone"
	}
	switch e.Action {
	case "grant created":
		return fmt.Sprintf("%s gave %s access", who, e.Whom)
	case "grant revoked":
		return fmt.Sprintf("%s withdrew %s's access", who, e.Whom)
	}
	s := fmt.Sprintf("%s: %s", e.Action, who)
	if e.Version > 0 {
		s += fmt.Sprintf(" (version %d)", e.Version)
	}
	return s
}

// printable replaces control and bidirectional-control characters, which
// a record's title or a handle could carry to garble the page.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return '\uFFFD'
		}
		return r
	}, s)
}
