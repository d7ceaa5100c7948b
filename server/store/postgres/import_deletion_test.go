package postgres_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/blindvault/blindvault/internal/testenv"
	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/server/store/bolt"
)

// TestStore_Import_AccountDeletions: a migration keeps a pending deletion
// (so the account is still purged on time) and a purged account's
// tombstone (so other clients are still told "deleted").
func TestStore_Import_AccountDeletions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src, err := bolt.Open(filepath.Join(t.TempDir(), "src.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	pending, purged := newAccount(t, src), newAccount(t, src)
	now := time.Now()
	want := map[store.AccountID]store.AccountDeletion{
		pending.ID: {Account: pending.ID, Requested: now, Due: now.Add(30 * 24 * time.Hour)},
		purged.ID:  {Account: purged.ID, Requested: now, Due: now},
	}
	for _, d := range want {
		if err := src.ScheduleAccountDeletion(ctx, d, store.Hash{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := src.PurgeAccount(ctx, store.AccountPurge{Account: purged.ID, Purged: now}); err != nil {
		t.Fatal(err)
	}
	d := want[purged.ID]
	d.Purged = now
	want[purged.ID] = d

	dst := openDB(t, testenv.SharedPostgres(t), nil)
	defer dst.Close()
	if stats, err := dst.Import(ctx, src); err != nil || stats.Accounts != 1 {
		t.Fatalf("Import() = %+v, %v; want 1 account", stats, err)
	}
	for id, w := range want {
		got, err := dst.AccountDeletion(ctx, id)
		if err != nil || !got.Requested.Equal(w.Requested) || !got.Due.Equal(w.Due) || !got.Purged.Equal(w.Purged) {
			t.Errorf("AccountDeletion(%s) after Import = %+v, %v; want %+v", id, got, err, w)
		}
	}
	if due, err := dst.DueAccountDeletions(ctx, now.Add(31*24*time.Hour)); err != nil || len(due) != 1 || due[0].Account != pending.ID {
		t.Errorf("DueAccountDeletions() after Import = %+v, %v; want the pending one", due, err)
	}
}
