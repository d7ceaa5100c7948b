package postgres_test

import (
	"context"
	"testing"

	"github.com/blindvault/blindvault/internal/testenv"
	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/server/store/postgres"
	"github.com/blindvault/blindvault/server/store/storetest"
)

// openDB opens a store on a new database of pg.
func openDB(t *testing.T, pg *testenv.Postgres, opts *postgres.Options) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), pg.NewDatabase(t), opts)
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	return s
}

func TestStore_Conformance(t *testing.T) {
	pg := testenv.StartPostgres(t, &testenv.PostgresOptions{NoFsync: true})
	storetest.Run(t, func(t *testing.T) store.Store { return openDB(t, pg, nil) })
}
