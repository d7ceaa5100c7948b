package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode"

	"github.com/blindvault/blindvault/sdk"
)

// The online commands keep one account per profile directory: --home DIR, or
// $BLINDVAULT_HOME, or ~/.blindvault. The directory holds the SDK's profile
// (profile.json: server, account, pins; keys: the private keys, encrypted under
// the passphrase unless the account is a service account).

const (
	homeEnv     = "BLINDVAULT_HOME"
	passFileEnv = "BLINDVAULT_PASSPHRASE_FILE"
	// profileFile is the SDK's public profile file in the home directory; the
	// CLI reads its server field before connecting (to build the transport)
	// and uses its presence to tell an empty home from one holding an account.
	profileFile = "profile.json"
)

// onlineFlags are the flags every online command takes.
type onlineFlags struct {
	home      string
	passFile  string
	json      bool
	witnesses listFlag // URL=KEY, for the commands that read the log
}

// addWitnessFlag registers --witness on a command that reads the log.
func (o *onlineFlags) addWitnessFlag(fs *flag.FlagSet) {
	fs.Var(&o.witnesses, "witness", "require a cosignature of the log's checkpoint from the witness `URL=KEY` (repeatable)")
}

// witnessConfig parses the --witness flags.
func (o *onlineFlags) witnessConfig() ([]sdk.Witness, error) {
	var out []sdk.Witness
	for _, w := range o.witnesses {
		u, k, ok := strings.Cut(w, "=")
		if !ok || u == "" || k == "" {
			return nil, usagef("--witness %q: want URL=KEY", w)
		}
		out = append(out, sdk.Witness{URL: u, Key: k})
	}
	return out, nil
}

// addOnlineFlags registers --home and --json, and --passphrase-file unless the
// command sets its own.
func addOnlineFlags(fs *flag.FlagSet, withPass bool) *onlineFlags {
	o := &onlineFlags{}
	fs.StringVar(&o.home, "home", "", "profile `directory` (default: $"+homeEnv+", or ~/.blindvault)")
	fs.BoolVar(&o.json, "json", false, "machine-readable JSON output")
	if withPass {
		fs.StringVar(&o.passFile, "passphrase-file", "", "read the passphrase that unlocks the profile keys from this `file` (default: $"+passFileEnv+", or ask on the terminal)")
	}
	return o
}

// homeDir resolves the profile directory.
func (o *onlineFlags) homeDir() (string, error) {
	h := o.home
	if h == "" {
		h = os.Getenv(homeEnv)
	}
	if h == "" {
		u, err := os.UserHomeDir()
		if err != nil {
			return "", usagef("no home directory (%v): use --home DIR or set %s", err, homeEnv)
		}
		h = filepath.Join(u, ".blindvault")
	}
	return filepath.Abs(h)
}

// passphraseFile is --passphrase-file, else $BLINDVAULT_PASSPHRASE_FILE.
func (o *onlineFlags) passphraseFile() string {
	if o.passFile != "" {
		return o.passFile
	}
	return os.Getenv(passFileEnv)
}

// storedProfile is the part of the SDK's profile.json the CLI needs.
type storedProfile struct {
	Server string `json:"server"`
	Handle string `json:"handle"`
	Role   string `json:"role"`
}

// readProfile reads home's profile; it matches fs.ErrNotExist if home holds no
// account.
func readProfile(home string) (*storedProfile, error) {
	data, err := os.ReadFile(filepath.Join(home, profileFile))
	if err != nil {
		return nil, err
	}
	var p storedProfile
	if err := json.Unmarshal(data, &p); err != nil || p.Server == "" {
		return nil, fmt.Errorf("%s: not a blindvault profile", filepath.Join(home, profileFile))
	}
	return &p, nil
}

// requireEmptyHome refuses to register or log in over an existing account.
func requireEmptyHome(home string) error {
	p, err := readProfile(home)
	switch {
	case err == nil:
		return fmt.Errorf("%s already holds the account %q on %s: use another --home (or %s) for another account",
			home, clean(p.Handle), p.Server, homeEnv)
	case errors.Is(err, fs.ErrNotExist):
		return nil
	default:
		return err
	}
}

// session is an unlocked profile, logged in to its server.
type session struct {
	*sdk.Client
	home string
	tr   *progressTransport
}

// connect opens the account in the profile directory, asking for the
// passphrase only if its keys are encrypted.
func connect(ctx context.Context, o *onlineFlags) (*session, error) {
	home, err := o.homeDir()
	if err != nil {
		return nil, err
	}
	p, err := readProfile(home)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no account in %s: run 'blindvault register' or 'blindvault login' first (or choose the profile with --home or %s)", home, homeEnv)
	}
	if err != nil {
		return nil, err
	}
	witnesses, err := o.witnessConfig()
	if err != nil {
		return nil, err
	}
	tr := newProgressTransport(p.Server)
	c, err := sdk.Connect(ctx, sdk.Config{Storage: sdk.DirStorage(home), Transport: tr,
		Passphrase: passphraseSource(o.passphraseFile(), "Passphrase for "+home+": "),
		Witnesses:  witnesses, WitnessQuorum: len(witnesses)})
	if err != nil {
		return nil, connectError(err, home)
	}
	return &session{Client: c, home: home, tr: tr}, nil
}

// connectError says a failure to open the profile in home. Its keys are
// opened before anything is sent to the server, so a key file that does not
// parse or asks for unsafe settings was changed on this device.
func connectError(err error, home string) error {
	switch {
	case errors.Is(err, sdk.ErrWrongPassphrase):
		return &cliError{msg: fmt.Sprintf("wrong passphrase: it does not unlock the keys in %s", home), err: err}
	case errors.Is(err, sdk.CheckWeakParams), errors.Is(err, sdk.CheckExcessiveParams):
		return &cliError{err: err, detail: true,
			msg:   fmt.Sprintf("SECURITY: the keys in %s ask for unsafe protection settings: the file was changed or damaged on this device.", home),
			means: "The keys were not opened, and nothing was sent to the server.",
			next: "What to do: if you did not change the file, someone with access to this device may have. " +
				"Log in again into a new profile directory (blindvault login --home DIR) and stop using this one."}
	}
	if te := tamperingError(err); te != nil && !sdk.ServerMisbehaved(err) && !errors.Is(err, sdk.ErrUnreachable) {
		te.msg = fmt.Sprintf("SECURITY: the profile in %s, or the server's answer while signing in, did not pass this device's checks."+
			" The file may have been changed or damaged on this device, or the server may be tampering with your data.", home)
		te.means = "Nothing was used."
		te.next = "What to do: try again. If it happens again, log in again into a new profile directory (blindvault login --home DIR), " +
			"and if that fails too, contact the server's operator and show them this message."
		return te
	}
	return friendly(err)
}

// start parses a command's flags, lets check refuse its positional
// arguments (before any passphrase is asked), and opens the profile's
// account. The caller logs out when done.
func start(ctx context.Context, fs *flag.FlagSet, o *onlineFlags, args []string, check func(pos []string) error) ([]string, *session, error) {
	pos, err := parseFlags(fs, args)
	if err != nil {
		return nil, nil, err
	}
	if err := check(pos); err != nil {
		return nil, nil, err
	}
	c, err := connect(ctx, o)
	if err != nil {
		return nil, nil, err
	}
	return pos, c, nil
}

// checkServerURL accepts http(s)://host[:port][/path] and warns about nothing:
// the server refuses plain HTTP off loopback itself.
func checkServerURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", usagef("--server %q: want a URL such as https://vault.example", s)
	}
	return strings.TrimRight(s, "/"), nil
}

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// clean makes a string from the server or another account safe to print on a
// terminal: control characters (escape sequences, newlines) and bidirectional
// overrides become U+FFFD.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return '\uFFFD'
		}
		return r
	}, s)
}

// firstUseWarning is printed when this device pins an account for the first time.
func firstUseWarning(w io.Writer, ct *sdk.Contact) {
	if !ct.FirstUse {
		return
	}
	fmt.Fprintf(w, "Warning: first contact with %s on this device. Compare the fingerprint\n  %s\n"+
		"with %s out of band (in person or by phone) before trusting it; it is pinned from now on.\n",
		clean(ct.Handle), ct.Fingerprint, clean(ct.Handle))
}

// cliError is an SDK error said in the user's terms; it still matches the SDK
// error with errors.Is. msg says what happened; a failure that needs more says
// what it means for the user (means) and what to do next (next), and keeps the
// SDK's own words on a last line for support (detail). The first word of msg
// is stable for scripts: "SECURITY:" for every failure that can mean the server
// tampered with data (the exit code stays 1, as for every failure).
type cliError struct {
	msg    string
	err    error
	means  string
	next   string
	detail bool
}

func (e *cliError) Error() string {
	var b strings.Builder
	b.WriteString(e.msg)
	for _, s := range []string{e.means, e.next} {
		if s != "" {
			b.WriteString("\n" + s)
		}
	}
	if e.detail && e.err != nil {
		b.WriteString("\nTechnical detail (for support): " + clean(e.err.Error()))
	}
	return b.String()
}

func (e *cliError) Unwrap() error { return e.err }

// The parts of a message about an answer that failed verification.
const (
	// maybeTampering follows what happened when the cause may be the server
	// or damage in transit.
	maybeTampering = " The server, or something between it and you, may be tampering with your data, or the data was damaged on its way to this device."
	// tamperingOnly follows what happened when damage cannot explain it.
	tamperingOnly = " The server, or something between it and you, may be tampering with your data."
	nothingUsed   = "Nothing from that answer was used, and your data on this device is unchanged."
	retryOrReport = "What to do: try again. If it happens again, contact the server's operator and show them this message."
)

// tamperingError says err, which can mean the server tampered with data, in
// the user's words, or returns nil if err cannot mean that. The words for each
// failed check are the SDK's (sdk.Check.Explain); this adds the warning and
// what to do.
func tamperingError(err error) *cliError {
	e := &cliError{err: err, means: nothingUsed, next: retryOrReport, detail: true}
	var check sdk.Check
	switch {
	case errors.As(err, &check) && !personalCheck[check]:
		e.msg = "SECURITY: " + check.Explain()
		switch {
		case check == sdk.CheckUnexpectedKey: // says who may be at fault
		case check.DamageCanExplain():
			e.msg += maybeTampering
		default:
			e.msg += tamperingOnly
		}
	case errors.Is(err, sdk.ErrInvalid), errors.Is(err, sdk.ErrUnsupported):
		e.msg = "SECURITY: data from the server did not pass this device's checks." + maybeTampering
	default:
		return nil
	}
	return e
}

// personalCheck are the checks whose failure is about whom the user expects,
// not about the server's honesty: they get their own words.
var personalCheck = map[sdk.Check]bool{sdk.CheckKeyUnverified: true, sdk.CheckStale: true, sdk.CheckSignerMismatch: true}

// friendly rewords an SDK error for a person at a terminal.
func friendly(err error) error {
	if err == nil {
		return nil
	}
	var ce *cliError
	var ue usageError
	if errors.As(err, &ce) || errors.As(err, &ue) || errors.Is(err, flag.ErrHelp) {
		return err
	}
	say := func(format string, a ...any) error { return &cliError{msg: fmt.Sprintf(format, a...), err: err} }
	var ae *sdk.APIError
	isAPI := errors.As(err, &ae)
	if te := tamperingError(err); te != nil && !errors.Is(err, sdk.ErrUnreachable) {
		return te
	}
	switch {
	case errors.Is(err, sdk.ErrWrongPassphrase):
		return say("wrong passphrase")
	case errors.Is(err, sdk.ErrWrongRecoveryCode):
		return say("wrong recovery code")
	case errors.Is(err, sdk.ErrWeakPassphrase):
		return say("%v", sdk.ErrWeakPassphrase)
	case errors.Is(err, sdk.CheckKeyUnverified):
		return &cliError{err: err, detail: true,
			msg: "the account's key did not check out: it is not the key this device knows for that account, " +
				"or not the fingerprint or role you asked for, or its signatures do not verify.",
			means: "Nothing was shared or trusted.",
			next: "What to do: if the account's owner says their key changed, compare the new fingerprint with them " +
				"in person or by phone. Otherwise the server may be offering a substitute key: contact the server's operator and show them this message."}
	case errors.Is(err, sdk.ErrRevoked):
		return say("the owner revoked your access to this record")
	case errors.Is(err, sdk.ErrDeleted):
		return say("the record was deleted by its owner")
	case errors.Is(err, sdk.ErrNotRecipient):
		return say("this account holds no key for the record's current version: it was not shared with you, or your access was revoked")
	case isAPI && ae.Status == 503:
		return &cliError{msg: fmt.Sprintf("the server failed (%s): its storage is unavailable just now", apiMessage(ae)), err: err,
			next: "What to do: try again in a minute. If you were saving a change, check whether it was saved before making it again."}
	case errors.Is(err, sdk.ErrUnreachable):
		var ue *url.Error
		why := err
		if errors.As(err, &ue) {
			why = ue.Err
		}
		return &cliError{msg: fmt.Sprintf("cannot reach the server: %s", clean(why.Error())), err: err,
			next: "What to do: check your network connection and try again."}
	case errors.Is(err, sdk.ErrRateLimited):
		return say("the server is rate limiting this client (or locked out failed attempts): wait a while and try again")
	case errors.Is(err, sdk.ErrNoProfile):
		return say("no account in this profile: run 'blindvault register' or 'blindvault login' first")
	case isAPI && (ae.Status == 401 || ae.Status == 403):
		return say("the server refused: this account is not allowed to do that (%s)", apiMessage(ae))
	case errors.Is(err, sdk.ErrNotFound):
		return say("not found: no such record or account, or it is not shared with you")
	case isAPI && ae.Status >= 500:
		return &cliError{msg: fmt.Sprintf("the server failed (%s)", apiMessage(ae)), err: err,
			next: "What to do: try again later. If it keeps failing, contact the server's operator."}
	case isAPI:
		return say("the server refused: %s", apiMessage(ae))
	}
	return err
}

func apiMessage(ae *sdk.APIError) string {
	if ae.Message == "" {
		return fmt.Sprintf("HTTP %d", ae.Status)
	}
	return clean(ae.Message)
}

// recordID parses a record id argument.
func recordID(s string) ([32]byte, error) {
	id, err := sdk.ParseRecordID(strings.TrimSpace(s))
	if err != nil {
		return id, usagef("%q is not a record id (64 hex digits, as 'blindvault ls' shows)", s)
	}
	return id, nil
}

// stagedStorage keeps a new profile in memory until commit writes it to the
// directory, so a failed login leaves nothing half-written behind.
type stagedStorage struct {
	dir   sdk.DirStorage
	files map[string][]byte
}

func (s *stagedStorage) Load(ctx context.Context, name string) ([]byte, error) {
	if b, ok := s.files[name]; ok {
		return append([]byte(nil), b...), nil
	}
	return s.dir.Load(ctx, name)
}

func (s *stagedStorage) Save(_ context.Context, name string, data []byte) error {
	if s.files == nil {
		s.files = map[string][]byte{}
	}
	s.files[name] = append([]byte(nil), data...)
	return nil
}

// commit writes the staged files, the profile last: its presence marks the
// directory as holding an account.
func (s *stagedStorage) commit(ctx context.Context) error {
	names := make([]string, 0, len(s.files))
	for n := range s.files {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if (names[i] == profileFile) != (names[j] == profileFile) {
			return names[j] == profileFile
		}
		return names[i] < names[j]
	})
	for _, n := range names {
		if err := s.dir.Save(ctx, n, s.files[n]); err != nil {
			return err
		}
	}
	return nil
}

// notFoundAs rewords a "not found" (and nothing more specific) as msg.
func notFoundAs(err error, format string, a ...any) error {
	if plainNotFound(err) {
		return &cliError{msg: fmt.Sprintf(format, a...), err: err}
	}
	return friendly(err)
}

// plainNotFound reports whether err is a "not found" and nothing more
// specific: no revocation, deletion, unverified key or sign of tampering.
func plainNotFound(err error) bool {
	var ce *cliError
	if errors.As(err, &ce) && ce.err != nil {
		err = ce.err
	}
	return errors.Is(err, sdk.ErrNotFound) && !errors.Is(err, sdk.ErrRevoked) && !errors.Is(err, sdk.ErrDeleted) &&
		!errors.Is(err, sdk.CheckKeyUnverified) && tamperingError(err) == nil
}

// noAccount says a not-found error as "no account named handle on server".
func noAccount(err error, handle, server string) error {
	return notFoundAs(err, "no account named %q on %s", clean(handle), server)
}
