package backup

import (
	"bytes"
	"context"
	"crypto/rand"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cloudflare/circl/oprf"

	"github.com/blindvault/blindvault/internal/keyfile"
)

// fakeServer is an in-process OPRF server with a fixed key. evalKey, when set,
// evaluates with another key than the one published.
type fakeServer struct {
	key     *oprf.PrivateKey
	evalKey *oprf.PrivateKey
	calls   atomic.Int32
}

func fixedKey(t testing.TB, label string) *oprf.PrivateKey {
	t.Helper()
	seed := bytes.Repeat([]byte{0x42}, 32)
	k, err := oprf.DeriveKey(oprf.SuiteRistretto255, oprf.VerifiableMode, seed, []byte(label))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newFakeServer(t testing.TB) *fakeServer {
	return &fakeServer{key: fixedKey(t, "blindvault test oprf key")}
}

func (f *fakeServer) PublicKey(context.Context) ([]byte, error) {
	f.calls.Add(1)
	return f.key.Public().MarshalBinary()
}

func (f *fakeServer) Evaluate(_ context.Context, blinded []byte) ([]byte, []byte, error) {
	f.calls.Add(1)
	k := f.key
	if f.evalKey != nil {
		k = f.evalKey
	}
	e := oprf.SuiteRistretto255.Group().NewElement()
	if err := e.UnmarshalBinary(blinded); err != nil {
		return nil, nil, err
	}
	ev, err := oprf.NewVerifiableServer(oprf.SuiteRistretto255, k).Evaluate(&oprf.EvaluationRequest{Elements: []oprf.Blinded{e}})
	if err != nil {
		return nil, nil, err
	}
	out, _ := ev.Elements[0].MarshalBinaryCompress()
	proof, _ := ev.Proof.MarshalBinary()
	return out, proof, nil
}

// countArgon2id replaces the Argon2id hook with a counting one for the
// test's duration. Tests that use it must not run in parallel.
func countArgon2id(t *testing.T) *atomic.Int32 {
	t.Helper()
	var n atomic.Int32
	old := argon2id
	argon2id = func(pass, salt []byte, p keyfile.Params) ([]byte, error) {
		n.Add(1)
		return keyfile.Derive(pass, salt, p)
	}
	t.Cleanup(func() { argon2id = old })
	return &n
}

func randomAccount() [32]byte {
	var a [32]byte
	rand.Read(a[:])
	return a
}

const testPassphrase = "correct horse battery staple"

// fixture is one backup made with Create at the Argon2id floor, shared by
// the tests so that the number of derivations stays small.
type fixture struct {
	srv      *fakeServer
	account  [32]byte
	secret   []byte
	blob     []byte
	code     string
	setup    []byte
	slotKey  []byte // from DeriveAuth with the right passphrase
	authKey  []byte // its private key
	argonRun int32  // Argon2id runs of Create + DeriveAuth
}

var (
	fixtureOnce sync.Once
	fixtureVal  *fixture
	fixtureErr  error
)

func getFixture(t *testing.T) *fixture {
	t.Helper()
	fixtureOnce.Do(func() {
		f := &fixture{srv: newFakeServer(t), account: randomAccount(), secret: []byte("the whole key history of an identity")}
		var n int32
		old := argon2id
		argon2id = func(pass, salt []byte, p keyfile.Params) ([]byte, error) {
			n++
			return keyfile.Derive(pass, salt, p)
		}
		defer func() { argon2id = old }()
		ctx := context.Background()
		f.blob, f.code, f.setup, fixtureErr = Create(ctx, f.srv, f.account, f.secret, []byte(testPassphrase), DefaultParams)
		if fixtureErr != nil {
			return
		}
		auth, slotKey, err := DeriveAuth(ctx, f.srv, f.account, []byte(testPassphrase), DefaultParams)
		if err != nil {
			fixtureErr = err
			return
		}
		f.authKey, f.slotKey, f.argonRun = auth, slotKey, n
		fixtureVal = f
	})
	if fixtureErr != nil || fixtureVal == nil {
		t.Fatalf("fixture: %v", fixtureErr)
	}
	return fixtureVal
}

// testBlob builds a blob straight from the format functions, with random
// slot keys and no Argon2id, for parser and tamper tests.
func testBlob(account [32]byte, secret []byte) (data, passKey []byte, code string) {
	passKey = make([]byte, keySize)
	rand.Read(passKey)
	backupKey := make([]byte, keySize)
	rand.Read(backupKey)
	raw := newRecoveryCode()
	slots := []slot{
		sealSlot(account, slotPassphrase, passHead(DefaultParams, salt(account)), passKey, backupKey),
		sealSlot(account, slotRecovery, nil, recoveryKey(account, raw), backupKey),
	}
	nonce := make([]byte, nonceSize)
	rand.Read(nonce)
	prefix := encodePrefix(account, slots, nonce)
	return encode(prefix, newGCM(backupKey).Seal(nil, nonce, secret, bodyAAD(prefix))), passKey, FormatRecoveryCode(raw)
}
