package secrets

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
)

// MasterKeySize is the length of a master key in bytes.
const MasterKeySize = 32

// MasterKeyEnv is the environment variable that may hold the master key,
// base64-encoded.
const MasterKeyEnv = "BLINDVAULT_MASTER_KEY"

// maxKeyFile bounds what LoadMasterKey reads from a key file.
const maxKeyFile = 1 << 10

var (
	// ErrNoMasterKey is returned by LoadMasterKey when neither a file nor the
	// environment variable gives a master key.
	ErrNoMasterKey = errors.New("secrets: no master key (set --master-key-file or " + MasterKeyEnv + ")")
	// ErrBadMasterKey is returned for a master key that is not 32 bytes, or
	// not encoded as expected.
	ErrBadMasterKey = errors.New("secrets: master key is not 32 bytes of base64 or raw key")
)

// LoadMasterKey returns the master key from file if file is not empty, and
// otherwise from the environment variable [MasterKeyEnv] looked up with env
// (os.Getenv if env is nil). Giving both is an error, so that an operator never
// wonders which one is in use.
//
// A key file holds the key in standard base64 (as [GenerateMasterKey] writes
// it; surrounding white space is ignored) or as 32 raw bytes. It must not be
// accessible to group or others (mode 0600 or stricter), like an SSH private
// key; the environment variable holds base64.
func LoadMasterKey(file string, env func(string) string) ([]byte, error) {
	if env == nil {
		env = os.Getenv
	}
	fromEnv := env(MasterKeyEnv)
	switch {
	case file != "" && fromEnv != "":
		return nil, fmt.Errorf("secrets: both --master-key-file and %s are set; use one", MasterKeyEnv)
	case file != "":
		return readMasterKeyFile(file)
	case fromEnv != "":
		k, err := decodeMasterKey([]byte(fromEnv))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", MasterKeyEnv, err)
		}
		return k, nil
	}
	return nil, ErrNoMasterKey
}

func readMasterKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("master key file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("master key file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("master key file %s: not a regular file", path)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("master key file %s: mode %04o lets others read it; chmod 600 it", path, fi.Mode().Perm())
	}
	raw, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("master key file: %w", err)
	}
	if len(raw) > maxKeyFile {
		return nil, fmt.Errorf("master key file %s: %w", path, ErrBadMasterKey)
	}
	k, err := decodeMasterKey(raw)
	if err != nil {
		return nil, fmt.Errorf("master key file %s: %w", path, err)
	}
	return k, nil
}

// decodeMasterKey accepts 32 raw bytes or their standard base64 encoding
// (padded or not), with surrounding white space.
func decodeMasterKey(b []byte) ([]byte, error) {
	if len(b) == MasterKeySize {
		return bytes.Clone(b), nil
	}
	s := string(bytes.TrimSpace(b))
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding} {
		if k, err := enc.DecodeString(s); err == nil && len(k) == MasterKeySize {
			return k, nil
		}
	}
	return nil, ErrBadMasterKey
}

// GenerateMasterKey writes a new random master key, base64-encoded on one
// line, to a new file at path with mode 0600. It refuses to overwrite an
// existing file: losing a master key makes the server's secrets, and with them
// every account's passphrase backup, unrecoverable.
//
// Keep the file outside the data directory's backups, or at least apart from
// them: a backup and the master key together allow offline passphrase guessing.
func GenerateMasterKey(path string) error {
	k := make([]byte, MasterKeySize)
	rand.Read(k)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("generate master key: %w", err)
	}
	_, err = f.WriteString(base64.StdEncoding.EncodeToString(k) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("generate master key: %w", err)
	}
	// Make the new directory entry durable too.
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
