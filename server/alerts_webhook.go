package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/blindvault/blindvault/internal/auditlog"
	"github.com/blindvault/blindvault/server/store"
)

// Operator alerts: the server's own reading of what looks wrong, posted to a
// webhook the operator runs (a pager, a SIEM). They use what the server sees
// anyway (who reads whose records, failed guesses, new devices, emergency
// requests) and never a secret, a token or a plaintext: accounts are named by
// id. Patients get the same rules from the verified log on their own devices
// (docs/alerts.md); this is the operator's copy, which a compromised server
// could of course withhold.

// WebhookConfig configures operator alerts. URL empty: none. Zero thresholds
// take the defaults of docs/alerts.md.
type WebhookConfig struct {
	URL string
	// Secret keys the HMAC-SHA256 signature of every delivery
	// (Blindvault-Signature: t=UNIX,v1=HEX over "UNIX.BODY").
	Secret []byte
	// Queue bounds the alerts waiting for delivery (default 1000); when it
	// is full, new alerts are dropped and counted.
	Queue int
	// Attempts bounds the deliveries of one alert (default 6), with a
	// backoff doubling from Backoff (default 1 s) to at most 30 s.
	Attempts int
	Backoff  time.Duration
	Client   *http.Client

	ReadBurst   int           // bulk-read: records of one owner read by one reader (50)
	ReadWindow  time.Duration // within (5 min)
	GuessBurst  int           // backup-guesses, second-factor-failures: failures on one account (3)
	GuessWindow time.Duration // within (24 h)
	ExportBurst int           // new-device-export: the account's own reads after a new device (20)
	ExportAfter time.Duration // within (1 h) of the device
}

// OperatorAlert is one delivery's JSON body.
type OperatorAlert struct {
	ID      string    `json:"id"` // random: the receiver drops repeats of a retried delivery
	Kind    string    `json:"kind"`
	Account string    `json:"account"`        // the account concerned, hex
	Peer    string    `json:"peer,omitempty"` // the reader or requester, hex
	Count   int       `json:"count,omitempty"`
	Window  string    `json:"window,omitempty"`
	Time    time.Time `json:"time"`
}

// alerter evaluates the rules and delivers alerts in order, one at a time.
type alerter struct {
	cfg   WebhookConfig
	queue chan OperatorAlert
	now   func() time.Time

	mu      sync.Mutex
	seen    map[string][]time.Time        // events per rule and key, within their window
	devices map[store.AccountID]time.Time // the last new device of each account

	sent *prometheus.CounterVec // by outcome: delivered, failed, dropped
}

// observe reads the rules' events out of log entries that were just
// committed: new devices (not an account's first, at registration), failed
// second-factor codes, emergency requests, deletions. Reads and backup
// guesses are observed where they happen (read, failure, pay).
func (a *alerter) observe(entries []*auditlog.Entry) {
	if a == nil {
		return
	}
	registered := map[[32]byte]bool{}
	for _, e := range entries {
		if e.Type == auditlog.KeyCard && e.Number <= 1 {
			registered[e.Subject] = true
		}
	}
	for _, e := range entries {
		switch {
		case e.Type == auditlog.DeviceCertified && !registered[e.Subject]:
			a.newDevice(e.Subject)
		case e.Type == auditlog.SecondFactor && e.Number == auditlog.SecondFactorFailed:
			a.failure("second-factor-failures", e.Subject)
		case e.Type == auditlog.EmergencyRequest:
			a.emit("emergency-request", e.Peer, e.Subject, 0, 0)
		case e.Type == auditlog.AccountDeletion && e.Number == auditlog.AccountDeletionScheduled:
			a.emit("account-deletion", e.Subject, store.AccountID{}, 0, 0)
		}
	}
}

// pay forgets the newest failure of kind at account: a backup release that
// succeeded pays for the OPRF evaluation before it, as the clients' rule does.
func (a *alerter) pay(kind string, account store.AccountID) {
	if a == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	key := kind + "/" + account.String()
	if ts := a.seen[key]; len(ts) > 0 {
		a.seen[key] = ts[:len(ts)-1]
	}
}

// maxAlertKeys bounds the rule state: past it, the oldest windows are
// forgotten (a burst then has to start again).
const maxAlertKeys = 100_000

func newAlerter(cfg WebhookConfig, now func() time.Time, reg *prometheus.Registry) *alerter {
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
	def(&cfg.Queue, 1000)
	def(&cfg.Attempts, 6)
	def(&cfg.ReadBurst, 50)
	def(&cfg.GuessBurst, 3)
	def(&cfg.ExportBurst, 20)
	defD(&cfg.Backoff, time.Second)
	defD(&cfg.ReadWindow, 5*time.Minute)
	defD(&cfg.GuessWindow, 24*time.Hour)
	defD(&cfg.ExportAfter, time.Hour)
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	a := &alerter{cfg: cfg, queue: make(chan OperatorAlert, cfg.Queue), now: now,
		seen: map[string][]time.Time{}, devices: map[store.AccountID]time.Time{},
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "blindvault_operator_alerts_total", Help: "Operator alerts by outcome: delivered, failed (after every attempt), dropped (queue full).",
		}, []string{"outcome"})}
	reg.MustRegister(a.sent)
	return a
}

// run delivers queued alerts until ctx ends.
func (a *alerter) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case al := <-a.queue:
			a.deliver(ctx, al)
		}
	}
}

// emit queues an alert, or drops it when the queue is full.
func (a *alerter) emit(kind string, account, peer store.AccountID, count int, window time.Duration) {
	var id [16]byte
	rand.Read(id[:])
	al := OperatorAlert{ID: hex.EncodeToString(id[:]), Kind: kind, Account: account.String(), Count: count, Time: a.now().UTC()}
	if peer != (store.AccountID{}) {
		al.Peer = peer.String()
	}
	if window > 0 {
		al.Window = window.String()
	}
	select {
	case a.queue <- al:
	default:
		a.sent.WithLabelValues("dropped").Inc()
	}
}

// count adds an event to key's window and reports whether it brought the
// window to exactly burst: one alert per burst, not one per event past it.
func (a *alerter) count(key string, window time.Duration, burst int) (int, bool) {
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	ts := a.seen[key]
	for len(ts) > 0 && now.Sub(ts[0]) > window {
		ts = ts[1:]
	}
	if _, ok := a.seen[key]; !ok && len(a.seen) >= maxAlertKeys {
		for k := range a.seen { // forget one at random: bounded memory
			delete(a.seen, k)
			break
		}
	}
	ts = append(ts, now)
	a.seen[key] = ts
	return len(ts), len(ts) == burst
}

// read observes reader reading a record of owner's.
func (a *alerter) read(reader, owner store.AccountID) {
	if a == nil {
		return
	}
	if reader == owner {
		a.mu.Lock()
		dev, ok := a.devices[owner]
		a.mu.Unlock()
		if ok && a.now().Sub(dev) <= a.cfg.ExportAfter {
			if n, hit := a.count("export/"+owner.String(), a.cfg.ExportAfter, a.cfg.ExportBurst); hit {
				a.emit("new-device-export", owner, store.AccountID{}, n, a.cfg.ExportAfter)
			}
		}
		return
	}
	if n, hit := a.count("read/"+reader.String()+"/"+owner.String(), a.cfg.ReadWindow, a.cfg.ReadBurst); hit {
		a.emit("bulk-read", owner, reader, n, a.cfg.ReadWindow)
	}
}

// failure observes a failed guess of kind (backup-guesses,
// second-factor-failures) at account.
func (a *alerter) failure(kind string, account store.AccountID) {
	if a == nil {
		return
	}
	if n, hit := a.count(kind+"/"+account.String(), a.cfg.GuessWindow, a.cfg.GuessBurst); hit {
		a.emit(kind, account, store.AccountID{}, n, a.cfg.GuessWindow)
	}
}

// newDevice observes a device certified for account.
func (a *alerter) newDevice(account store.AccountID) {
	a.mu.Lock()
	if _, ok := a.devices[account]; !ok && len(a.devices) >= maxAlertKeys {
		clear(a.devices)
	}
	a.devices[account] = a.now()
	a.mu.Unlock()
	a.emit("new-device", account, store.AccountID{}, 0, 0)
}

// deliver posts one alert, retrying with backoff.
func (a *alerter) deliver(ctx context.Context, al OperatorAlert) {
	body, err := json.Marshal(al)
	if err != nil {
		a.sent.WithLabelValues("failed").Inc()
		return
	}
	wait := a.cfg.Backoff
	for attempt := 1; ; attempt++ {
		if a.post(ctx, body) == nil {
			a.sent.WithLabelValues("delivered").Inc()
			return
		}
		if attempt == a.cfg.Attempts {
			a.sent.WithLabelValues("failed").Inc()
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}

// post sends body once, signed; any answer but 2xx is a failure.
func (a *alerter) post(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Blindvault-Signature", SignWebhook(a.cfg.Secret, time.Now(), body))
	resp, err := a.cfg.Client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}

// SignWebhook is the Blindvault-Signature header of a delivery of body at t:
// "t=UNIX,v1=" and the hex HMAC-SHA256 under secret of "UNIX." ‖ body. A
// receiver recomputes it, compares in constant time, and refuses a t too far
// from its clock (replays).
func SignWebhook(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts + "."))
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// DeliverAlerts posts operator alerts to Config.AlertWebhook until ctx ends;
// without a webhook it returns at once. Run it beside Maintain.
func (s *Server) DeliverAlerts(ctx context.Context) {
	if s.alerts != nil {
		s.alerts.run(ctx)
	}
}
