package sdk

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/blindvault/blindvault/internal/atomicfile"
	"github.com/blindvault/blindvault/internal/storagename"
)

// Storage keeps a client's profile: a few small named files. DirStorage keeps
// them in a directory; the browser build keeps them in the page's storage.
// An implementation must be safe for concurrent use and keep this contract
// (sdk/storagetest checks it):
//
//   - Load of a name never saved returns an error matching fs.ErrNotExist.
//   - Load returns the bytes of the last completed Save of that name (an
//     empty value stays empty, not missing), and neither call keeps or
//     shares the caller's slice.
//   - Save replaces a value atomically: a concurrent or later Load sees the
//     old value or the new one, never a mix; a failed Save leaves the old one.
//   - A name is 1 to 64 bytes of ASCII letters, digits, '.', '_' and '-', not
//     starting with '.'; anything else (a path separator, "..") is refused by
//     both calls with an error matching fs.ErrInvalid.
//   - Values of at least 16 MiB are kept.
type Storage interface {
	Load(ctx context.Context, name string) ([]byte, error)
	Save(ctx context.Context, name string, data []byte) error
}

// DirStorage keeps profile files in a directory, created with mode 0700, each
// file with mode 0600 and replaced atomically.
type DirStorage string

func (d DirStorage) Load(_ context.Context, name string) ([]byte, error) {
	if err := checkStorageName(name); err != nil {
		return nil, err
	}
	return os.ReadFile(filepath.Join(string(d), name))
}

func (d DirStorage) Save(_ context.Context, name string, data []byte) error {
	if err := checkStorageName(name); err != nil {
		return err
	}
	if err := os.MkdirAll(string(d), 0o700); err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(string(d), name), data, 0o600); err != nil {
		return fmt.Errorf("save profile %s: %w", name, err)
	}
	return nil
}

// Remove deletes a profile file; DeleteAccount calls it.
func (d DirStorage) Remove(_ context.Context, name string) error {
	if err := checkStorageName(name); err != nil {
		return err
	}
	return os.Remove(filepath.Join(string(d), name))
}

// MemoryStorage keeps profile files in memory, for programs that keep no state
// between runs. The zero value is ready to use.
type MemoryStorage struct {
	mu    sync.Mutex
	files map[string][]byte
}

func (m *MemoryStorage) Load(_ context.Context, name string) ([]byte, error) {
	if err := checkStorageName(name); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.files[name]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return append([]byte(nil), b...), nil
}

func (m *MemoryStorage) Save(_ context.Context, name string, data []byte) error {
	if err := checkStorageName(name); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.files == nil {
		m.files = map[string][]byte{}
	}
	m.files[name] = append([]byte(nil), data...)
	return nil
}

// Remove deletes a profile file; DeleteAccount calls it.
func (m *MemoryStorage) Remove(_ context.Context, name string) error {
	if err := checkStorageName(name); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.files, name)
	return nil
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// checkStorageName enforces the Storage contract's names (internal/storagename).
func checkStorageName(name string) error { return storagename.Check(name) }
