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

// Appender is a Storage that appends to a value in place: the profile's
// journals (docs/spec/client-v1.md §1.1) grow by one frame per operation.
// DirStorage, MemoryStorage and the browser's stores implement it. Append
// adds data at the end of the named value, creating it if missing, and is
// durable when it returns; a crash during it may leave a prefix of data
// appended, never changes the bytes before. A Storage without Append works
// too: the SDK then loads the value and saves it whole with data appended.
type Appender interface {
	Append(ctx context.Context, name string, data []byte) error
}

// appendStorage appends data to the value name of s.
func appendStorage(ctx context.Context, s Storage, name string, data []byte) error {
	if a, ok := s.(Appender); ok {
		return a.Append(ctx, name, data)
	}
	old, err := s.Load(ctx, name)
	if err != nil && !isNotExist(err) {
		return err
	}
	return s.Save(ctx, name, append(old, data...))
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

// Append adds data at the end of a profile file, creating it with mode 0600
// if missing, and syncs it (and the directory, for a new file) to disk.
func (d DirStorage) Append(_ context.Context, name string, data []byte) error {
	if err := checkStorageName(name); err != nil {
		return err
	}
	if err := os.MkdirAll(string(d), 0o700); err != nil {
		return err
	}
	path := filepath.Join(string(d), name)
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("append to profile %s: %w", name, err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && isNotExist(statErr) {
		err = syncDir(string(d))
	}
	if err != nil {
		return fmt.Errorf("append to profile %s: %w", name, err)
	}
	return nil
}

// syncDir makes a new directory entry durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
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
	return m.update(name, func([]byte) []byte { return append([]byte(nil), data...) })
}

// Append adds data at the end of a profile file, creating it if missing.
func (m *MemoryStorage) Append(_ context.Context, name string, data []byte) error {
	// Load and Save copy: no one else holds the value appended to.
	return m.update(name, func(old []byte) []byte { return append(old, data...) })
}

// update replaces the value of name (nil if missing) with f's.
func (m *MemoryStorage) update(name string, f func(old []byte) []byte) error {
	if err := checkStorageName(name); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.files == nil {
		m.files = map[string][]byte{}
	}
	m.files[name] = f(m.files[name])
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
