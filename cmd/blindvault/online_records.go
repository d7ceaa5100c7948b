package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/blindvault/blindvault/sdk"
)

// recordView is a record as put, get and ls report it.
type recordView struct {
	ID               string    `json:"id"`
	Version          uint64    `json:"version"`
	Title            string    `json:"title"`
	Type             string    `json:"type"`
	Tags             []string  `json:"tags"`
	Size             uint64    `json:"size"`
	StoredBytes      uint64    `json:"stored_bytes"`
	Owner            string    `json:"owner,omitempty"`
	OwnerAccount     string    `json:"owner_account,omitempty"`
	OwnerFingerprint string    `json:"owner_fingerprint,omitempty"`
	Author           string    `json:"author,omitempty"`
	Shared           bool      `json:"shared_with_me"`
	Created          time.Time `json:"created"`
	Modified         time.Time `json:"modified"`
}

func recordOf(r *sdk.RecordInfo, me [32]byte) recordView {
	v := recordView{ID: r.RecordID.String(), Version: r.Version, Title: r.Title, Type: r.Type, Tags: r.Tags, Size: r.Length,
		StoredBytes: r.StoredBytes, Created: r.Created.UTC(), Modified: r.Modified.UTC()}
	if v.Tags == nil {
		v.Tags = []string{}
	}
	if r.Owner != nil {
		v.Owner, v.OwnerAccount, v.OwnerFingerprint = r.Owner.Handle(), r.Owner.AccountID().String(), r.Owner.Fingerprint().String()
		v.Shared = r.Owner.AccountID() != me
	}
	if r.Author != nil {
		v.Author = r.Author.Handle()
	}
	return v
}

func runPut(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("put", flag.ContinueOnError)
	o := addOnlineFlags(fs, true)
	title := fs.String("title", "", "record `title`, encrypted (default: the file's name)")
	typ := fs.String("type", "", "record `type`, a FHIR resource or MIME type, encrypted")
	var tags listFlag
	fs.Var(&tags, "tag", "a `tag`, encrypted (repeatable)")
	update := fs.String("update", "", "write a new version of the record with this `id`")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usagef("usage: blindvault put [FILE|-] [--type T] [--title T] [--tag T…] [--update ID]")
	}
	var upd [32]byte
	if *update != "" {
		if upd, err = recordID(*update); err != nil {
			return err
		}
	}
	if len(pos) == 0 && term.IsTerminal(int(os.Stdin.Fd())) {
		return usagef("usage: blindvault put FILE, or put - to read the record from stdin")
	}
	if *title == "" && first(pos) != "" && first(pos) != "-" {
		*title = filepath.Base(pos[0])
	}
	in, size, err := openInput(first(pos))
	if err != nil {
		return err
	}
	defer in.Close()
	c, err := connect(ctx, o)
	if err != nil {
		return err
	}
	defer c.Logout(context.WithoutCancel(ctx))
	c.tr.upload = "uploading"
	body, stop := inputBar("encrypting", size, in)
	info, err := c.Put(ctx, body, &sdk.PutOptions{Title: *title, Type: *typ, Tags: tags, Size: max(size, 0), Update: upd})
	stop()
	if err != nil {
		return notFoundAs(err, "no record %s of yours to update", *update)
	}
	if o.json {
		return printJSON(s.out, recordOf(info, c.AccountID()))
	}
	fmt.Fprintf(s.err, "Stored %q, version %d: %s encrypted on this device, %s stored.\n",
		clean(info.Title), info.Version, size64(info.Length), size64(info.StoredBytes))
	fmt.Fprintln(s.out, info.RecordID.String())
	return nil
}

func runGet(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("get", flag.ContinueOnError)
	o := addOnlineFlags(fs, true)
	outPath := fs.String("o", "", "output `file`, created only after every check passed (default stdout, written as it is verified: "+
		"if get then fails, what it printed is incomplete and must be discarded)")
	var id [32]byte
	pos, c, err := start(ctx, fs, o, args, func(pos []string) (err error) {
		if len(pos) != 1 {
			return usagef("usage: blindvault get ID [-o OUT]")
		}
		if o.json && (*outPath == "" || *outPath == "-") {
			return usagef("--json prints the record's description on stdout, so it needs -o OUT for the record itself")
		}
		id, err = recordID(pos[0])
		return err
	})
	if err != nil {
		return err
	}
	defer c.Logout(context.WithoutCancel(ctx))
	dst, commit, abort, err := output(*outPath, s.out, 0o600)
	if err != nil {
		return err
	}
	c.tr.download = "downloading"
	out := &countingWriter{w: dst}
	info, err := c.Get(ctx, id, out)
	if err != nil {
		abort()
		return getFailed(notFoundAs(err, "no record %s here: it does not exist, or it is not shared with you", pos[0]),
			*outPath, out.n)
	}
	if err := commit(); err != nil {
		return err
	}
	v := recordOf(info, c.AccountID())
	if o.json {
		return printJSON(s.out, v)
	}
	fmt.Fprintf(s.err, "Verified %q", clean(v.Title))
	if v.Type != "" {
		fmt.Fprintf(s.err, " (%s)", clean(v.Type))
	}
	fmt.Fprintf(s.err, ", version %d, %s, owner %s", v.Version, size64(v.Size), clean(v.Owner))
	if v.Author != v.Owner {
		fmt.Fprintf(s.err, ", written by %s (%s)", clean(v.Author), info.Author.Fingerprint())
	}
	fmt.Fprintln(s.err, ".")
	return nil
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// getFailed says what a failed get left behind. To stdout, the SDK writes each
// chunk once it is verified, so a body cut short or altered part-way fails after
// its start was printed: that start is not the record and must be discarded.
// An -o file is written beside its name and removed on failure.
func getFailed(err error, outPath string, written int64) error {
	ce, ok := err.(*cliError)
	if !ok {
		ce = &cliError{msg: err.Error(), err: err}
	}
	switch {
	case outPath != "" && outPath != "-":
		left := fmt.Sprintf("%s was not created.", outPath)
		if ce.means == nothingUsed {
			ce.means = "Nothing from that answer was used: " + left
		} else {
			ce.means = strings.TrimSpace(ce.means + " " + left)
		}
	case written > 0:
		ce.means = fmt.Sprintf("The output printed so far (%s) is incomplete and must be discarded: it is only the start of the record.",
			size(written))
	}
	return ce
}

func runLs(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("ls", flag.ContinueOnError)
	o := addOnlineFlags(fs, true)
	_, c, err := start(ctx, fs, o, args, func(pos []string) error {
		if len(pos) != 0 {
			return usagef("usage: blindvault ls [--json]")
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer c.Logout(context.WithoutCancel(ctx))
	list, err := c.List(ctx)
	if err != nil {
		return friendly(err)
	}
	views := make([]recordView, len(list))
	for i, r := range list {
		views[i] = recordOf(r, c.AccountID())
	}
	movedNotice(ctx, c, s)
	if o.json {
		return printJSON(s.out, views)
	}
	if len(views) == 0 {
		fmt.Fprintln(s.err, "No records yet: add one with 'blindvault put FILE'.")
		return nil
	}
	tw := tabwriter.NewWriter(s.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTITLE\tTYPE\tSIZE\tVERSION\tOWNER\tMODIFIED")
	for _, v := range views {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", v.ID, cell(v.Title), cell(v.Type), size64(v.Size), v.Version,
			cell(v.Owner), v.Modified.Local().Format("2006-01-02 15:04"))
	}
	return tw.Flush()
}

// cell is a table cell: printable, without tabs, and "-" when empty.
func cell(s string) string {
	s = strings.ReplaceAll(clean(s), "\uFFFD", "?")
	if s == "" {
		return "-"
	}
	return s
}

func size64(n uint64) string { return size(int64(n)) }

func runShare(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("share", flag.ContinueOnError)
	o := addOnlineFlags(fs, true)
	with := fs.String("with", "", "the `handle` of the account to share with")
	team := fs.String("team", "", "share with a care `team` instead: ORG/NAME, or a team you know")
	history := fs.Bool("history", false, "also give the keys of versions written before the last revocation")
	write := fs.Bool("write", false, "also let the reader write new versions")
	fp := fs.String("fingerprint", "", "require the reader's `fingerprint`, compared out of band")
	role := fs.String("role", "", "require a verified attestation of this `role`, such as clinician")
	confirm := fs.Bool("confirm-restricted", false, "share a restricted record with this person (restrict)")
	all := fs.Bool("all", false, "share every record you own with this person")
	var id [32]byte
	var many []sdk.RecordID
	pos, c, err := start(ctx, fs, o, args, func(pos []string) (err error) {
		single := len(pos) == 1 && !*all
		if (*with == "") == (*team == "") || (*team != "" && (*write || !single)) || (!single && (*all == (len(pos) > 0))) {
			return usagef("usage: blindvault share ID (--with NAME [--write] [--fingerprint FP] [--role ROLE] | --team TEAM) [--history]\n" +
				"       blindvault share (ID ID… | --all) --with NAME [--write] [--fingerprint FP] [--role ROLE] [--history]")
		}
		for _, p := range pos {
			if id, err = recordID(p); err != nil {
				return err
			}
			many = append(many, id)
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer c.Logout(context.WithoutCancel(ctx))
	if len(many) != 1 {
		return shareMany(ctx, c, s, o, many, *with, &sdk.ShareOptions{LookupOptions: sdk.LookupOptions{Fingerprint: *fp, Role: *role},
			History: *history, Write: *write, ConfirmRestricted: *confirm})
	}
	if *team != "" {
		t, err := c.ShareWithTeam(ctx, id, *team, &sdk.ShareOptions{History: *history})
		if err != nil {
			return notFoundAs(err, "no team %q known to this device, or no record %s of yours", clean(*team), pos[0])
		}
		if o.json {
			return printJSON(s.out, map[string]any{"record": hex.EncodeToString(id[:]), "team": newTeamView(t), "history": *history})
		}
		fmt.Fprintf(s.out, "Shared %s with team %s.\nStatus:  %s\nMembers: %s\n", pos[0], clean(t.Name), clean(t.Status()),
			clean(strings.Join(t.MemberHandles, ", ")))
		if !t.Verified {
			fmt.Fprintf(s.err, "Note: no organisation you trust (blindvault trust-org) vouches for this team's admin.\n")
		}
		return nil
	}
	ct, err := c.Share(ctx, id, *with, &sdk.ShareOptions{LookupOptions: sdk.LookupOptions{Fingerprint: *fp, Role: *role},
		History: *history, Write: *write, ConfirmRestricted: *confirm})
	if errors.Is(err, sdk.ErrRestricted) {
		return &cliError{msg: fmt.Sprintf("record %s is restricted: share it with %s only with --confirm-restricted, "+
			"and never with a team or a collection", pos[0], clean(*with)), err: err}
	}
	if err != nil {
		return notFoundAs(err, "no account named %q, or no record %s of yours", clean(*with), pos[0])
	}
	firstUseWarning(s.err, ct)
	rights := []string{"read"}
	if *write {
		rights = append(rights, "write")
	}
	if o.json {
		return printJSON(s.out, map[string]any{"record": hex.EncodeToString(id[:]), "recipient": ct.Handle,
			"account_id": hex.EncodeToString(ct.AccountID[:]), "fingerprint": ct.Fingerprint.String(), "status": ct.Status(),
			"first_use": ct.FirstUse, "rights": rights, "history": *history})
	}
	fmt.Fprintf(s.out, "Shared %s with %s (%s).\nFingerprint: %s\nStatus:      %s\n",
		pos[0], clean(ct.Handle), strings.Join(rights, ", "), ct.Fingerprint, clean(ct.Status()))
	if ct.Attestation == nil {
		fmt.Fprintf(s.err, "Note: %s is unattested: no organisation you trust (blindvault trust-org) vouches for a role.\n", clean(ct.Handle))
	}
	return nil
}

// shareMany shares ids (none: every record this account owns) with handle
// in one operation (sdk.Client.ShareRecords): the reader's card is verified
// once, and every record's checks are made.
func shareMany(ctx context.Context, c *session, s stdio, o *onlineFlags, ids []sdk.RecordID, handle string, opts *sdk.ShareOptions) error {
	if len(ids) == 0 {
		recs, err := c.List(ctx)
		if err != nil {
			return friendly(err)
		}
		for _, r := range recs {
			if r.Owner != nil && r.Owner.AccountID() == c.AccountID() {
				ids = append(ids, r.RecordID)
			}
		}
	}
	ct, err := c.ShareRecords(ctx, ids, handle, opts)
	if errors.Is(err, sdk.ErrRestricted) {
		return &cliError{msg: fmt.Sprintf("a record is restricted: share restricted records with %s only with --confirm-restricted (%v)",
			clean(handle), err), err: err}
	}
	if err != nil {
		return notFoundAs(err, "no account named %q, or a record that is not yours", clean(handle))
	}
	firstUseWarning(s.err, ct)
	if o.json {
		hexIDs := make([]string, len(ids))
		for i, id := range ids {
			hexIDs[i] = id.String()
		}
		return printJSON(s.out, map[string]any{"records": hexIDs, "recipient": ct.Handle,
			"account_id": hex.EncodeToString(ct.AccountID[:]), "fingerprint": ct.Fingerprint.String(), "status": ct.Status()})
	}
	fmt.Fprintf(s.out, "Shared %d records with %s.\nFingerprint: %s\nStatus:      %s\n", len(ids), clean(ct.Handle), ct.Fingerprint, clean(ct.Status()))
	return nil
}

func runRevoke(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("revoke", flag.ContinueOnError)
	o := addOnlineFlags(fs, true)
	from := fs.String("from", "", "the `handle` of the account to revoke")
	team := fs.String("team", "", "revoke a care `team` instead: ORG/NAME, or a team you know")
	var id [32]byte
	pos, c, err := start(ctx, fs, o, args, func(pos []string) (err error) {
		if len(pos) != 1 || (*from == "") == (*team == "") {
			return usagef("usage: blindvault revoke ID (--from NAME | --team TEAM)")
		}
		id, err = recordID(pos[0])
		return err
	})
	if err != nil {
		return err
	}
	defer c.Logout(context.WithoutCancel(ctx))
	revoke := func() error { return c.Revoke(ctx, id, *from) }
	if *team != "" {
		*from = "team " + *team
		revoke = func() error { return c.RevokeTeam(ctx, id, *team) }
	}
	if err := revoke(); err != nil {
		return revokeFailed(err, pos[0], *from)
	}
	if o.json {
		return printJSON(s.out, map[string]any{"record": hex.EncodeToString(id[:]), "revoked": *from})
	}
	fmt.Fprintf(s.out, "Revoked %s's access to %s.\n", clean(*from), pos[0])
	fmt.Fprintf(s.err, "Versions written from now on are closed to %s; copies of earlier versions it read may have been kept.\n", clean(*from))
	return nil
}

// revokeFailed says a failed revoke: whether the account may still read the
// record, and how to retry. The SDK keeps nothing on this device until the
// server confirmed the new ACL and its log entry verified, so a revoke that
// failed before that changed nothing here and can simply be run again (if the
// server did apply it, the second run says the record is no longer shared).
func revokeFailed(err error, id, from string) error {
	if plainNotFound(err) {
		return notFoundAs(err, "record %s is not shared with %q (or is not yours): there is nothing to revoke", id, clean(from))
	}
	f := friendly(err)
	if errors.Is(err, sdk.ErrDeleted) {
		return f
	}
	ce, ok := f.(*cliError)
	if !ok {
		ce = &cliError{msg: clean(f.Error()), err: err}
	}
	if !strings.HasPrefix(ce.msg, "SECURITY:") {
		ce.msg = "revoking failed: " + ce.msg
	}
	if errors.Is(err, sdk.ErrForbidden) {
		ce.means = fmt.Sprintf("Nothing was changed: %s's access to this record is as before.", clean(from))
		ce.next = "Only the record's owner can revoke access to it."
		return ce
	}
	ce.means = fmt.Sprintf("The revoke did not complete: %s may still be able to read this record. Nothing was changed on this device.", clean(from))
	ce.next = fmt.Sprintf("What to do: run the same revoke again (blindvault revoke %s --from %s). "+
		"If it keeps failing, contact the server's operator and show them this message.", id, clean(from))
	return ce
}

func runRm(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("rm", flag.ContinueOnError)
	o := addOnlineFlags(fs, true)
	var id [32]byte
	pos, c, err := start(ctx, fs, o, args, func(pos []string) (err error) {
		if len(pos) != 1 {
			return usagef("usage: blindvault rm ID")
		}
		id, err = recordID(pos[0])
		return err
	})
	if err != nil {
		return err
	}
	defer c.Logout(context.WithoutCancel(ctx))
	if err := c.Delete(ctx, id); err != nil {
		return notFoundAs(err, "no record %s of yours", pos[0])
	}
	if o.json {
		return printJSON(s.out, map[string]any{"id": hex.EncodeToString(id[:]), "deleted": true})
	}
	fmt.Fprintf(s.out, "Deleted %s: the server removes its content, keys and shares.\n", pos[0])
	return nil
}
