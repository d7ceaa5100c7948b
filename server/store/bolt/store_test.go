package bolt_test

import (
	"path/filepath"
	"testing"

	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/server/store/bolt"
	"github.com/blindvault/blindvault/server/store/storetest"
)

func openTemp(t *testing.T, opts *bolt.Options) *bolt.Store {
	t.Helper()
	s, err := bolt.Open(filepath.Join(t.TempDir(), "store.db"), opts)
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	return s
}

func TestStore_Conformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t, nil) })
}

// Small pieces and staging transactions put many piece and transaction
// boundaries inside the suite's bodies.
func TestStore_Conformance_SmallPieces(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	storetest.Run(t, func(t *testing.T) store.Store {
		return openTemp(t, &bolt.Options{PieceSize: 64 << 10, StageBytes: 192 << 10, BatchBytes: 256 << 10})
	})
}
