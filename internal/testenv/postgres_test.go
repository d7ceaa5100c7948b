package testenv_test

import (
	"context"
	"strings"
	"testing"
	"time"

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

// A cluster started with Statements counts statements in
// pg_stat_statements, Query returns what psql printed, and CPUByProcess
// names the cluster's processes and charges none of them more than the
// whole.
func TestPostgres_StatementsQueryCPU(t *testing.T) {
	pg := testenv.StartPostgres(t, &testenv.PostgresOptions{NoFsync: true, Statements: true})
	ctx := context.Background()
	if _, err := pg.Query(ctx, `CREATE EXTENSION pg_stat_statements`); err != nil {
		t.Fatalf("Query(CREATE EXTENSION) = %v", err)
	}
	out, err := pg.Query(ctx, `SELECT 40 + 2 AS answer`)
	if err != nil || !strings.Contains(out, "42") {
		t.Fatalf("Query(SELECT 40 + 2) = %q, %v; want 42 in it", out, err)
	}
	out, err = pg.Query(ctx, `SELECT count(*) > 0 FROM pg_stat_statements WHERE query LIKE '%AS answer%'`)
	if err != nil || !strings.Contains(out, "\nt\n") {
		t.Fatalf("pg_stat_statements lists the query = %q, %v; want t", out, err)
	}
	by := pg.CPUByProcess()
	var sum time.Duration
	for _, d := range by {
		sum += d
	}
	if _, ok := by["checkpointer"]; !ok || sum > pg.CPUTime() {
		t.Fatalf("CPUByProcess() = %v (sum %v), CPUTime() = %v; want a checkpointer, and no more than the whole", by, sum, pg.CPUTime())
	}
}
