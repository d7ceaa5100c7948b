package main

import (
	"context"
	"syscall/js"

	"github.com/blindvault/blindvault/sdk"
)

// deletionCall runs an account deletion call with the options JSON in
// args[0] ({otp}) and answers {requested, due} in Unix milliseconds.
func deletionCall(ctx context.Context, args []js.Value, call func(context.Context, *sdk.DeleteAccountOptions) (*sdk.AccountDeletion, error)) (any, error) {
	var in struct{ OTP string }
	if err := fromJSON(arg(args, 0), &in); err != nil {
		return nil, err
	}
	d, err := call(ctx, &sdk.DeleteAccountOptions{OTP: in.OTP})
	if err != nil {
		return nil, err
	}
	return toJSON(map[string]int64{"requested": d.Requested.UnixMilli(), "due": d.Due.UnixMilli()})
}
