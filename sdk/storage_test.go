package sdk_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/sdk/storagetest"
)

func TestMemoryStorage_Conformance(t *testing.T) {
	storagetest.Run(t, func(*testing.T) sdk.Storage { return &sdk.MemoryStorage{} })
}

func TestDirStorage_Conformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) sdk.Storage {
		dir := filepath.Join(t.TempDir(), "profile")
		t.Cleanup(func() {
			// Nothing may be written outside the directory, and no temporary
			// file may be left inside it.
			parent, _ := os.ReadDir(filepath.Dir(dir))
			for _, e := range parent {
				if e.Name() != "profile" {
					t.Errorf("DirStorage wrote %s outside its directory", e.Name())
				}
			}
			files, _ := os.ReadDir(dir)
			for _, e := range files {
				if strings.HasPrefix(e.Name(), ".") {
					t.Errorf("DirStorage left %s behind", e.Name())
				}
				if fi, err := e.Info(); err == nil && fi.Mode().Perm() != 0o600 {
					t.Errorf("DirStorage file %s has mode %v, want 0600", e.Name(), fi.Mode().Perm())
				}
			}
		})
		return sdk.DirStorage(dir)
	})
}
