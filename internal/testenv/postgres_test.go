package testenv_test

import (
	"context"
	"testing"

	"github.com/blindvault/blindvault/internal/testenv"
)

func TestPostgres_StartCreateRestart(t *testing.T) {
	pg := testenv.StartPostgres(t, &testenv.PostgresOptions{NoFsync: true})
	ctx := context.Background()
	if err := pg.Exec(ctx, "SELECT 1"); err != nil {
		t.Fatalf("Exec(SELECT 1) = %v", err)
	}
	pg.NewDatabase(t)
	pg.Restart(t)
	if err := pg.Exec(ctx, "SELECT 1"); err != nil {
		t.Fatalf("Exec(SELECT 1) after Restart = %v", err)
	}
}
