package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/blindvault/blindvault/sdk"
)

// The printable summary (export --pdf): what a patient would hand to a new
// clinic or keep on paper. Every line of it comes from what the client
// verified: the records it lists (List), who can read each now (Readers) and
// the recent access history (Audit, from the verified log).

// pdfHistoryRecords bounds the records whose history the summary prints (the
// most recently changed of those this account owns), and pdfHistoryEvents the
// events printed for each: a summary, not the whole log (blindvault audit).
const (
	pdfHistoryRecords = 25
	pdfHistoryEvents  = 6
)

// writeSummaryPDF writes the summary of what c's account owns or reads to w.
func writeSummaryPDF(ctx context.Context, c *sdk.Client, w io.Writer, now time.Time) (int, error) {
	recs, err := c.List(ctx)
	if err != nil {
		return 0, err
	}
	me := c.Card()
	doc := fpdf.New("P", "mm", "A4", "")
	tr := doc.UnicodeTranslatorFromDescriptor("") // the core fonts are cp1252
	text := func(s string) string { return tr(clean(s)) }
	doc.SetTitle("Blindvault summary of "+me.Handle(), true)
	doc.SetFooterFunc(func() {
		doc.SetY(-12)
		doc.SetFont("Helvetica", "I", 8)
		doc.CellFormat(0, 5, text(fmt.Sprintf("%s - page %d - every entry verified by the Blindvault client on %s",
			me.Handle(), doc.PageNo(), now.Format("2006-01-02 15:04 MST"))), "", 0, "C", false, 0, "")
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
	heading(16, "Health records of "+me.Handle())
	line("", fmt.Sprintf("Account fingerprint: %s", me.Fingerprint()))
	line("", fmt.Sprintf("%d records, as of %s.", len(recs), now.Format("2 January 2006 15:04 MST")))
	doc.Ln(4)

	byType := map[string][]*sdk.RecordInfo{}
	for _, r := range recs {
		t := r.Type
		if t == "" {
			t = "(no type)"
		}
		byType[t] = append(byType[t], r)
	}
	types := make([]string, 0, len(byType))
	for t := range byType {
		types = append(types, t)
	}
	slices.Sort(types)
	heading(13, "Records by type and date")
	for _, t := range types {
		rs := byType[t]
		slices.SortFunc(rs, func(a, b *sdk.RecordInfo) int { return b.Modified.Compare(a.Modified) })
		heading(11, fmt.Sprintf("%s (%d)", t, len(rs)))
		for _, r := range rs {
			title := r.Title
			if title == "" {
				title = "(untitled)"
			}
			author := "unknown"
			if r.Author != nil {
				author = fmt.Sprintf("%s, fingerprint %s", r.Author.Handle(), r.Author.Fingerprint())
			}
			line("B", fmt.Sprintf("%s  -  %s, version %d", title, r.Modified.Format("2006-01-02"), r.Version))
			line("", "Written by "+author)
			if r.Owner != nil && r.Owner.Fingerprint() == me.Fingerprint() {
				readers, err := c.Readers(ctx, r.RecordID)
				if err != nil {
					return 0, fmt.Errorf("readers of %s: %w", r.RecordID, err)
				}
				line("", "Can read it now: "+readerNames(readers))
			} else if r.Owner != nil {
				line("", "Shared with you by "+r.Owner.Handle())
			}
			doc.Ln(1.5)
		}
	}

	heading(13, "Recent access history")
	var own []*sdk.RecordInfo
	for _, r := range recs {
		if r.Owner != nil && r.Owner.Fingerprint() == me.Fingerprint() {
			own = append(own, r)
		}
	}
	slices.SortFunc(own, func(a, b *sdk.RecordInfo) int { return b.Modified.Compare(a.Modified) })
	for _, r := range own[:min(len(own), pdfHistoryRecords)] {
		evs, err := c.Audit(ctx, r.RecordID)
		if err != nil {
			return 0, fmt.Errorf("history of %s: %w", r.RecordID, err)
		}
		heading(10, r.Title)
		// The owner's own keys and ACL changes are bookkeeping, not news.
		evs = slices.DeleteFunc(evs, func(e sdk.AuditEvent) bool {
			return e.Action == "ACL changed" || (e.Action == "grant created" && e.Who == e.Whom)
		})
		for _, e := range evs[max(0, len(evs)-pdfHistoryEvents):] {
			line("", fmt.Sprintf("%s  %s", e.Time.Format("2006-01-02 15:04"), auditWords(e)))
		}
		doc.Ln(1)
	}
	if len(own) > pdfHistoryRecords {
		line("I", fmt.Sprintf("The history of %d older records is left out: blindvault audit ID shows any record's whole history.", len(own)-pdfHistoryRecords))
	}
	if err := doc.Output(w); err != nil {
		return 0, fmt.Errorf("writing the PDF: %w", err)
	}
	return len(recs), nil
}

// readerNames lists a record's readers as a person would say them, the
// owner first.
func readerNames(rs []sdk.Reader) string {
	rs = slices.Clone(rs)
	slices.SortStableFunc(rs, func(a, b sdk.Reader) int {
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
		case r.Team != nil:
			names = append(names, fmt.Sprintf("team %s (%s)", r.Team.Name, r.Team.Status()))
		case r.Contact != nil:
			names = append(names, fmt.Sprintf("%s (%s, fingerprint %s)", r.Contact.Handle, r.Contact.Status(), r.Contact.Fingerprint))
		default:
			names = append(names, "a key this device cannot name ("+r.KeyID[:16]+"...)")
		}
	}
	return strings.Join(names, "; ")
}

// auditWords puts one verified log event in words.
func auditWords(e sdk.AuditEvent) string {
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
