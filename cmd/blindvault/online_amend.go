package main

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/blindvault/blindvault/sdk"
)

// The right to correct:
//
//	blindvault amend request ID --text T              ask the record's author to amend it
//	blindvault amend answer REQUEST --amended|--refused [--text T]   as the author
//	blindvault amend disagree REQUEST --text T        the requester's statement of disagreement
//	blindvault amend ls ID                            the record's amendment history, verified
const amendUsage = "usage: blindvault amend request ID --text T | answer REQUEST (--amended | --refused) [--text T] | " +
	"disagree REQUEST --text T | ls ID"

type amendmentView struct {
	ID       string    `json:"id"`
	Kind     string    `json:"kind"`
	Record   string    `json:"record"`
	Version  uint64    `json:"version"`
	Request  string    `json:"request,omitempty"`
	Decision string    `json:"decision,omitempty"`
	Text     string    `json:"text"`
	By       string    `json:"by"`
	At       time.Time `json:"at"`
}

func runAmend(ctx context.Context, args []string, s stdio) error {
	if len(args) == 0 {
		return usagef(amendUsage)
	}
	verb, args := args[0], args[1:]
	switch verb {
	case "-h", "-help", "--help":
		fmt.Fprintln(s.err, amendUsage)
		return flag.ErrHelp
	case "request", "answer", "disagree", "ls":
	default:
		return usagef(amendUsage)
	}
	fs := flag.NewFlagSet("amend "+verb, flag.ContinueOnError)
	o := addOnlineFlags(fs, true)
	text := fs.String("text", "", "what to correct, the answer's reason, or the statement of disagreement")
	amended := fs.Bool("amended", false, "answer: the amended version is written")
	refused := fs.Bool("refused", false, "answer: refuse, with the reason in --text")
	var id sdk.RecordID
	_, c, err := start(ctx, fs, o, args, func(pos []string) (err error) {
		switch {
		case len(pos) != 1,
			verb == "answer" && *amended == *refused,
			(verb == "request" || verb == "disagree" || (verb == "answer" && *refused)) && *text == "":
			return usagef(amendUsage)
		}
		id, err = recordID(pos[0])
		return err
	})
	if err != nil {
		return err
	}
	defer c.Logout(context.WithoutCancel(ctx))
	var steps []*sdk.Amendment
	switch verb {
	case "request":
		var a *sdk.Amendment
		a, err = c.RequestAmendment(ctx, id, *text)
		steps = append(steps, a)
	case "answer":
		decision := sdk.AmendmentAmended
		if *refused {
			decision = sdk.AmendmentRefused
		}
		var a *sdk.Amendment
		a, err = c.AnswerAmendment(ctx, id, decision, *text)
		steps = append(steps, a)
	case "disagree":
		var a *sdk.Amendment
		a, err = c.DisagreeWithAnswer(ctx, id, *text)
		steps = append(steps, a)
	case "ls":
		steps, err = c.Amendments(ctx, id)
	}
	if err != nil {
		return notFoundAs(err, "no record or amendment request %s that you can read", id)
	}
	views := amendmentViews(steps)
	if o.json {
		if verb == "ls" {
			return printJSON(s.out, map[string]any{"amendments": views})
		}
		return printJSON(s.out, views[0])
	}
	if verb != "ls" {
		fmt.Fprintf(s.out, "Sent the %s; its id:\n%s\n", views[0].Kind, views[0].ID)
		return nil
	}
	tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WHEN\tBY\tSTEP\tVERSION\tTEXT")
	for _, v := range views {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", v.At.Format(time.DateTime), clean(v.By), v.step(), v.Version, clean(v.Text))
	}
	return tw.Flush()
}

// amendmentViews turns verified steps into what the CLI prints.
func amendmentViews(steps []*sdk.Amendment) []amendmentView {
	views := make([]amendmentView, 0, len(steps))
	for _, a := range steps {
		v := amendmentView{ID: a.ID.String(), Kind: a.Kind, Record: a.Record.String(), Version: a.Version,
			Decision: a.Decision, Text: a.Text, By: a.By.Handle(), At: a.At.UTC()}
		if a.Request != (sdk.RecordID{}) {
			v.Request = a.Request.String()
		}
		views = append(views, v)
	}
	return views
}

// step names the step, with the author's decision for an answer.
func (v amendmentView) step() string {
	if v.Decision != "" {
		return v.Kind + " (" + v.Decision + ")"
	}
	return v.Kind
}
