//go:build !js

package backup

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/cloudflare/circl/oprf"

	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/servertest"
	"github.com/blindvault/blindvault/server/store"
)

// realServer is a real blindvault server on loopback (servertest.Start).
type realServer struct{ *servertest.Server }

func newRealServer(t *testing.T) *realServer {
	t.Helper()
	return &realServer{servertest.Start(t, server.Config{})}
}

// call sends a JSON request to the server and decodes a 200 answer into out.
// It returns the status code.
func (s *realServer) call(ctx context.Context, method, path string, in, out any) (int, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.URL+path, body)
	if err != nil {
		return 0, err
	}
	resp, err := s.HTTP.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

// httpOPRF is the OPRFServer of one account on the real server.
type httpOPRF struct {
	srv     *realServer
	account [32]byte
}

func (h httpOPRF) path(op string) string {
	return "/v1/backup/" + hex.EncodeToString(h.account[:]) + "/" + op
}

func (h httpOPRF) PublicKey(ctx context.Context) ([]byte, error) {
	var resp struct {
		Suite     string `json:"suite"`
		PublicKey []byte `json:"public_key"`
	}
	if _, err := h.srv.call(ctx, http.MethodGet, h.path("oprf-key"), nil, &resp); err != nil {
		return nil, err
	}
	if resp.Suite != "ristretto255-SHA512" {
		return nil, fmt.Errorf("oprf suite %q", resp.Suite)
	}
	return resp.PublicKey, nil
}

func (h httpOPRF) Evaluate(ctx context.Context, blinded []byte) ([]byte, []byte, error) {
	var resp struct {
		Evaluated []byte `json:"evaluated"`
		Proof     []byte `json:"proof"`
	}
	req := struct {
		Blinded []byte `json:"blinded"`
	}{blinded}
	if _, err := h.srv.call(ctx, http.MethodPost, h.path("evaluate"), req, &resp); err != nil {
		return nil, nil, err
	}
	return resp.Evaluated, resp.Proof, nil
}

// release runs challenge + release with the auth key and returns the status
// and the released blob.
func (h httpOPRF) release(ctx context.Context, auth ed25519.PrivateKey) (int, []byte, error) {
	var ch struct {
		Nonce []byte `json:"nonce"`
	}
	if _, err := h.srv.call(ctx, http.MethodPost, h.path("challenge"), nil, &ch); err != nil {
		return 0, nil, err
	}
	if len(ch.Nonce) != 32 {
		return 0, nil, fmt.Errorf("nonce of %d bytes", len(ch.Nonce))
	}
	nonce := [32]byte(ch.Nonce)
	req := struct {
		Nonce     []byte `json:"nonce"`
		Signature []byte `json:"signature"`
	}{ch.Nonce, SignRelease(auth, h.account, nonce)}
	var out struct {
		Backup []byte `json:"backup"`
	}
	code, err := h.srv.call(ctx, http.MethodPost, h.path("release"), req, &out)
	return code, out.Backup, err
}

func TestCreate_RealServer_ReleaseThenOpen(t *testing.T) {
	rs := newRealServer(t)
	ctx := t.Context()
	acct := randomAccount()
	srv := httpOPRF{srv: rs, account: acct}
	secret := []byte("identity key history, generation 1")

	// Registration: the client evaluates before the account exists.
	blob, code, setup, err := Create(ctx, srv, acct, secret, []byte(testPassphrase), DefaultParams)
	if err != nil {
		t.Fatalf("Create(real server) = %v", err)
	}
	var dev store.DeviceID
	rand.Read(dev[:])
	err = rs.Store.CreateAccount(ctx, store.NewAccount{
		ID: store.AccountID(acct), Handle: "backup-e2e", Role: store.RolePatient,
		KeyCard:   store.KeyCard{Seq: 1, Signed: []byte("signed key card")},
		Device:    store.Device{ID: dev, Cert: []byte("device cert")},
		Backup:    blob,
		OPRFSetup: setup,
		Created:   time.Now(),
	})
	if err != nil {
		t.Fatalf("CreateAccount() = %v", err)
	}

	// A wrong passphrase: its auth key is refused by the server, and its slot
	// key opens nothing.
	badAuth, badSlot, err := DeriveAuth(ctx, srv, acct, []byte("incorrect horse battery staple"), DefaultParams)
	if err != nil {
		t.Fatalf("DeriveAuth(wrong passphrase) = %v", err)
	}
	if status, got, _ := srv.release(ctx, badAuth); status != http.StatusUnauthorized || got != nil {
		t.Fatalf("release(wrong passphrase) = %d with %d bytes, want 401 and nothing", status, len(got))
	}
	if _, err := Open(blob, acct, badSlot); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("Open(wrong passphrase) = %v, want ErrWrongPassphrase", err)
	}

	// A new device: passphrase → auth key → release → open.
	auth, slotKey, err := DeriveAuth(ctx, srv, acct, []byte(testPassphrase), DefaultParams)
	if err != nil {
		t.Fatalf("DeriveAuth(right passphrase) = %v", err)
	}
	status, released, err := srv.release(ctx, auth)
	if err != nil || status != http.StatusOK {
		t.Fatalf("release(right passphrase) = %d, %v", status, err)
	}
	if !bytes.Equal(released, blob) {
		t.Fatal("the released blob is not the registered one")
	}
	got, err := Open(released, acct, slotKey)
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open(released) = %q, %v; want %q", got, err, secret)
	}
	got, err = OpenWithRecoveryCode(released, acct, code)
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("OpenWithRecoveryCode(released) = %q, %v; want %q", got, err, secret)
	}

	// Passphrase lost: the recovery code alone has the blob released and opens it.
	recAuth, err := RecoveryAuth(acct, code)
	if err != nil {
		t.Fatal(err)
	}
	status, released, err = srv.release(ctx, recAuth)
	if err != nil || status != http.StatusOK || !bytes.Equal(released, blob) {
		t.Fatalf("release(recovery code) = %d, %v; want 200 and the blob", status, err)
	}
	if got, err = OpenWithRecoveryCode(released, acct, code); err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("OpenWithRecoveryCode(released by recovery key) = %q, %v; want %q", got, err, secret)
	}

	// A server that evaluates under another account's key (the real server's
	// key for another id) fails the proof against the published key.
	mixed := mixedOPRF{pub: srv, eval: httpOPRF{srv: rs, account: randomAccount()}}
	if _, _, err := DeriveAuth(ctx, mixed, acct, []byte(testPassphrase), DefaultParams); !errors.Is(err, ErrOPRF) || !errors.Is(err, oprf.ErrInvalidProof) {
		t.Fatalf("DeriveAuth(evaluated under another account's key) = %v, want ErrOPRF wrapping oprf.ErrInvalidProof", err)
	}
}

// mixedOPRF publishes one account's key and evaluates under another's.
type mixedOPRF struct{ pub, eval OPRFServer }

func (m mixedOPRF) PublicKey(ctx context.Context) ([]byte, error) { return m.pub.PublicKey(ctx) }

func (m mixedOPRF) Evaluate(ctx context.Context, b []byte) ([]byte, []byte, error) {
	return m.eval.Evaluate(ctx, b)
}
