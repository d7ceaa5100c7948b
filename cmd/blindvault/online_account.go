package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/blindvault/blindvault/sdk"
)

// accountView is what register, login and whoami report.
type accountView struct {
	Handle       string `json:"handle"`
	AccountID    string `json:"account_id"`
	Fingerprint  string `json:"fingerprint"`
	Role         string `json:"role"`
	Server       string `json:"server"`
	Home         string `json:"home"`
	RecoveryCode string `json:"recovery_code,omitempty"`
}

func viewOf(c *sdk.Client, home string) accountView {
	acct := c.AccountID()
	return accountView{Handle: c.Handle(), AccountID: hex.EncodeToString(acct[:]), Fingerprint: c.Card().Fingerprint().String(),
		Role: c.Role(), Server: c.Server(), Home: home}
}

func (v accountView) print(s stdio) {
	fmt.Fprintf(s.out, "Account:     %s\nFingerprint: %s\nRole:        %s\nServer:      %s\nProfile:     %s\n",
		v.AccountID, v.Fingerprint, v.Role, v.Server, v.Home)
}

var roles = []string{"patient", "clinician", "service", "admin"}

// enrolFlags are the flags of the commands that bring an account into an
// empty profile directory: register and login.
type enrolFlags struct{ server, name, logKey *string }

func addEnrolFlags(fs *flag.FlagSet, serverHelp, nameHelp string) enrolFlags {
	return enrolFlags{
		server: fs.String("server", "", serverHelp),
		name:   fs.String("name", "", nameHelp),
		logKey: fs.String("log-key", "", "pin the server's transparency-log `key`, as `blindvault serve` prints it (default: trust the server's on first use)"),
	}
}

// prepare checks the server's URL and that the profile directory is empty.
func (e enrolFlags) prepare(o *onlineFlags) (base, home string, err error) {
	if base, err = checkServerURL(*e.server); err != nil {
		return "", "", err
	}
	if home, err = o.homeDir(); err != nil {
		return "", "", err
	}
	return base, home, requireEmptyHome(home)
}

// config is the SDK configuration of a new profile in storage.
func (e enrolFlags) config(base string, storage sdk.Storage) sdk.Config {
	return sdk.Config{Server: base, Storage: storage, Transport: newProgressTransport(base), LogKey: *e.logKey}
}

func runRegister(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("register", flag.ContinueOnError)
	o := addOnlineFlags(fs, false)
	ef := addEnrolFlags(fs, "the server's `URL`, such as https://vault.example", "your `handle` on the server")
	role := fs.String("role", "patient", "account `role`: "+strings.Join(roles, ", ")+" (all but patient need an --invite)")
	invite := fs.String("invite", "", "invite `code` from an admin (the first admin's is in the server's DATA/bootstrap-invite)")
	fs.StringVar(&o.passFile, "passphrase-file", "", "read the new passphrase from this `file` (default: $"+passFileEnv+", or ask twice on the terminal)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || *ef.server == "" || *ef.name == "" {
		return usagef("usage: blindvault register --server URL --name NAME [--role patient|clinician|service|admin] [--invite CODE] [--passphrase-file F]")
	}
	if !slices.Contains(roles, *role) {
		return usagef("--role %q: want one of %s", *role, strings.Join(roles, ", "))
	}
	base, home, err := ef.prepare(o)
	if err != nil {
		return err
	}
	var pass []byte
	if *role == "service" {
		if o.passFile != "" {
			return usagef("a service account has no passphrase: its keys are kept unencrypted (mode 0600) in the profile directory, and its recovery code restores it elsewhere")
		}
	} else {
		if pass, err = confirmPassphrase(o.passphraseFile()); err != nil {
			return err
		}
		defer clear(pass)
	}
	c, err := sdk.Connect(ctx, ef.config(base, sdk.DirStorage(home)))
	if err != nil {
		return friendly(err)
	}
	reg, err := c.Register(ctx, &sdk.RegisterOptions{Handle: *ef.name, Role: *role, Invite: *invite, Passphrase: pass})
	if err != nil {
		return friendly(err)
	}
	defer c.Logout(context.WithoutCancel(ctx))
	v := viewOf(c, home)
	if o.json {
		v.RecoveryCode = reg.RecoveryCode
		return printJSON(s.out, v)
	}
	fmt.Fprintf(s.out, "Registered %s (%s).\n", clean(v.Handle), v.Role)
	v.print(s)
	fmt.Fprintf(s.out, "\nRecovery code. Write this down now and keep it somewhere safe: it is shown once and stored nowhere.\n"+
		"It restores the account on a new device (blindvault login --recovery-code) if the passphrase is lost.\n%s\n", reg.RecoveryCode)
	return nil
}

func runLogin(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("login", flag.ContinueOnError)
	o := addOnlineFlags(fs, false)
	ef := addEnrolFlags(fs, "the server's `URL`", "the account's `handle`")
	fs.StringVar(&o.passFile, "passphrase-file", "", "read the account's passphrase from this `file` (with --recovery-code: the new passphrase for this device's keys) (default: $"+passFileEnv+", or ask on the terminal)")
	code := fs.String("recovery-code", "", "log in with the recovery `code` instead of the passphrase")
	codeFile := fs.String("recovery-code-file", "", "read the recovery code from this `file`")
	noPass := fs.Bool("no-passphrase", false, "with the recovery code of a service account: keep its keys unencrypted (mode 0600)")
	otp := fs.String("otp", "", "a current `code` from the account's authenticator, if it has a second factor (not needed with --recovery-code)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || *ef.server == "" || *ef.name == "" {
		return usagef("usage: blindvault login --server URL --name NAME [--passphrase-file F [--otp CODE] | --recovery-code CODE]")
	}
	if *codeFile != "" {
		if *code != "" {
			return usagef("--recovery-code and --recovery-code-file exclude each other")
		}
		b, err := readSmallFile(*codeFile)
		if err != nil {
			return err
		}
		*code = strings.TrimSpace(string(b))
	}
	if *noPass && *code == "" {
		return usagef("--no-passphrase goes with --recovery-code: a service account logs in with its recovery code")
	}
	if *noPass && o.passFile != "" {
		return usagef("--no-passphrase and --passphrase-file exclude each other")
	}
	base, home, err := ef.prepare(o)
	if err != nil {
		return err
	}
	var pass []byte
	switch {
	case *noPass:
	case *code != "":
		// The recovery code opens the backup; the passphrase protects this device.
		pass, err = confirmPassphrase(o.passphraseFile())
	default:
		pass, err = passphraseSource(o.passphraseFile(), "Passphrase for "+*ef.name+": ")()
	}
	if err != nil {
		return err
	}
	defer clear(pass)
	staged := &stagedStorage{dir: sdk.DirStorage(home)}
	c, err := sdk.Connect(ctx, ef.config(base, staged))
	if err != nil {
		return friendly(err)
	}
	if _, err := c.Login(ctx, &sdk.LoginOptions{Handle: *ef.name, Passphrase: pass, RecoveryCode: *code, OTP: *otp}); err != nil {
		// Every wrong guess here was checked by the server, which counts it
		// toward its lockout; the SDK reports any refused backup release as a
		// wrong passphrase.
		switch {
		case errors.Is(err, sdk.ErrWrongRecoveryCode), *code != "" && errors.Is(err, sdk.ErrWrongPassphrase):
			return &cliError{msg: "wrong recovery code (failed attempts count toward the server's lockout)", err: err}
		case errors.Is(err, sdk.ErrWrongPassphrase):
			return &cliError{msg: "wrong passphrase (failed attempts count toward the server's lockout)", err: err}
		case errors.Is(err, sdk.ErrSecondFactor) && *otp == "":
			return &cliError{msg: "this account has a second factor: give a current code with --otp CODE, " +
				"or log in with --recovery-code if the authenticator is lost", err: err}
		case errors.Is(err, sdk.ErrSecondFactor):
			return &cliError{msg: "the one-time code is wrong or was already used: wait for the next one and try again " +
				"(wrong codes count toward a lockout), or log in with --recovery-code if the authenticator is lost", err: err}
		}
		return noAccount(err, *ef.name, base)
	}
	defer c.Logout(context.WithoutCancel(ctx))
	if *noPass && c.Role() != "service" {
		return fmt.Errorf("%s is a %s account: its keys must be protected by a passphrase on this device; log in again without --no-passphrase (nothing was saved)",
			clean(c.Handle()), c.Role())
	}
	if err := staged.commit(ctx); err != nil {
		return err
	}
	v := viewOf(c, home)
	if o.json {
		return printJSON(s.out, v)
	}
	fmt.Fprintf(s.out, "Logged in as %s on this device.\n", clean(v.Handle))
	v.print(s)
	return nil
}

func runWhoami(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("whoami", flag.ContinueOnError)
	o := addOnlineFlags(fs, true)
	_, c, err := start(ctx, fs, o, args, func(pos []string) error {
		if len(pos) != 0 {
			return usagef("usage: blindvault whoami [--home DIR] [--json]")
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer c.Logout(context.WithoutCancel(ctx))
	v := viewOf(c.Client, c.home)
	if o.json {
		return printJSON(s.out, v)
	}
	fmt.Fprintf(s.out, "Handle:      %s\n", clean(v.Handle))
	v.print(s)
	return nil
}

// contactView is another account as this device verified it.
type contactView struct {
	Handle      string           `json:"handle"`
	AccountID   string           `json:"account_id"`
	Fingerprint string           `json:"fingerprint"`
	Status      string           `json:"status"`
	FirstUse    bool             `json:"first_use"`
	Attestation *attestationView `json:"attestation,omitempty"`
}

type attestationView struct {
	Role     string    `json:"role"`
	Org      string    `json:"org"`
	NotAfter time.Time `json:"not_after"`
}

func contactOf(ct *sdk.Contact) contactView {
	v := contactView{Handle: ct.Handle, AccountID: hex.EncodeToString(ct.AccountID[:]), Fingerprint: ct.Fingerprint.String(),
		Status: ct.Status(), FirstUse: ct.FirstUse}
	if a := ct.Attestation; a != nil {
		v.Attestation = &attestationView{a.Role, a.Org, a.NotAfter.UTC()}
	}
	return v
}

func runLookup(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("lookup", flag.ContinueOnError)
	o := addOnlineFlags(fs, true)
	fp := fs.String("fingerprint", "", "require this `fingerprint`, compared out of band")
	role := fs.String("role", "", "require a verified attestation of this `role`")
	pos, c, err := start(ctx, fs, o, args, func(pos []string) error {
		if len(pos) != 1 {
			return usagef("usage: blindvault lookup NAME [--fingerprint FP] [--role ROLE]")
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer c.Logout(context.WithoutCancel(ctx))
	ct, err := c.Lookup(ctx, pos[0], &sdk.LookupOptions{Fingerprint: *fp, Role: *role})
	if err != nil {
		return noAccount(err, pos[0], c.Server())
	}
	firstUseWarning(s.err, ct)
	v := contactOf(ct)
	if o.json {
		return printJSON(s.out, v)
	}
	fmt.Fprintf(s.out, "Handle:      %s\nAccount:     %s\nFingerprint: %s\nStatus:      %s\n", clean(v.Handle), v.AccountID, v.Fingerprint, clean(v.Status))
	return nil
}

func runTrustOrg(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("trust-org", flag.ContinueOnError)
	o := addOnlineFlags(fs, true)
	admin := fs.String("admin", "", "the `handle` of the organisation's admin")
	fp := fs.String("fingerprint", "", "the admin's `fingerprint`, compared out of band")
	pos, c, err := start(ctx, fs, o, args, func(pos []string) error {
		if len(pos) != 1 || *admin == "" || *fp == "" {
			return usagef("usage: blindvault trust-org ORG --admin NAME --fingerprint FP")
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer c.Logout(context.WithoutCancel(ctx))
	if err := c.TrustOrg(ctx, pos[0], *admin, *fp); err != nil {
		return noAccount(err, *admin, c.Server())
	}
	if o.json {
		return printJSON(s.out, map[string]string{"org": pos[0], "admin": *admin, "fingerprint": *fp})
	}
	fmt.Fprintf(s.out, "Trusting %s as the admin of %q: the roles it attests for %q now show as verified.\n",
		clean(*admin), clean(pos[0]), clean(pos[0]))
	return nil
}

func runAdmin(ctx context.Context, args []string, s stdio) error {
	const use = "usage: blindvault admin invite --role ROLE [--ttl D] | blindvault admin attest NAME --role ROLE [--org ORG] [--valid D]"
	if len(args) == 0 {
		return usagef(use)
	}
	switch args[0] {
	case "invite":
		return adminInvite(ctx, args[1:], s)
	case "attest":
		return adminAttest(ctx, args[1:], s)
	case "-h", "-help", "--help":
		fmt.Fprintln(s.err, use)
		return flag.ErrHelp
	}
	return usagef("unknown admin command %q; %s", args[0], use)
}

func adminInvite(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("admin invite", flag.ContinueOnError)
	o := addOnlineFlags(fs, true)
	role := fs.String("role", "", "the `role` the invited account gets: "+strings.Join(roles, ", "))
	ttl := fs.Duration("ttl", 0, "how long the invite stays valid, such as 72h (default: the server's)")
	_, c, err := start(ctx, fs, o, args, func(pos []string) error {
		if len(pos) != 0 || *role == "" {
			return usagef("usage: blindvault admin invite --role ROLE [--ttl D]")
		}
		if *ttl < 0 {
			return usagef("--ttl must be positive")
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer c.Logout(context.WithoutCancel(ctx))
	code, err := c.Invite(ctx, *role, *ttl)
	if err != nil {
		return friendly(err)
	}
	if o.json {
		return printJSON(s.out, map[string]string{"code": code, "role": *role})
	}
	fmt.Fprintf(s.err, "Invite for one %s account (the server shows it only now):\n", *role)
	fmt.Fprintln(s.out, code)
	return nil
}

func adminAttest(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("admin attest", flag.ContinueOnError)
	o := addOnlineFlags(fs, true)
	role := fs.String("role", "", "the `role` to attest, such as clinician")
	org := fs.String("org", "", "the `organisation` (default: the server URL's host)")
	valid := fs.Duration("valid", 365*24*time.Hour, "how long the attestation is valid")
	pos, c, err := start(ctx, fs, o, args, func(pos []string) error {
		if len(pos) != 1 || *role == "" {
			return usagef("usage: blindvault admin attest NAME --role ROLE [--org ORG] [--valid D]")
		}
		if *valid <= 0 {
			return usagef("--valid must be positive")
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer c.Logout(context.WithoutCancel(ctx))
	if *org == "" {
		u, err := url.Parse(c.Server())
		if err != nil || u.Host == "" {
			return fmt.Errorf("no --org given, and the profile's server %q names no host", c.Server())
		}
		*org = u.Host
	}
	ct, err := c.Attest(ctx, pos[0], *role, *org, *valid)
	if err != nil {
		return noAccount(err, pos[0], c.Server())
	}
	firstUseWarning(s.err, ct)
	until := time.Now().Add(*valid).UTC().Truncate(time.Second)
	if o.json {
		return printJSON(s.out, map[string]any{"handle": ct.Handle, "fingerprint": ct.Fingerprint.String(),
			"role": *role, "org": *org, "not_after": until})
	}
	fmt.Fprintf(s.out, "Attested %s (%s) as %s of %s, valid until %s.\n",
		clean(ct.Handle), ct.Fingerprint, clean(*role), clean(*org), until.Format(time.DateOnly))
	return nil
}
