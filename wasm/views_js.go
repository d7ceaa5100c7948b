package main

import (
	"context"
	"syscall/js"
	"time"

	"github.com/blindvault/blindvault/sdk"
)

// The calls behind the portal's record views: versions, amendment history,
// and the verified log's checkpoint.

// addViewCalls adds them to a client object through add.
func addViewCalls(c *sdk.Client, add func(string, func(context.Context, []js.Value) (any, error))) {
	add("versions", func(ctx context.Context, args []js.Value) (any, error) {
		id, err := recordID(arg(args, 0))
		if err != nil {
			return nil, err
		}
		vs, err := c.Versions(ctx, id)
		if err != nil {
			return nil, err
		}
		out := make([]recordInfoJSON, len(vs))
		for i, v := range vs {
			out[i] = infoOf(c, v)
		}
		return toJSON(out)
	})
	add("amendments", func(ctx context.Context, args []js.Value) (any, error) {
		id, err := recordID(arg(args, 0))
		if err != nil {
			return nil, err
		}
		as, err := c.Amendments(ctx, id)
		if err != nil {
			return nil, err
		}
		out := make([]amendmentJSON, len(as))
		for i, a := range as {
			out[i] = amendmentOf(a)
		}
		return toJSON(out)
	})
	// answerAmendment(request, decision, text) and disagree(request, text).
	add("answerAmendment", func(ctx context.Context, args []js.Value) (any, error) {
		req, decision, err := idAndString(args, "decision")
		if err != nil {
			return nil, err
		}
		text, err := str(arg(args, 2), "text")
		if err != nil {
			return nil, err
		}
		return amendmentResult(c.AnswerAmendment(ctx, req, decision, text))
	})
	add("disagree", func(ctx context.Context, args []js.Value) (any, error) {
		req, text, err := idAndString(args, "text")
		if err != nil {
			return nil, err
		}
		return amendmentResult(c.DisagreeWithAnswer(ctx, req, text))
	})
	add("verifyLog", func(ctx context.Context, _ []js.Value) (any, error) {
		r, err := c.VerifyLog(ctx)
		if err != nil {
			return nil, err
		}
		return toJSON(struct {
			Origin     string `json:"origin"`
			Size       int64  `json:"size"`
			Root       string `json:"root"`
			Checkpoint string `json:"checkpoint"`
		}{r.Origin, r.Size, r.Root, string(c.Checkpoint())})
	})
}

// amendmentJSON is an sdk.Amendment as the page shows it.
type amendmentJSON struct {
	ID       string    `json:"id"`
	Kind     string    `json:"kind"`
	Record   string    `json:"record"`
	Version  uint64    `json:"version"`
	Request  string    `json:"request,omitempty"`
	Decision string    `json:"decision,omitempty"`
	Text     string    `json:"text"`
	By       *cardJSON `json:"by"`
	At       time.Time `json:"at"`
}

func amendmentOf(a *sdk.Amendment) amendmentJSON {
	out := amendmentJSON{ID: a.ID.String(), Kind: a.Kind, Record: a.Record.String(), Version: a.Version,
		Decision: a.Decision, Text: a.Text, By: cardOf(a.By), At: a.At}
	if a.Request != (sdk.RecordID{}) {
		out.Request = a.Request.String()
	}
	return out
}

func amendmentResult(a *sdk.Amendment, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return toJSON(amendmentOf(a))
}
