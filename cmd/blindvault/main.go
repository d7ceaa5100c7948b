// Command blindvault encrypts, shares and stores records so that the server that
// holds them cannot read them.
//
// Offline, like age:
//
//	blindvault keygen -o alice.key [--name alice] [--passphrase-file F]
//	blindvault pubkey alice.key > alice.card
//	blindvault encrypt -i alice.key -r bob.card [-o OUT] [IN]
//	blindvault decrypt -i bob.key [--signer alice.card] [-o OUT] [IN]
//	blindvault inspect FILE
//
// Online, with one account per profile directory (--home DIR, or
// $BLINDVAULT_HOME, or ~/.blindvault) and the passphrase that unlocks it from
// --passphrase-file F, $BLINDVAULT_PASSPHRASE_FILE, or the terminal:
//
//	blindvault serve --data DIR --addr HOST:PORT (--tls-cert F --tls-key F | --dev-tls | --insecure-http)
//	blindvault register --server URL --name N [--role patient|clinician|service|admin] [--invite CODE]
//	blindvault login --server URL --name N [--passphrase-file F | --recovery-code CODE]
//	blindvault whoami
//	blindvault put [FILE|-] [--type T] [--title T] [--tag T…] [--update ID]
//	blindvault get ID [-o OUT]
//	blindvault ls
//	blindvault share ID --with NAME [--history] [--write] [--fingerprint FP] [--role R]
//	blindvault share ID --team ORG/NAME [--history]
//	blindvault share (ID ID… | --all) --with NAME [--history] [--write] [--fingerprint FP] [--role R]
//	blindvault revoke ID --from NAME | --team ORG/NAME
//	blindvault rm ID
//	blindvault lookup NAME
//	blindvault trust-org ORG --admin NAME --fingerprint FP
//	blindvault team create NAME [--org ORG] [--history] | add TEAM NAME | remove TEAM NAME | ls | show TEAM
//	blindvault collection create NAME [--type T] [--tag T] | add NAME ID… | share NAME --with NAME|--team TEAM | ls
//	blindvault restrict ID… | unrestrict ID…
//	blindvault amend request ID --text T | answer REQUEST --amended|--refused | disagree REQUEST --text T | ls ID
//	blindvault admin invite --role R [--ttl D]
//	blindvault admin attest NAME --role R [--org ORG] [--valid D]
//	blindvault audit [ID] [--witness URL=KEY]
//	blindvault log verify [--witness URL=KEY]
//	blindvault export DIR | --fhir FILE | --pdf FILE
//	blindvault import BUNDLE.json
//	blindvault transfer --to URL [--to-home DIR] [--invite CODE] | --resume
//
// Operators also run:
//
//	blindvault rotate-master-key --data DIR [--master-key-file OLD] --new-master-key-file NEW
//	blindvault migrate --from DIR --to postgres://… [--blobs s3://BUCKET?endpoint=…]
//	blindvault witness --data DIR --log-key KEY [--addr HOST:PORT] [--name NAME]
//
// Every online command takes --json for machine-readable output; plain output
// puts the one value a script needs (a record id, an invite code) alone on the
// last line of stdout. Errors go to stderr, exit 1 (2 for a mistake in the
// command line); one that can mean the server tampered with data starts with
// "SECURITY:". "get -o OUT" creates OUT only after every check passed; without
// -o, get prints the record as it is verified, and if it then fails, what it
// printed is incomplete and must be discarded.
//
// And "blindvault demo" tells the whole story in a few seconds.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// command is one subcommand: its name, its one-line summary and its entry point.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, s stdio) error
}

// stdio is where a command writes: results to out, messages to err.
type stdio struct{ out, err io.Writer }

// commandGroup is a heading of the usage text and the commands under it.
type commandGroup struct {
	title    string
	commands []command
}

// commands is the command table, in the order the usage text lists it.
var commands = []commandGroup{
	{"Offline, on files", []command{
		{"keygen", "generate an identity key file", runKeygen},
		{"pubkey", "print the key card of an identity", runPubkey},
		{"encrypt", "encrypt a file to key cards, signed by an identity", runEncrypt},
		{"decrypt", "decrypt and verify a record file", runDecrypt},
		{"inspect", "show a record file's signed header as JSON (no secrets)", runInspect},
	}},
	{"Online, with this profile's account", []command{
		{"register", "create an account on a server (this profile's identity)", runRegister},
		{"login", "log in to an existing account on this device", runLogin},
		{"whoami", "show this profile's account", runWhoami},
		{"put", "encrypt a file on this device and store it as a record", runPut},
		{"get", "fetch, verify and decrypt a record", runGet},
		{"ls", "list your records and those shared with you", runLs},
		{"share", "give another account access to a record", runShare},
		{"revoke", "withdraw an account's access to a record", runRevoke},
		{"readers", "show who can read a record now", runReaders},
		{"rm", "delete a record", runRm},
		{"lookup", "find and verify an account's key card", runLookup},
		{"trust-org", "trust an organisation admin's role attestations", runTrustOrg},
		{"team", "care teams: create NAME, add|remove TEAM NAME, ls, show TEAM", runTeam},
		{"collection", "collections of your records: create, add, remove, share, revoke, ls", runCollection},
		{"restrict", "restrict records: out of every collection and team share, and kept out", runRestrict},
		{"amend", "the right to correct: request, answer, disagree, ls", runAmend},
		{"unrestrict", "lift the restriction of records", runUnrestrict},
		{"emergency", "emergency access and threshold keys: setup, share, request, approve, refuse, status, open", runEmergency},
		{"admin", "admin tasks: invite ROLE, attest NAME", runAdmin},
		{"mfa", "second factor: enroll totp, confirm CODE, ls, remove CODE", runMFA},
		{"devices", "list this account's devices; devices revoke NAME ends one", runDevices},
		{"account", "account delete: schedule this account's deletion; account restore: cancel it", runAccount},
		{"alerts", "what the verified log shows since the last look: bulk reads, guesses, new devices", runAlerts},
		{"audit", "show who wrote, read, shared or revoked your records, from the verified log", runAudit},
		{"export", "decrypt every record you own or read into a new directory; --fhir FILE: one FHIR R4 Bundle; --pdf FILE: a printable summary", runExport},
		{"transfer", "move your account and every record you own to another server; the old one keeps a signed pointer", runTransfer},
		{"import", "store the resources of a FHIR R4 Bundle as your records (skips those imported before)", runImport},
		{"log", "log verify: read the transparency log since last time, check it against the checkpoints seen and this account's chain against it", runLog},
	}},
	{"Operators", []command{
		{"serve", "run the blind storage server", runServe},
		{"witness", "run a transparency-log witness that cosigns consistent checkpoints", runWitness},
		{"rotate-master-key", "re-encrypt the server's keyset under a new master key", runRotateMasterKey},
		{"migrate", "copy a bbolt deployment into PostgreSQL (bodies into S3 with --blobs) and prove the copy", runMigrate},
	}},
	{"And", []command{
		{"demo", "run the end-to-end demonstration", runDemo},
	}},
}

// lookup finds the command called name.
func lookup(name string) (command, bool) {
	for _, g := range commands {
		for _, c := range g.commands {
			if c.name == name {
				return c, true
			}
		}
	}
	return command{}, false
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: blindvault COMMAND [flags] [args]")
	for _, g := range commands {
		fmt.Fprintf(w, "\n%s:\n", g.title)
		for _, c := range g.commands {
			fmt.Fprintf(w, "  %-18s %s\n", c.name, c.summary)
		}
	}
	fmt.Fprintln(w, "\nRun 'blindvault COMMAND -h' for a command's flags.")
}

func main() {
	// SIGTERM is what service managers send: it gets the same graceful shutdown.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := lookup(args[0])
	if !ok {
		fmt.Fprintf(stderr, "blindvault: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	return exitCode(cmd.name, cmd.run(ctx, args[1:], stdio{stdout, stderr}), stderr)
}

// exitCode reports err of command name on stderr and returns the exit code:
// 0 for success or -h, 2 for a mistake in the command line, 1 otherwise.
func exitCode(name string, err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintf(stderr, "blindvault %s: %v\n", name, err)
	if _, ok := errors.AsType[usageError](err); ok {
		return 2
	}
	return 1
}

// usageError is a mistake in the command line rather than a failure of the work.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// parseFlags parses flags that may come before, between or after positional
// arguments ("put FILE --type T"), and returns the positionals.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(os.Stderr)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// listFlag collects a repeated flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }
