package postgres_test

import (
	"context"
	"os"
	"testing"

	"github.com/blindvault/blindvault/internal/testenv"
	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/server/store/postgres"
	"github.com/blindvault/blindvault/server/store/storetest"
)

// openDB opens a store on a new database of pg.
func openDB(t *testing.T, pg *testenv.Postgres, opts *postgres.Options) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), pg.NewSchema(t), opts)
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	return s
}

func TestStore_Conformance(t *testing.T) {
	t.Parallel()
	pg := testenv.SharedPostgres(t)
	storetest.Run(t, func(t *testing.T) store.Store { return openDB(t, pg, nil) })
}

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }
