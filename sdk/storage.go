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
)

// Storage keeps a client's profile: a few small named files. DirStorage keeps
// them in a directory; the browser build keeps them in the page's storage.
// Load returns an error matching fs.ErrNotExist for a file never saved.
type Storage interface {
	Load(ctx context.Context, name string) ([]byte, error)
	Save(ctx context.Context, name string, data []byte) error
}

// DirStorage keeps profile files in a directory, created with mode 0700, each
// file with mode 0600 and replaced atomically.
type DirStorage string

func (d DirStorage) Load(_ context.Context, name string) ([]byte, error) {
	return os.ReadFile(filepath.Join(string(d), name))
}

func (d DirStorage) Save(_ context.Context, name string, data []byte) error {
	if err := os.MkdirAll(string(d), 0o700); err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(string(d), name), data, 0o600); err != nil {
		return fmt.Errorf("save profile %s: %w", name, err)
	}
	return nil
}

// MemoryStorage keeps profile files in memory, for programs that keep no state
// between runs. The zero value is ready to use.
type MemoryStorage struct {
	mu    sync.Mutex
	files map[string][]byte
}

func (m *MemoryStorage) Load(_ context.Context, name string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.files[name]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return append([]byte(nil), b...), nil
}

func (m *MemoryStorage) Save(_ context.Context, name string, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.files == nil {
		m.files = map[string][]byte{}
	}
	m.files[name] = append([]byte(nil), data...)
	return nil
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
