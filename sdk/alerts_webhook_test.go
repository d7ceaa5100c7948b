//go:build !js

package sdk_test

import (
	"bytes"
	"crypto/hmac"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/servertest"
)

// webhookReceiver is an operator's endpoint on loopback: it checks each
// delivery's signature, refuses the first delivery of every alert once (so
// that retries are exercised) and keeps what it accepted.
type webhookReceiver struct {
	t      *testing.T
	secret []byte
	mu     sync.Mutex
	tried  map[string]bool
	got    []server.OperatorAlert
}

func (rcv *webhookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	sig := r.Header.Get("Blindvault-Signature")
	ts, _, _ := strings.Cut(strings.TrimPrefix(sig, "t="), ",")
	var unix int64
	if _, err := fmt.Sscan(ts, &unix); err != nil {
		rcv.t.Errorf("delivery signature %q has no time", sig)
	}
	if want := server.SignWebhook(rcv.secret, time.Unix(unix, 0), body); !hmac.Equal([]byte(sig), []byte(want)) {
		rcv.t.Errorf("delivery signature %q does not verify", sig)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var a server.OperatorAlert
	if err := json.Unmarshal(body, &a); err != nil {
		rcv.t.Errorf("delivery body %q: %v", body, err)
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if !rcv.tried[a.ID] {
		rcv.tried[a.ID] = true
		w.WriteHeader(http.StatusServiceUnavailable) // first try: refused, to be retried
		return
	}
	rcv.got = append(rcv.got, a)
}

// kinds waits (bounded) until the alerts of every kind in want arrived.
func (rcv *webhookReceiver) kinds(want ...string) map[string]server.OperatorAlert {
	deadline := time.Now().Add(30 * time.Second)
	for {
		rcv.mu.Lock()
		out := map[string]server.OperatorAlert{}
		for _, a := range rcv.got {
			out[a.Kind] = a
		}
		rcv.mu.Unlock()
		all := true
		for _, k := range want {
			_, ok := out[k]
			all = all && ok
		}
		if all || time.Now().After(deadline) {
			return out
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestOperatorAlerts_Webhook: the server's own rules post signed alerts to an
// operator's webhook, retried after a refusal: a new device, a reader who
// reads a burst of one owner's records, and repeated wrong one-time codes.
// No alert carries a secret or a plaintext: accounts by id only.
func TestOperatorAlerts_Webhook(t *testing.T) {
	rcv := &webhookReceiver{t: t, secret: []byte("the operator's webhook secret"), tried: map[string]bool{}}
	hook := httptest.NewServer(rcv)
	defer hook.Close()
	srv := servertest.Start(t, server.Config{AlertWebhook: &server.WebhookConfig{URL: hook.URL, Secret: rcv.secret,
		ReadBurst: 3, GuessBurst: 2, Backoff: 10 * time.Millisecond}})
	go srv.API.DeliverAlerts(t.Context())
	w := setUpWorld(t, srv, func(string) *sdk.Client { return newClient(t, srv, nil) })
	ctx := t.Context()

	for i := range 3 {
		rec := put(t, w.patient, []byte("record "+string(rune('a'+i))), "r")
		if _, err := w.patient.Share(ctx, rec.RecordID, "dr-jones", nil); err != nil {
			t.Fatal(err)
		}
		if _, _, err := get(t, w.clinician, rec.RecordID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.patient.EnrollTOTP(ctx); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		w.patient.ConfirmTOTP(ctx, "000000") // wrong codes, refused
	}
	dev := newClient(t, srv, nil)
	if _, err := dev.Login(ctx, &sdk.LoginOptions{Handle: "dr-jones", Passphrase: []byte(clinicianPass)}); err != nil {
		t.Fatal(err)
	}

	got := rcv.kinds("bulk-read", "new-device", "second-factor-failures")
	patient, clinician := w.patient.AccountID(), w.clinician.AccountID()
	if a, ok := got["bulk-read"]; !ok || a.Account != patient.String() || a.Peer != clinician.String() || a.Count != 3 {
		t.Errorf("bulk-read alert = %+v, want dr-jones reading 3 of alice's records", a)
	}
	if a, ok := got["new-device"]; !ok || a.Account != clinician.String() {
		t.Errorf("new-device alert = %+v, want dr-jones's", a)
	}
	if a, ok := got["second-factor-failures"]; !ok || a.Account != patient.String() || a.Count != 2 {
		t.Errorf("second-factor-failures alert = %+v, want alice's 2", a)
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	for _, a := range rcv.got {
		if b, _ := json.Marshal(a); bytes.Contains(b, []byte(patientPass)) || bytes.Contains(b, []byte("record a")) {
			t.Errorf("an alert carries a secret or a plaintext: %s", b)
		}
	}
}
