package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/blindvault/blindvault/sdk"
)

// The second-factor commands:
//
//	blindvault mfa enroll totp        print the otpauth:// URI of a new TOTP secret
//	blindvault mfa confirm CODE       turn it on with a code from the authenticator
//	blindvault mfa ls                 list the account's second factors
//	blindvault mfa remove CODE        turn it off (needs a current code)
//	blindvault mfa remove --recovery-code-file F   …or the recovery code, if the authenticator is lost
//	blindvault mfa remove passkey ID (CODE | --recovery-code-file F)   remove a passkey
//
// Passkeys are made by a browser for the server's web origin, so they are
// enrolled in the portal; the CLI lists and removes them.
const mfaUsage = "usage: blindvault mfa enroll totp | mfa confirm CODE | mfa ls | mfa remove CODE | mfa remove --recovery-code-file F | mfa remove passkey ID (CODE | --recovery-code-file F)"

// passkeyPortalNote says where passkeys are enrolled.
const passkeyPortalNote = "passkeys are enrolled in the browser portal (Security: Add a passkey), where the browser makes them for the server's web origin; the CLI lists them (blindvault mfa ls) and removes them (blindvault mfa remove passkey ID)"

// recoveryNote is what every mfa command says about the way back in.
const recoveryNote = "Your recovery code still restores the account without the second factor (blindvault login --recovery-code): keep it safe, it is the way back in if the authenticator is lost."

func runMFA(ctx context.Context, args []string, s stdio) error {
	if len(args) == 0 {
		return usagef(mfaUsage)
	}
	switch args[0] {
	case "enroll", "enrol":
		return mfaEnroll(ctx, args[1:], s)
	case "confirm":
		return mfaCode(ctx, "confirm", args[1:], s)
	case "remove":
		if len(args) > 1 && args[1] == "passkey" {
			return mfaRemovePasskey(ctx, args[2:], s)
		}
		return mfaCode(ctx, "remove", args[1:], s)
	case "ls":
		return mfaList(ctx, args[1:], s)
	case "-h", "-help", "--help":
		fmt.Fprintln(s.err, mfaUsage)
		return flag.ErrHelp
	}
	return usagef("unknown mfa command %q; %s", args[0], mfaUsage)
}

func mfaEnroll(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("mfa enroll", flag.ContinueOnError)
	o := addOnlineFlags(fs, true)
	_, c, err := start(ctx, fs, o, args, func(pos []string) error {
		if len(pos) == 1 && pos[0] == "passkey" {
			return usagef("%s", passkeyPortalNote)
		}
		if len(pos) != 1 || pos[0] != "totp" {
			return usagef("usage: blindvault mfa enroll totp (%s)", passkeyPortalNote)
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer c.Logout(context.WithoutCancel(ctx))
	e, err := c.EnrollTOTP(ctx)
	if err != nil {
		return mfaFriendly(err)
	}
	if o.json {
		return printJSON(s.out, map[string]string{"uri": e.URI, "secret": e.Secret})
	}
	if stderrIsTerminal() {
		if code := qrText(e.URI); code != "" {
			fmt.Fprint(s.err, code)
		}
	}
	fmt.Fprintf(s.err, "Add this to your authenticator app (scan the QR code or the URI, or type the secret %s),\n"+
		"then turn it on with: blindvault mfa confirm CODE\n"+
		"Until then nothing changes. The URI is shown only now; it holds the secret.\n%s\n", e.Secret, recoveryNote)
	fmt.Fprintln(s.out, e.URI)
	return nil
}

func mfaCode(ctx context.Context, verb string, args []string, s stdio) error {
	fs := flag.NewFlagSet("mfa "+verb, flag.ContinueOnError)
	o := addOnlineFlags(fs, true)
	var recFile *string
	if verb == "remove" {
		recFile = fs.String("recovery-code-file", "", "prove the recovery code read from this `file` instead of a one-time code (a lost authenticator)")
	}
	pos, c, err := start(ctx, fs, o, args, func(pos []string) error {
		if recFile != nil && *recFile != "" && len(pos) == 0 {
			return nil
		}
		if len(pos) != 1 {
			return usagef("usage: blindvault mfa %s CODE", verb)
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer c.Logout(context.WithoutCancel(ctx))
	code := ""
	if len(pos) == 1 {
		code = pos[0]
	} else {
		b, err := readSmallFile(*recFile)
		if err != nil {
			return err
		}
		code = strings.TrimSpace(string(b))
	}
	if verb == "confirm" {
		err = c.ConfirmTOTP(ctx, code)
	} else {
		err = c.RemoveTOTP(ctx, code)
	}
	if err != nil {
		return mfaFriendly(err)
	}
	if o.json {
		return printJSON(s.out, map[string]any{"kind": "totp", "enabled": verb == "confirm"})
	}
	if verb == "confirm" {
		fmt.Fprintf(s.out, "Second factor on: a new device now needs the passphrase and a code (blindvault login --otp CODE).\n%s\n", recoveryNote)
	} else {
		fmt.Fprintln(s.out, "Second factor removed: a new device needs only the passphrase.")
	}
	return nil
}

type factorView struct {
	Kind      string    `json:"kind"`
	Created   time.Time `json:"created"`
	Confirmed bool      `json:"confirmed"`
	ID        string    `json:"id,omitempty"`   // a passkey's credential id
	Name      string    `json:"name,omitempty"` // a passkey's name
}

func mfaList(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("mfa ls", flag.ContinueOnError)
	o := addOnlineFlags(fs, true)
	_, c, err := start(ctx, fs, o, args, func(pos []string) error {
		if len(pos) != 0 {
			return usagef("usage: blindvault mfa ls")
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer c.Logout(context.WithoutCancel(ctx))
	factors, err := c.SecondFactors(ctx)
	if err != nil {
		return mfaFriendly(err)
	}
	views := make([]factorView, 0, len(factors))
	for _, f := range factors {
		views = append(views, factorView{f.Kind, f.Created.UTC(), f.Confirmed, f.ID, f.Name})
	}
	if o.json {
		return printJSON(s.out, map[string]any{"factors": views})
	}
	if len(views) == 0 {
		fmt.Fprintln(s.out, "No second factor: a new device needs only the passphrase (or the recovery code).")
		return nil
	}
	for _, v := range views {
		state := "on"
		if !v.Confirmed {
			state = "pending: confirm it with blindvault mfa confirm CODE"
		}
		if v.Kind == "passkey" {
			state = fmt.Sprintf("%q  id %s", v.Name, v.ID)
		}
		fmt.Fprintf(s.out, "%-7s enrolled %s  %s\n", v.Kind, v.Created.Format(time.DateTime), state)
	}
	return nil
}

// mfaRemovePasskey removes a passkey, proving a second factor with a TOTP
// code or the recovery code (a terminal cannot answer a passkey; the
// portal removes one with a passkey).
func mfaRemovePasskey(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("mfa remove passkey", flag.ContinueOnError)
	o := addOnlineFlags(fs, true)
	recFile := fs.String("recovery-code-file", "", "prove the recovery code read from this `file` (a lost passkey)")
	const usage = "usage: blindvault mfa remove passkey ID (CODE | --recovery-code-file F); ID as blindvault mfa ls shows it, CODE a current TOTP code"
	pos, c, err := start(ctx, fs, o, args, func(pos []string) error {
		if len(pos) == 2 || (len(pos) == 1 && *recFile != "") {
			return nil
		}
		return usagef(usage)
	})
	if err != nil {
		return err
	}
	defer c.Logout(context.WithoutCancel(ctx))
	var code string
	if len(pos) == 2 {
		code = pos[1]
	} else {
		b, err := readSmallFile(*recFile)
		if err != nil {
			return err
		}
		code = strings.TrimSpace(string(b))
	}
	if err := c.RemovePasskey(ctx, pos[0], nil, code); err != nil {
		if errors.Is(err, sdk.ErrNotFound) {
			return &cliError{msg: "no such passkey: see blindvault mfa ls", err: err}
		}
		return mfaFriendly(err)
	}
	if o.json {
		return printJSON(s.out, map[string]any{"kind": "passkey", "id": pos[0], "enabled": false})
	}
	fmt.Fprintln(s.out, "Passkey removed.")
	return nil
}

// mfaFriendly says what a refused code means.
func mfaFriendly(err error) error {
	switch {
	case errors.Is(err, sdk.ErrWrongRecoveryCode):
		return &cliError{msg: "wrong recovery code", err: err}
	case errors.Is(err, sdk.ErrSecondFactor):
		return &cliError{msg: "the code is wrong or was already used: wait for the next one (wrong codes count toward a lockout)", err: err}
	case errors.Is(err, sdk.ErrNotFound):
		return &cliError{msg: "no TOTP factor to act on: enrol one with blindvault mfa enroll totp", err: err}
	case errors.Is(err, sdk.ErrConflict):
		return &cliError{msg: "a TOTP factor is already on: remove it first (blindvault mfa remove CODE)", err: err}
	}
	return friendly(err)
}
