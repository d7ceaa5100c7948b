package sdk

import (
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/blindvault/blindvault/internal/auditlog"
)

// Alerts: rules over what the transparency log says happened to this
// account, computed here from the verified log, so the server cannot hide an
// alert without breaking the log (VerifyLog's checks). They are the patient's
// side of "every access is logged": someone reading far more than a visit
// needed, someone guessing the passphrase, a second factor changed, a new
// device that reads everything.

// AlertOptions are the thresholds; a zero field takes its default.
type AlertOptions struct {
	// ReadBurst: alert when one reader (another account) reads at least this
	// many of this account's records within ReadWindow. Default 50 in 5 min.
	ReadBurst  int
	ReadWindow time.Duration
	// Guesses: alert at this many backup passphrase attempts that did not
	// end in a release (OPRF evaluations, each successful release paying
	// for the latest one before it) within GuessWindow. Default 3 in 24 h.
	Guesses     int
	GuessWindow time.Duration
	// CodeFailures: alert at this many refused second-factor codes within
	// GuessWindow. Default 3.
	CodeFailures int
	// ExportBurst: alert when, within ExportWindow after a new device is
	// certified, this account reads at least this many of its own records
	// (an export from a new device). Default 20 in 1 h.
	ExportBurst  int
	ExportWindow time.Duration
	// All looks at the whole log, not only what came since the last call.
	All bool
}

// Default thresholds (docs/alerts.md).
const (
	DefaultReadBurst    = 50
	DefaultReadWindow   = 5 * time.Minute
	DefaultGuesses      = 3
	DefaultGuessWindow  = 24 * time.Hour
	DefaultCodeFailures = 3
	DefaultExportBurst  = 20
	DefaultExportWindow = time.Hour
)

func (o AlertOptions) withDefaults() AlertOptions {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defD := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.ReadBurst, DefaultReadBurst)
	defD(&o.ReadWindow, DefaultReadWindow)
	def(&o.Guesses, DefaultGuesses)
	defD(&o.GuessWindow, DefaultGuessWindow)
	def(&o.CodeFailures, DefaultCodeFailures)
	def(&o.ExportBurst, DefaultExportBurst)
	defD(&o.ExportWindow, DefaultExportWindow)
	return o
}

// Alert kinds.
const (
	AlertBulkRead       = "bulk-read"
	AlertBackupGuesses  = "backup-guesses"
	AlertCodeFailures   = "second-factor-failures"
	AlertSecondFactor   = "second-factor-change"
	AlertNewDevice      = "new-device"
	AlertNewDeviceReads = "new-device-export"
	AlertDeletion       = "account-deletion"
	// AlertEmergencyRequest: someone asked for this account's emergency (or
	// threshold) key; high severity, with the time to refuse it by.
	AlertEmergencyRequest = "emergency-request"
)

// Alert is one finding, with the time of the first entry it covers.
type Alert struct {
	Time  time.Time `json:"time"`
	Kind  string    `json:"kind"`
	Who   string    `json:"who,omitempty"` // the reader's handle, for bulk reads
	Count int       `json:"count,omitempty"`
	// Severity is "high" for an alert to act on at once (an emergency
	// request), empty otherwise.
	Severity string `json:"severity,omitempty"`
	Message  string `json:"message"`
}

// Alerts reads and checks the log and returns what the rules find in the
// entries added since the last call on this device (or in the whole log,
// with opts.All), oldest first; then it remembers where it stopped.
func (c *Client) Alerts(ctx context.Context, opts *AlertOptions) (_ []Alert, err error) {
	defer c.begin(&err)()
	if err := c.ready(); err != nil {
		return nil, err
	}
	o := AlertOptions{}
	if opts != nil {
		o = *opts
	}
	o = o.withDefaults()
	names, err := c.ownReaders(ctx)
	if err != nil {
		return nil, err
	}
	_, certs, err := c.deviceCerts(ctx)
	if err != nil {
		return nil, err
	}
	from := c.prof.AlertsFrom
	if o.All {
		from = 0
	}
	me := c.accountID()
	var ev alertEvents
	next := from
	err = c.scanLog(ctx, func(i int64, e *auditlog.Entry) {
		next = i + 1
		if i < from {
			return
		}
		at := time.Unix(int64(e.Time), 0).UTC()
		switch {
		case e.Type == auditlog.EmergencyRequest && e.Peer == me:
			ev.requests = append(ev.requests, e.Object)
		case e.Type == auditlog.BodyRead:
			who, ok := names[e.Subject][e.Actor]
			if !ok {
				if _, own := names[e.Subject]; !own {
					return // not this account's record
				}
				who = "a reader this device does not know"
			}
			ev.reads = append(ev.reads, alertRead{at, who, e.Subject})
		case e.Subject != me:
		case e.Type == auditlog.OPRFEvaluated:
			ev.guesses = append(ev.guesses, alertCount{at, 1})
		case e.Type == auditlog.BackupRelease && e.Number == 1:
			// A release pays for the latest evaluation before it: that one
			// was the passphrase, not a guess.
			for k := len(ev.guesses) - 1; k >= 0; k-- {
				if ev.guesses[k].n == 1 {
					ev.guesses[k].n = 0
					break
				}
			}
		case e.Type == auditlog.SecondFactor && e.Number == auditlog.SecondFactorFailed:
			ev.codes = append(ev.codes, at)
		case e.Type == auditlog.SecondFactor && (e.Number == auditlog.SecondFactorEnrolled || e.Number == auditlog.SecondFactorRemoved):
			what := "enrolled"
			if e.Number == auditlog.SecondFactorRemoved {
				what = "removed"
			}
			ev.alerts = append(ev.alerts, Alert{Time: at, Kind: AlertSecondFactor,
				Message: fmt.Sprintf("a second factor was %s on %s; if it was not you, log in with your recovery code and check your devices", what, at.Format(time.DateTime))})
		case e.Type == auditlog.AccountDeletion && e.Number != auditlog.AccountDeletionPurged:
			msg := "a deletion of this account was scheduled on %s; if it was not you, cancel it now (blindvault account restore) and check your devices"
			if e.Number == auditlog.AccountDeletionCancelled {
				msg = "a pending deletion of this account was cancelled on %s; if it was not you, check your devices"
			}
			ev.alerts = append(ev.alerts, Alert{Time: at, Kind: AlertDeletion, Message: fmt.Sprintf(msg, at.Format(time.DateTime))})
		case e.Type == auditlog.DeviceCertified:
			d := certs[e.Object]
			if d != nil && d.Current {
				return // this device's own enrolment
			}
			name := "unknown to the server's device list"
			if d != nil {
				name = d.Name
			}
			ev.devices = append(ev.devices, at)
			ev.alerts = append(ev.alerts, Alert{Time: at, Kind: AlertNewDevice, Who: name,
				Message: fmt.Sprintf("a new device (%s) was enrolled on %s; if it was not you, revoke it (blindvault devices revoke NAME)", name, at.Format(time.DateTime))})
		}
	})
	if err != nil {
		return nil, err
	}
	if ev.alerts, err = c.requestAlerts(ctx, ev.requests, ev.alerts); err != nil {
		return nil, err
	}
	out := ev.evaluate(o, c.prof.Handle)
	c.prof.AlertsFrom = next
	if err := c.saveProfile(ctx); err != nil {
		return nil, err
	}
	return out, nil
}

// ownReaders maps each of this account's records to the salted actor hashes
// of the people this device knows (itself included) and their handles.
func (c *Client) ownReaders(ctx context.Context) (map[[32]byte]map[[32]byte]string, error) {
	st, err := c.chainOf(ctx, c.accountID())
	if err != nil {
		return nil, err
	}
	out := map[[32]byte]map[[32]byte]string{}
	for key, r := range st.Records {
		if r.Owner != c.prof.Account || r.Profile {
			continue
		}
		id, err := hex.DecodeString(key)
		if err != nil || len(id) != 32 {
			continue
		}
		salt, err := c.logSalt(ctx, [32]byte(id))
		if err != nil {
			if r.Deleted {
				continue // deleted before this device learned its salt
			}
			return nil, err
		}
		m := map[[32]byte]string{auditlog.ActorHash(salt, c.accountID()): c.prof.Handle}
		for acct, p := range c.prof.Pins {
			m[auditlog.ActorHash(salt, mustID(acct))] = p.Handle
		}
		out[[32]byte(id)] = m
	}
	return out, nil
}

type alertRead struct {
	at     time.Time
	who    string
	record [32]byte
}

type alertCount struct {
	at time.Time
	n  int
}

// alertEvents are the entries the rules look at, in log order.
type alertEvents struct {
	reads   []alertRead
	guesses []alertCount
	codes   []time.Time
	devices []time.Time
	// requests are the emergency requests for this account's keys (their
	// entry hashes), raised by requestAlerts.
	requests [][32]byte
	alerts   []Alert // alerts raised by single entries
}

func (ev *alertEvents) evaluate(o AlertOptions, me string) []Alert {
	out := slices.Clone(ev.alerts)
	// Bulk reads: the most distinct records one reader read within a window.
	byWho := map[string][]alertRead{}
	for _, r := range ev.reads {
		if r.who != me {
			byWho[r.who] = append(byWho[r.who], r)
		}
	}
	for who, rs := range byWho {
		if n, at := maxDistinct(rs, o.ReadWindow); n >= o.ReadBurst {
			out = append(out, Alert{Time: at, Kind: AlertBulkRead, Who: who, Count: n,
				Message: fmt.Sprintf("%s read %d of your records in %s (from %s)", who, n, o.ReadWindow, at.Format(time.DateTime))})
		}
	}
	// Backup guesses: evaluations no release paid for, within a window.
	if n, at := maxSum(ev.guesses, o.GuessWindow); n >= o.Guesses {
		out = append(out, Alert{Time: at, Kind: AlertBackupGuesses, Count: n,
			Message: fmt.Sprintf("%d passphrase attempts on your account's backup failed within %s (from %s); the server locks guessing, and your recovery code still works", n, o.GuessWindow, at.Format(time.DateTime))})
	}
	codes := make([]alertCount, len(ev.codes))
	for i, t := range ev.codes {
		codes[i] = alertCount{t, 1}
	}
	if n, at := maxSum(codes, o.GuessWindow); n >= o.CodeFailures {
		out = append(out, Alert{Time: at, Kind: AlertCodeFailures, Count: n,
			Message: fmt.Sprintf("%d wrong second-factor codes within %s (from %s): someone who knows your passphrase may be trying; change it", n, o.GuessWindow, at.Format(time.DateTime))})
	}
	// A new device that reads many of this account's records soon after.
	for _, d := range ev.devices {
		seen := map[[32]byte]bool{}
		for _, r := range ev.reads {
			if r.who == me && !r.at.Before(d) && r.at.Sub(d) <= o.ExportWindow {
				seen[r.record] = true
			}
		}
		if len(seen) >= o.ExportBurst {
			out = append(out, Alert{Time: d, Kind: AlertNewDeviceReads, Count: len(seen),
				Message: fmt.Sprintf("a device enrolled on %s, and %d of your records were read by your account within %s after", d.Format(time.DateTime), len(seen), o.ExportWindow)})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out
}

// maxDistinct returns the most distinct records read within any window, and
// when that window starts: a sliding window over reads in log order (time
// order), linear in their number.
func maxDistinct(rs []alertRead, window time.Duration) (int, time.Time) {
	best, at := 0, time.Time{}
	in := map[[32]byte]int{}
	lo := 0
	for _, r := range rs {
		in[r.record]++
		for r.at.Sub(rs[lo].at) > window {
			if in[rs[lo].record]--; in[rs[lo].record] == 0 {
				delete(in, rs[lo].record)
			}
			lo++
		}
		if len(in) > best {
			best, at = len(in), rs[lo].at
		}
	}
	return best, at
}

// maxSum returns the largest sum of counts within any window, and when that
// window starts, the same way.
func maxSum(cs []alertCount, window time.Duration) (int, time.Time) {
	best, at := 0, time.Time{}
	sum, lo := 0, 0
	for _, c := range cs {
		sum += c.n
		for c.at.Sub(cs[lo].at) > window {
			sum -= cs[lo].n
			lo++
		}
		if sum > best {
			best, at = sum, cs[lo].at
		}
	}
	return best, at
}
