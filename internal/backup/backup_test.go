package backup

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"testing"

	"github.com/cloudflare/circl/oprf"

	"github.com/blindvault/blindvault/internal/backupwire"
	"github.com/blindvault/blindvault/internal/keyfile"
)

func TestCreate_RoundTrip_PassphraseAndRecoveryCode(t *testing.T) {
	f := getFixture(t)
	if f.argonRun != 2 {
		t.Errorf("Argon2id runs for Create + DeriveAuth = %d, want 2", f.argonRun)
	}
	got, err := Open(f.blob, f.account, f.slotKey)
	if err != nil || !bytes.Equal(got, f.secret) {
		t.Fatalf("Open(right passphrase) = %q, %v; want %q", got, err, f.secret)
	}
	got, err = OpenWithRecoveryCode(f.blob, f.account, f.code)
	if err != nil || !bytes.Equal(got, f.secret) {
		t.Fatalf("OpenWithRecoveryCode() = %q, %v; want %q", got, err, f.secret)
	}
	pub, rec, err := backupwire.ParseOPRFSetup(f.setup)
	if err != nil {
		t.Fatalf("backupwire.ParseOPRFSetup() = %v", err)
	}
	recAuth, err := RecoveryAuth(f.account, f.code)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.setup) != 65 || f.setup[0] != 0x01 || !pub.Equal(ed25519.PrivateKey(f.authKey).Public()) || !rec.Equal(recAuth.Public()) {
		t.Fatalf("oprfSetup = %x, want 0x01 ‖ the derived auth public key ‖ the recovery auth public key", f.setup)
	}
	p, err := PassphraseParams(f.blob)
	if err != nil || p != DefaultParams {
		t.Fatalf("PassphraseParams() = %+v, %v; want %+v", p, err, DefaultParams)
	}
}

func TestCreate_RecoveryCode_DisplayForm(t *testing.T) {
	f := getFixture(t)
	raw, err := ParseRecoveryCode(f.code)
	if err != nil {
		t.Fatalf("ParseRecoveryCode(%q) = %v", f.code, err)
	}
	if len(raw) != 16 || len(f.code) != 39 {
		t.Fatalf("recovery code %q: %d bytes, %d characters; want 16 bytes, 32 characters and 7 dashes", f.code, len(raw), len(f.code))
	}
}

func TestDeriveAuth_WrongPassphrase_ErrWrongPassphrase(t *testing.T) {
	f := getFixture(t)
	auth, slotKey, err := DeriveAuth(t.Context(), f.srv, f.account, []byte("incorrect horse battery staple"), DefaultParams)
	if err != nil {
		t.Fatalf("DeriveAuth(wrong passphrase) = %v", err)
	}
	if bytes.Equal(auth, f.authKey) {
		t.Fatal("a wrong passphrase derived the same auth key")
	}
	if got, err := Open(f.blob, f.account, slotKey); !errors.Is(err, ErrWrongPassphrase) || got != nil {
		t.Fatalf("Open(wrong passphrase) = %q, %v; want ErrWrongPassphrase", got, err)
	}
}

func TestDeriveAuth_OtherParams_ErrWrongPassphrase(t *testing.T) {
	f := getFixture(t)
	// The right passphrase with other (in-range) parameters than at creation
	// gives another key: the parameters must be remembered with it.
	p := DefaultParams
	p.Time++
	_, slotKey, err := DeriveAuth(t.Context(), f.srv, f.account, []byte(testPassphrase), p)
	if err != nil {
		t.Fatalf("DeriveAuth(other params) = %v", err)
	}
	if _, err := Open(f.blob, f.account, slotKey); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("Open(key from other params) = %v, want ErrWrongPassphrase", err)
	}
}

func TestOpen_OtherAccount_ErrWrongAccount(t *testing.T) {
	f := getFixture(t)
	other := randomAccount()
	if _, err := Open(f.blob, other, f.slotKey); !errors.Is(err, ErrWrongAccount) {
		t.Fatalf("Open(other account) = %v, want ErrWrongAccount", err)
	}
	if _, err := OpenWithRecoveryCode(f.blob, other, f.code); !errors.Is(err, ErrWrongAccount) {
		t.Fatalf("OpenWithRecoveryCode(other account) = %v, want ErrWrongAccount", err)
	}
	// The same blob relabelled with the other account id opens nothing: the
	// account is bound in every AAD.
	relabelled := bytes.Clone(f.blob)
	copy(relabelled[3:35], other[:])
	if _, err := Open(relabelled, other, f.slotKey); err == nil {
		t.Fatal("Open(blob relabelled to another account) = nil error")
	}
	if _, err := OpenWithRecoveryCode(relabelled, other, f.code); !errors.Is(err, ErrWrongRecoveryCode) {
		t.Fatalf("OpenWithRecoveryCode(relabelled) = %v, want ErrWrongRecoveryCode", err)
	}
}

func TestOpenWithRecoveryCode_WrongCode_ErrWrongRecoveryCode(t *testing.T) {
	f := getFixture(t)
	wrong := FormatRecoveryCode(newRecoveryCode())
	if _, err := OpenWithRecoveryCode(f.blob, f.account, wrong); !errors.Is(err, ErrWrongRecoveryCode) {
		t.Fatalf("OpenWithRecoveryCode(other valid code) = %v, want ErrWrongRecoveryCode", err)
	}
	if _, err := OpenWithRecoveryCode(f.blob, f.account, "not a code"); !errors.Is(err, ErrBadRecoveryCode) {
		t.Fatalf("OpenWithRecoveryCode(garbage) = %v, want ErrBadRecoveryCode", err)
	}
}

func TestCreate_WeakPassphrase_RefusedBeforeDerivation(t *testing.T) {
	n := countArgon2id(t)
	srv := newFakeServer(t)
	for _, pass := range []string{"", "short", "aaaaaaaaaaaaaaaaaaaa", string(bytes.Repeat([]byte("x"), keyfile.MaxPassphrase+1))} {
		_, _, _, err := Create(t.Context(), srv, randomAccount(), []byte("s"), []byte(pass), DefaultParams)
		if !errors.Is(err, keyfile.ErrWeakPassphrase) && !errors.Is(err, keyfile.ErrLongPassphrase) {
			t.Errorf("Create(passphrase of %d bytes) = %v, want ErrWeakPassphrase or ErrLongPassphrase", len(pass), err)
		}
	}
	if n.Load() != 0 || srv.calls.Load() != 0 {
		t.Fatalf("Argon2id runs = %d, server calls = %d; want 0 and 0", n.Load(), srv.calls.Load())
	}
}

var outOfRange = []struct {
	name string
	p    keyfile.Params
	want error
}{
	{"time below floor", keyfile.Params{Time: 2, MemoryKiB: 64 << 10, Threads: 4}, keyfile.ErrWeakParams},
	{"memory below floor", keyfile.Params{Time: 3, MemoryKiB: 32 << 10, Threads: 4}, keyfile.ErrWeakParams},
	{"threads below floor", keyfile.Params{Time: 3, MemoryKiB: 64 << 10, Threads: 1}, keyfile.ErrWeakParams},
	{"zero", keyfile.Params{}, keyfile.ErrWeakParams},
	{"time above ceiling", keyfile.Params{Time: 11, MemoryKiB: 64 << 10, Threads: 4}, keyfile.ErrExcessiveParams},
	{"memory above ceiling", keyfile.Params{Time: 3, MemoryKiB: 4 << 20, Threads: 4}, keyfile.ErrExcessiveParams},
	{"threads above ceiling", keyfile.Params{Time: 3, MemoryKiB: 64 << 10, Threads: 255}, keyfile.ErrExcessiveParams},
}

func TestCreate_ParamsOutOfRange_RefusedBeforeDerivation(t *testing.T) {
	n := countArgon2id(t)
	srv := newFakeServer(t)
	for _, c := range outOfRange {
		_, _, _, err := Create(t.Context(), srv, randomAccount(), []byte("s"), []byte(testPassphrase), c.p)
		if !errors.Is(err, c.want) {
			t.Errorf("Create(%s) = %v, want %v", c.name, err, c.want)
		}
	}
	if n.Load() != 0 || srv.calls.Load() != 0 {
		t.Fatalf("Argon2id runs = %d, server calls = %d; want 0 and 0", n.Load(), srv.calls.Load())
	}
}

func TestDeriveAuth_ParamsOutOfRange_RefusedBeforeDerivation(t *testing.T) {
	n := countArgon2id(t)
	srv := newFakeServer(t)
	for _, c := range outOfRange {
		_, _, err := DeriveAuth(t.Context(), srv, randomAccount(), []byte(testPassphrase), c.p)
		if !errors.Is(err, c.want) {
			t.Errorf("DeriveAuth(%s) = %v, want %v", c.name, err, c.want)
		}
	}
	if n.Load() != 0 || srv.calls.Load() != 0 {
		t.Fatalf("Argon2id runs = %d, server calls = %d; want 0 and 0", n.Load(), srv.calls.Load())
	}
}

func TestPassphraseParams_BlobWithParamsOutOfRange_Refused(t *testing.T) {
	// A blob whose passphrase slot names parameters outside the range (a
	// downgraded or inflated copy) is refused before anything is derived.
	acct := randomAccount()
	for _, c := range outOfRange {
		key := make([]byte, keySize)
		sl := sealSlot(acct, slotPassphrase, passHead(c.p, salt(acct)), key, key)
		nonce := make([]byte, nonceSize)
		prefix := encodePrefix(acct, []slot{sl}, nonce)
		data := encode(prefix, newGCM(key).Seal(nil, nonce, nil, bodyAAD(prefix)))
		if _, err := PassphraseParams(data); !errors.Is(err, c.want) {
			t.Errorf("PassphraseParams(%s) = %v, want %v", c.name, err, c.want)
		}
		if _, err := Open(data, acct, key); !errors.Is(err, c.want) {
			t.Errorf("Open(%s) = %v, want %v", c.name, err, c.want)
		}
	}
}

func TestDeriveAuth_EvaluatedWithAnotherKey_ErrOPRF(t *testing.T) {
	n := countArgon2id(t)
	srv := newFakeServer(t)
	srv.evalKey = fixedKey(t, "another key")
	_, _, err := DeriveAuth(t.Context(), srv, randomAccount(), []byte(testPassphrase), DefaultParams)
	if !errors.Is(err, ErrOPRF) || !errors.Is(err, oprf.ErrInvalidProof) {
		t.Fatalf("DeriveAuth(evaluation under another key) = %v, want ErrOPRF wrapping oprf.ErrInvalidProof", err)
	}
	if n.Load() != 0 {
		t.Fatalf("Argon2id runs = %d, want 0 (the OPRF fails first)", n.Load())
	}
}

// badKeyServer publishes a bad public key.
type badKeyServer struct{ key []byte }

func (b badKeyServer) PublicKey(context.Context) ([]byte, error) { return b.key, nil }

func (badKeyServer) Evaluate(context.Context, []byte) ([]byte, []byte, error) {
	return nil, nil, errors.New("not reached")
}

func TestDeriveAuth_BadPublicKey_ErrOPRF(t *testing.T) {
	n := countArgon2id(t)
	for name, key := range map[string][]byte{
		"not an element": bytes.Repeat([]byte{0xff}, 32),
		"identity":       make([]byte, 32),
		"short":          make([]byte, 31),
		"empty":          nil,
	} {
		_, _, err := DeriveAuth(t.Context(), badKeyServer{key}, randomAccount(), []byte(testPassphrase), DefaultParams)
		if !errors.Is(err, ErrOPRF) {
			t.Errorf("DeriveAuth(public key %s) = %v, want ErrOPRF", name, err)
		}
	}
	if n.Load() != 0 {
		t.Fatalf("Argon2id runs = %d, want 0", n.Load())
	}
}

func TestDeriveAuth_ServerPublishesAnotherKey_OpensNothing(t *testing.T) {
	f := getFixture(t)
	// A server that consistently uses another key (its proofs verify) yields
	// another k: the blob does not open and the auth key differs.
	other := &fakeServer{key: fixedKey(t, "substituted key")}
	auth, slotKey, err := DeriveAuth(t.Context(), other, f.account, []byte(testPassphrase), DefaultParams)
	if err != nil {
		t.Fatalf("DeriveAuth(other key) = %v", err)
	}
	if bytes.Equal(auth, f.authKey) {
		t.Fatal("another OPRF key derived the same auth key")
	}
	if _, err := Open(f.blob, f.account, slotKey); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("Open(key from another OPRF key) = %v, want ErrWrongPassphrase", err)
	}
}

func TestCreate_SecretTooLarge_ErrSecretTooLarge(t *testing.T) {
	n := countArgon2id(t)
	_, _, _, err := Create(t.Context(), newFakeServer(t), randomAccount(), make([]byte, MaxSecret+1), []byte(testPassphrase), DefaultParams)
	if !errors.Is(err, ErrSecretTooLarge) || n.Load() != 0 {
		t.Fatalf("Create(secret of MaxSecret+1 bytes) = %v after %d Argon2id runs, want ErrSecretTooLarge after 0", err, n.Load())
	}
}

func TestOpen_MaxSecret_FitsMaxBlobSize(t *testing.T) {
	acct := randomAccount()
	secret := make([]byte, MaxSecret)
	data, key, code := testBlob(acct, secret)
	if len(data) > MaxBlobSize {
		t.Fatalf("blob of MaxSecret is %d bytes, above MaxBlobSize %d", len(data), MaxBlobSize)
	}
	if got, err := Open(data, acct, key); err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open(MaxSecret) = %v", err)
	}
	if _, err := OpenWithRecoveryCode(data, acct, code); err != nil {
		t.Fatalf("OpenWithRecoveryCode(MaxSecret) = %v", err)
	}
}

func TestOpen_EveryByteTampered_Fails(t *testing.T) {
	acct := randomAccount()
	secret := []byte("key history")
	data, key, code := testBlob(acct, secret)
	for i := range data {
		for _, bit := range []byte{0x01, 0x80} {
			bad := bytes.Clone(data)
			bad[i] ^= bit
			if got, err := Open(bad, acct, key); err == nil || got != nil {
				t.Fatalf("Open(byte %d ^ %#x) = %q, %v; want an error and no secret", i, bit, got, err)
			}
			if got, err := OpenWithRecoveryCode(bad, acct, code); err == nil || got != nil {
				t.Fatalf("OpenWithRecoveryCode(byte %d ^ %#x) = %q, %v; want an error and no secret", i, bit, got, err)
			}
		}
	}
	for n := range len(data) {
		if _, err := Open(data[:n], acct, key); err == nil {
			t.Fatalf("Open(first %d bytes) = nil error", n)
		}
	}
	if _, err := Open(append(bytes.Clone(data), 0), acct, key); !errors.Is(err, ErrMalformed) {
		t.Fatalf("Open(trailing byte) = %v, want ErrMalformed", err)
	}
}

func TestOpen_SlotsSwappedBetweenBlobs_Fails(t *testing.T) {
	acct := randomAccount()
	a, keyA, _ := testBlob(acct, []byte("secret A"))
	b, _, _ := testBlob(acct, []byte("secret B"))
	pa, _ := parse(a)
	pb, _ := parse(b)
	// B's body with A's slots: A's passphrase slot opens, the body does not.
	prefix := encodePrefix(acct, pa.slots, pb.nonce)
	mixed := encode(prefix, pb.body)
	if got, err := Open(mixed, acct, keyA); !errors.Is(err, ErrCorrupted) || got != nil {
		t.Fatalf("Open(A's slots on B's body) = %q, %v; want ErrCorrupted", got, err)
	}
	// A passphrase slot moved into the recovery position does not open.
	moved := slot{kind: slotRecovery, head: nil, wrapped: pa.slots[0].wrapped}
	if _, ok := openSlot(acct, moved, keyA); ok {
		t.Fatal("a passphrase slot's seal opened as a recovery slot")
	}
}

func TestParse_VersionSuiteSlot_DistinctErrors(t *testing.T) {
	acct := randomAccount()
	data, _, _ := testBlob(acct, []byte("x"))
	cases := []struct {
		name string
		edit func([]byte) []byte
		want error
	}{
		{"version 2", func(b []byte) []byte { b[0] = 2; return b }, ErrUnknownVersion},
		{"suite 2", func(b []byte) []byte { b[2] = 2; return b }, ErrUnknownSuite},
		{"slot kind 9", func(b []byte) []byte { b[36] = 9; return b }, ErrUnknownSlot},
		{"no slots", func(b []byte) []byte { b[35] = 0; return b }, ErrMalformed},
		{"three slots", func(b []byte) []byte { b[35] = 3; return b }, ErrMalformed},
		{"empty", func([]byte) []byte { return nil }, ErrMalformed},
		{"too large", func(b []byte) []byte { return make([]byte, MaxBlobSize+1) }, ErrTooLarge},
	}
	for _, c := range cases {
		if _, err := parse(c.edit(bytes.Clone(data))); !errors.Is(err, c.want) {
			t.Errorf("parse(%s) = %v, want %v", c.name, err, c.want)
		}
	}
	// A repeated slot kind.
	p, _ := parse(data)
	dup := encode(encodePrefix(acct, []slot{p.slots[0], p.slots[0]}, p.nonce), p.body)
	if _, err := parse(dup); !errors.Is(err, ErrMalformed) {
		t.Errorf("parse(repeated slot kind) = %v, want ErrMalformed", err)
	}
	// A blob with only a recovery slot has no passphrase slot.
	only := encode(encodePrefix(acct, p.slots[1:], p.nonce), p.body)
	if _, err := Open(only, acct, make([]byte, 32)); !errors.Is(err, ErrNoSlot) {
		t.Errorf("Open(recovery slot only) = %v, want ErrNoSlot", err)
	}
}

func TestSignRelease_VerifiesOverReleaseMessage(t *testing.T) {
	var acct, nonce [32]byte
	for i := range acct {
		acct[i], nonce[i] = byte(i), byte(0xa0+i)
	}
	_, priv, _ := ed25519.GenerateKey(nil)
	if !ed25519.Verify(priv.Public().(ed25519.PublicKey), backupwire.ReleaseMessage(acct, nonce), SignRelease(priv, acct, nonce)) {
		t.Fatal("SignRelease does not verify over backupwire.ReleaseMessage")
	}
}
