package main

import (
	"context"
	"strconv"
	"syscall/js"

	"github.com/blindvault/blindvault/sdk"
)

// transferCall moves c's account to another server: args[0] is connect's
// options for the new server ({server, storage, fetch}) and args[1] the
// options JSON ({passphrase, invite}). It answers {report, client}: the
// report's JSON and the new server's client object.
func transferCall(ctx context.Context, c *sdk.Client, args []js.Value) (any, error) {
	cfg, err := configOf(ctx, arg(args, 0))
	if err != nil {
		return nil, err
	}
	var in struct{ Passphrase, Invite string }
	if err := fromJSON(arg(args, 1), &in); err != nil {
		return nil, err
	}
	opts := &sdk.TransferOptions{To: cfg, Invite: in.Invite}
	if in.Passphrase != "" {
		opts.Passphrase = []byte(in.Passphrase)
	}
	moved, rep, err := c.Transfer(ctx, opts)
	if err != nil {
		return nil, err
	}
	report, err := toJSON(rep)
	if err != nil {
		return nil, err
	}
	return map[string]any{"report": report, "client": newClientObject(moved)}, nil
}

// movedToCall answers the server an account (args[0], hex; empty: c's own)
// moved to, as its signed chain shows, or "".
func movedToCall(ctx context.Context, c *sdk.Client, args []js.Value) (any, error) {
	id := c.AccountID()
	if v := arg(args, 0); v.Type() == js.TypeString && v.String() != "" {
		a, err := sdk.ParseRecordID(v.String())
		if err != nil {
			return nil, err
		}
		id = sdk.AccountID(a)
	}
	return c.MovedTo(ctx, id)
}

// grantPendingCall gives the readers a transfer left pending, and that are
// now on c's server, their keys. It answers {granted, waiting}: the grants
// made, and each reader still waiting as "name (n record(s))". (No JSON
// type of its own: each costs blindvault.wasm its reflection data.)
func grantPendingCall(ctx context.Context, c *sdk.Client) (any, error) {
	granted, pending, err := c.GrantPending(ctx)
	if err != nil {
		return nil, err
	}
	waiting := make([]any, len(pending))
	for i, p := range pending {
		waiting[i] = p.Name + " (" + strconv.Itoa(p.Records) + " record(s))"
	}
	return map[string]any{"granted": granted, "waiting": waiting}, nil
}
