package secrets

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/tink-crypto/tink-go/v2/insecurecleartextkeyset"
	gcmpb "github.com/tink-crypto/tink-go/v2/proto/aes_gcm_go_proto"
	"google.golang.org/protobuf/proto"

	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/server/store/bolt"
)

func openStore(t *testing.T) (*bolt.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "store.db")
	st, err := bolt.Open(path, nil)
	if err != nil {
		t.Fatalf("bolt.Open() = %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st, path
}

func newMasterKey() []byte {
	k := make([]byte, MasterKeySize)
	rand.Read(k)
	return k
}

func TestBox_Seal_RoundTrip(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	mk := newMasterKey()
	box, err := Open(ctx, st, mk)
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	acct := bytes.Repeat([]byte{7}, 32)
	for _, account := range [][]byte{nil, acct} {
		sealed, err := box.Seal("backup", "k", account, []byte("plaintext"))
		if err != nil {
			t.Fatalf("Seal() = %v", err)
		}
		// A second Box from the stored keyset opens it too.
		box2, err := Open(ctx, st, mk)
		if err != nil {
			t.Fatalf("Open() again = %v", err)
		}
		got, err := box2.Open("backup", "k", account, sealed)
		if err != nil || string(got) != "plaintext" {
			t.Fatalf("Open(Seal(plaintext)) = %q, %v, want plaintext", got, err)
		}
	}
}

func TestOpen_WrongMasterKey(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	if _, err := Open(ctx, st, newMasterKey()); err != nil {
		t.Fatalf("Open() = %v", err)
	}
	if _, err := Open(ctx, st, newMasterKey()); !errors.Is(err, ErrWrongMasterKey) {
		t.Fatalf("Open(other master key) = %v, want ErrWrongMasterKey", err)
	}
	if _, err := Open(ctx, st, make([]byte, 16)); !errors.Is(err, ErrBadMasterKey) {
		t.Fatalf("Open(16-byte master key) = %v, want ErrBadMasterKey", err)
	}
}

func TestOpen_CorruptKeyset(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	mk := newMasterKey()
	if _, err := Open(ctx, st, mk); err != nil {
		t.Fatalf("Open() = %v", err)
	}
	enc, _ := st.Secret(ctx, KeysetName)
	for _, bad := range [][]byte{{0xff}, enc[:len(enc)/2], append(bytes.Clone(enc), 1)} {
		if err := st.PutSecret(ctx, KeysetName, bad); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(ctx, st, mk); err == nil {
			t.Fatalf("Open(corrupt keyset %x) = nil error, want an error", bad)
		}
	}
}

func TestBox_Open_AssociatedDataBinding(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	mk := newMasterKey()
	box, err := Open(ctx, st, mk)
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	a1, a2 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	sealed, err := box.Seal(Bucket, OPRFSeedName, a1, []byte("seed"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		bucket, key string
		account     []byte
	}{
		{Bucket, SessionPepperName, a1},
		{"other", OPRFSeedName, a1},
		{Bucket, OPRFSeedName, a2},
		{Bucket, OPRFSeedName, nil},
	} {
		if _, err := box.Open(c.bucket, c.key, c.account, sealed); !errors.Is(err, ErrCannotOpen) {
			t.Errorf("Open(%s, %s, %x) of a value sealed elsewhere = %v, want ErrCannotOpen", c.bucket, c.key, c.account, err)
		}
	}

	// A sealed server secret moved to another name in the store does not open.
	if _, err := LoadOrCreate(ctx, st, box); err != nil {
		t.Fatalf("LoadOrCreate() = %v", err)
	}
	seed, _ := st.Secret(ctx, OPRFSeedName)
	if err := st.PutSecret(ctx, SessionPepperName, seed); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreate(ctx, st, box); !errors.Is(err, ErrCannotOpen) {
		t.Fatalf("LoadOrCreate() with the seed moved to %s = %v, want ErrCannotOpen", SessionPepperName, err)
	}
}

func TestAssociatedData_Layout(t *testing.T) {
	acct := bytes.Repeat([]byte{0xaa}, 32)
	got, err := AssociatedData("secrets", "oprf-seed", acct)
	want := append([]byte("secrets\x00oprf-seed\x00"), acct...)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("AssociatedData(secrets, oprf-seed, acct) = %q, %v, want %q", got, err, want)
	}
	for _, c := range []struct {
		bucket, key string
		account     []byte
	}{
		{"", "k", nil}, {"b", "", nil}, {"b\x00", "k", nil}, {"b", "k\x00x", nil},
		{"b", string(make([]byte, 256)), nil}, {"b", "k", make([]byte, 31)},
	} {
		if _, err := AssociatedData(c.bucket, c.key, c.account); !errors.Is(err, ErrBadName) {
			t.Errorf("AssociatedData(%q, %q, %d bytes) = %v, want ErrBadName", c.bucket, c.key, len(c.account), err)
		}
	}
}

func TestLoadOrCreate_Stable(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	box, err := Open(ctx, st, newMasterKey())
	if err != nil {
		t.Fatal(err)
	}
	s1, err := LoadOrCreate(ctx, st, box)
	if err != nil {
		t.Fatalf("LoadOrCreate() = %v", err)
	}
	if len(s1.OPRFSeed) != 32 || len(s1.SessionPepper) != 32 || len(s1.InvitePepper) != 32 {
		t.Fatalf("LoadOrCreate() lengths = %d, %d, %d, want 32 each", len(s1.OPRFSeed), len(s1.SessionPepper), len(s1.InvitePepper))
	}
	if bytes.Equal(s1.OPRFSeed, s1.SessionPepper) || bytes.Equal(s1.SessionPepper, s1.InvitePepper) {
		t.Fatalf("LoadOrCreate() gave equal secrets")
	}
	s2, err := LoadOrCreate(ctx, st, box)
	if err != nil {
		t.Fatalf("LoadOrCreate() again = %v", err)
	}
	if !sameSecrets(s1, s2) {
		t.Fatalf("LoadOrCreate() twice gave different secrets")
	}
}

func TestRotateMasterKey_NewKeyOpensOldDoesNot(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	oldKey, newKey := newMasterKey(), newMasterKey()
	_, want := loadSecrets(t, st, oldKey)
	if err := RotateMasterKey(ctx, st, newMasterKey(), newKey); !errors.Is(err, ErrWrongMasterKey) {
		t.Fatalf("RotateMasterKey(wrong old key) = %v, want ErrWrongMasterKey", err)
	}
	if err := RotateMasterKey(ctx, st, oldKey, newKey); err != nil {
		t.Fatalf("RotateMasterKey() = %v", err)
	}
	if _, err := Open(ctx, st, oldKey); !errors.Is(err, ErrWrongMasterKey) {
		t.Fatalf("Open(old key) after rotation = %v, want ErrWrongMasterKey", err)
	}
	if _, got := loadSecrets(t, st, newKey); !sameSecrets(got, want) {
		t.Fatalf("LoadOrCreate() after rotation gave other secrets")
	}
}

func TestRotateKeyset_ResealsAndKeepsOldKeys(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	mk := newMasterKey()
	box, want := loadSecrets(t, st, mk)
	acct := bytes.Repeat([]byte{3}, 32)
	perAccount, _ := box.Seal("backup", "escrow", acct, []byte("old"))
	oldSealed, _ := st.Secret(ctx, OPRFSeedName)

	if err := RotateKeyset(ctx, st, newMasterKey()); !errors.Is(err, ErrWrongMasterKey) {
		t.Fatalf("RotateKeyset(wrong master key) = %v, want ErrWrongMasterKey", err)
	}
	if err := RotateKeyset(ctx, st, mk); err != nil {
		t.Fatalf("RotateKeyset() = %v", err)
	}
	box, err := Open(ctx, st, mk)
	if err != nil {
		t.Fatal(err)
	}
	if n := box.handle.Len(); n != 2 {
		t.Fatalf("keyset length after RotateKeyset = %d, want 2", n)
	}
	newSealed, _ := st.Secret(ctx, OPRFSeedName)
	if bytes.Equal(newSealed[:5], oldSealed[:5]) {
		t.Fatalf("sealed seed key id %x unchanged after RotateKeyset", newSealed[:5])
	}
	got, err := LoadOrCreate(ctx, st, box)
	if err != nil || !sameSecrets(got, want) {
		t.Fatalf("LoadOrCreate() after RotateKeyset = other secrets, %v", err)
	}
	if v, err := box.Open("backup", "escrow", acct, perAccount); err != nil || string(v) != "old" {
		t.Fatalf("Open(value sealed before RotateKeyset) = %q, %v, want old", v, err)
	}
}

// keysetKeys returns the raw AES keys of the box's keyset.
func keysetKeys(t *testing.T, box *Box) [][]byte {
	t.Helper()
	var keys [][]byte
	for _, k := range insecurecleartextkeyset.KeysetMaterial(box.handle).GetKey() {
		var gk gcmpb.AesGcmKey
		if err := proto.Unmarshal(k.GetKeyData().GetValue(), &gk); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, gk.GetKeyValue())
	}
	return keys
}

func TestStore_NoSecretInTheClear(t *testing.T) {
	ctx := context.Background()
	st, path := openStore(t)
	mk := newMasterKey()
	_, sec := loadSecrets(t, st, mk)
	if err := RotateKeyset(ctx, st, mk); err != nil {
		t.Fatal(err)
	}
	box, err := Open(ctx, st, mk)
	if err != nil {
		t.Fatal(err)
	}
	needles := map[string][]byte{
		"master key":        mk,
		"master key base64": []byte(base64.StdEncoding.EncodeToString(mk)),
		"oprf seed":         sec.OPRFSeed,
		"session pepper":    sec.SessionPepper,
		"invite pepper":     sec.InvitePepper,
	}
	for i, k := range keysetKeys(t, box) {
		if len(k) != 32 {
			t.Fatalf("keyset key %d is %d bytes, want 32", i, len(k))
		}
		needles["keyset key "+string(rune('0'+i))] = k
	}
	var snap bytes.Buffer
	if _, err := st.Snapshot(ctx, &snap); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for name, n := range needles {
		// Any 16-byte window would be a partial leak too.
		for _, w := range [][]byte{n, n[:16], n[len(n)-16:]} {
			if bytes.Contains(raw, w) {
				t.Errorf("raw bbolt file contains the %s", name)
			}
			if bytes.Contains(snap.Bytes(), w) {
				t.Errorf("store snapshot contains the %s", name)
			}
		}
	}
}

func TestStore_RejectsWrongMasterKeyAfterRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "store.db")
	st, err := bolt.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	mk := newMasterKey()
	_, want := loadSecrets(t, st, mk)
	st.Close()
	st, err = bolt.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := Open(ctx, st, newMasterKey()); !errors.Is(err, ErrWrongMasterKey) {
		t.Fatalf("Open(wrong key) after restart = %v, want ErrWrongMasterKey", err)
	}
	if _, got := loadSecrets(t, st, mk); !sameSecrets(got, want) {
		t.Fatalf("LoadOrCreate() after restart gave other secrets")
	}
}

func FuzzBox_Open(f *testing.F) {
	st, err := bolt.Open(filepath.Join(f.TempDir(), "store.db"), nil)
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	box, err := Open(context.Background(), st, newMasterKey())
	if err != nil {
		f.Fatal(err)
	}
	sealed, _ := box.Seal(Bucket, "k", nil, []byte("v"))
	f.Add(sealed, "k")
	f.Add([]byte{1, 0, 0, 0, 0}, "k")
	f.Add([]byte{}, "")
	f.Fuzz(func(t *testing.T, ct []byte, key string) {
		v, err := box.Open(Bucket, key, nil, ct)
		if err == nil && (key != "k" || string(v) != "v") {
			t.Fatalf("Open(%x, %q) = %q, nil; want an error", ct, key, v)
		}
	})
}

var _ store.Secrets = (*bolt.Store)(nil)

// loadSecrets opens the box under mk and loads (or makes) the server secrets.
func loadSecrets(t *testing.T, st store.Secrets, mk []byte) (*Box, ServerSecrets) {
	t.Helper()
	box, err := Open(context.Background(), st, mk)
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	sec, err := LoadOrCreate(context.Background(), st, box)
	if err != nil {
		t.Fatalf("LoadOrCreate() = %v", err)
	}
	return box, sec
}

// sameSecrets reports whether two loads gave the same three secrets.
func sameSecrets(a, b ServerSecrets) bool {
	return bytes.Equal(a.OPRFSeed, b.OPRFSeed) && bytes.Equal(a.SessionPepper, b.SessionPepper) && bytes.Equal(a.InvitePepper, b.InvitePepper)
}
