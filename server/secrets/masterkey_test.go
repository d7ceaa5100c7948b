package secrets

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestGenerateMasterKey_WritesLoadableKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	if err := GenerateMasterKey(path); err != nil {
		t.Fatalf("GenerateMasterKey() = %v", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Fatalf("GenerateMasterKey() mode = %04o, want 0600", fi.Mode().Perm())
	}
	k, err := LoadMasterKey(path, envOf(nil))
	if err != nil || len(k) != MasterKeySize {
		t.Fatalf("LoadMasterKey(generated) = %d bytes, %v, want 32 bytes", len(k), err)
	}
	before, _ := os.ReadFile(path)
	if err := GenerateMasterKey(path); err == nil {
		t.Fatalf("GenerateMasterKey(existing file) = nil error, want an error")
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Fatalf("GenerateMasterKey(existing file) changed the file")
	}
}

func TestLoadMasterKey_Sources(t *testing.T) {
	dir := t.TempDir()
	key := bytes.Repeat([]byte{0x5a}, 32)
	b64 := base64.StdEncoding.EncodeToString(key)
	write := func(name string, data []byte, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, mode)
		return p
	}
	b64File := write("b64", []byte(b64+"\n"), 0o600)
	rawFile := write("raw", key, 0o600)

	for _, c := range []struct {
		name string
		file string
		env  map[string]string
	}{
		{"base64 file", b64File, nil},
		{"raw file", rawFile, nil},
		{"env", "", map[string]string{MasterKeyEnv: b64}},
		{"env unpadded", "", map[string]string{MasterKeyEnv: base64.RawStdEncoding.EncodeToString(key)}},
	} {
		got, err := LoadMasterKey(c.file, envOf(c.env))
		if err != nil || !bytes.Equal(got, key) {
			t.Errorf("LoadMasterKey(%s) = %x, %v, want %x", c.name, got, err, key)
		}
	}

	if _, err := LoadMasterKey("", envOf(nil)); !errors.Is(err, ErrNoMasterKey) {
		t.Errorf("LoadMasterKey(nothing) = %v, want ErrNoMasterKey", err)
	}
	if _, err := LoadMasterKey(b64File, envOf(map[string]string{MasterKeyEnv: b64})); err == nil {
		t.Errorf("LoadMasterKey(file and env) = nil error, want an error")
	}
	short := write("short", []byte(base64.StdEncoding.EncodeToString(key[:16])), 0o600)
	if _, err := LoadMasterKey(short, envOf(nil)); !errors.Is(err, ErrBadMasterKey) {
		t.Errorf("LoadMasterKey(16-byte key) = %v, want ErrBadMasterKey", err)
	}
	if _, err := LoadMasterKey("", envOf(map[string]string{MasterKeyEnv: "not base64!"})); !errors.Is(err, ErrBadMasterKey) {
		t.Errorf("LoadMasterKey(env not base64) = %v, want ErrBadMasterKey", err)
	}
	if _, err := LoadMasterKey(filepath.Join(dir, "missing"), envOf(nil)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadMasterKey(missing file) = %v, want ErrNotExist", err)
	}
	if runtime.GOOS != "windows" {
		open := write("open", []byte(b64), 0o644)
		if _, err := LoadMasterKey(open, envOf(nil)); err == nil {
			t.Errorf("LoadMasterKey(mode 0644 file) = nil error, want an error")
		}
	}
}

func FuzzDecodeMasterKey(f *testing.F) {
	f.Add([]byte(base64.StdEncoding.EncodeToString(make([]byte, 32)) + "\n"))
	f.Add(make([]byte, 32))
	f.Add([]byte("====="))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := decodeMasterKey(b)
		if err == nil && len(k) != MasterKeySize {
			t.Fatalf("decodeMasterKey(%q) = %d bytes, want 32", b, len(k))
		}
	})
}
