package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/blindvault/blindvault/internal/testenv"
	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/server/store/bolt"
	"github.com/blindvault/blindvault/server/store/postgres"
)

// importSource is a bbolt store holding one of everything, and what the test
// reads back from a copy of it.
type importSource struct {
	st       *bolt.Store
	accounts []store.NewAccount
	records  []store.RecordID
	session  store.Hash
	invite   store.Hash
}

// newImportSource fills a bbolt store through the Store interface: two
// accounts (one with a new key card, a revoked device, a lockout and a
// session), a record of three versions (bodies of several chunks, none, and
// over 4 MiB, which an import streams to S3 alone) shared with the other
// account and then revoked, a grant to a care team (a group: its key
// record's id), a deleted record,
// chain entries, an invite, a secret and log entries.
func newImportSource(t *testing.T) *importSource {
	t.Helper()
	ctx := context.Background()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "src.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	src := &importSource{st: st}
	alice, bob := newAccount(t, st), newAccount(t, st)
	src.accounts = []store.NewAccount{alice, bob}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	must(st.UpdateKeyCard(ctx, alice.ID, store.KeyCard{Seq: 2, Signed: []byte("card 2"), Added: now}))
	laptop := store.Device{ID: random32(), Cert: []byte("laptop"), Added: now}
	must(st.AddDevice(ctx, alice.ID, laptop))
	must(st.RevokeDevice(ctx, alice.ID, laptop.ID, []byte("revoked"), now))
	_, err = st.UpdateLockout(ctx, alice.ID, func(store.Lockout) (store.Lockout, error) {
		return store.Lockout{Failures: 3, Until: now.Add(time.Hour)}, nil
	})
	must(err)
	src.session = random32()
	must(st.PutSession(ctx, store.Session{TokenHash: src.session, Account: alice.ID, Device: alice.Device.ID,
		Created: now, IdleExpiry: now.Add(time.Hour), AbsoluteExpiry: now.Add(2 * time.Hour)}))
	src.invite = random32()
	must(st.PutInvite(ctx, store.Invite{CodeHash: src.invite, Role: store.RoleClinician, Created: now, Expires: now.Add(time.Hour)}))
	must(st.PutSecret(ctx, "seed", []byte("sealed")))

	bodies := [][]byte{bytes.Repeat([]byte("a"), 2500), {}, bytes.Repeat([]byte("large, streamed "), 5<<16+1)}
	w := versionWrite(alice, 1, bodies[0])
	w.Sharing = store.Sharing{ACL: &store.ACL{Seq: 1, Hash: random32(), Signed: []byte("acl"), Created: now},
		Grants: []store.Grant{{Epoch: 1, Recipient: random32(), Account: bob.ID, Signed: []byte("grant"), Created: now}}}
	w.Chain = []store.ChainEntry{{Account: alice.ID, Seq: 1, Entry: []byte("chain 1")}}
	logged := store.WithLog(ctx, &store.LogBatch{Entries: [][]byte{[]byte("v1")}})
	must(st.PutVersion(logged, w, bytes.NewReader(bodies[0])))
	prev := w.HeaderHash
	for v, body := range bodies[1:] {
		next := versionWrite(alice, uint64(v+2), body)
		next.Record, next.PrevHash = w.Record, prev
		must(st.PutVersion(ctx, next, bytes.NewReader(body)))
		prev = next.HeaderHash
	}
	// A care team's key record, which then holds a grant as a group.
	team := versionWrite(alice, 1, []byte("team key"))
	must(st.PutVersion(ctx, team, bytes.NewReader([]byte("team key"))))
	must(st.UpdateSharing(ctx, store.SharingWrite{Record: w.Record, Owner: alice.ID, Time: now,
		Sharing: store.Sharing{Revoke: []store.KeyID{w.Sharing.Grants[0].Recipient},
			Grants: []store.Grant{{Epoch: 1, Recipient: random32(), Account: store.AccountID(team.Record), Signed: []byte("group grant"), Created: now}}}}))
	gone := versionWrite(bob, 1, []byte("gone"))
	must(st.PutVersion(ctx, gone, bytes.NewReader([]byte("gone"))))
	must(st.DeleteRecord(ctx, store.Deletion{Record: gone.Record, Owner: bob.ID, Deleted: now,
		Chain: []store.ChainEntry{{Account: bob.ID, Seq: 1, Entry: []byte("tombstone")}}}))
	for i := range 20 {
		_, err := st.AppendLog(ctx, []byte{byte(i)})
		must(err)
	}
	src.records = []store.RecordID{w.Record, gone.Record, team.Record}
	return src
}

// same reports what of src differs in dst, read through the Store interface.
func (src *importSource) same(t *testing.T, dst store.Store) {
	t.Helper()
	ctx := context.Background()
	s := src.st
	check := func(what string, get func(st store.Store) (any, error)) {
		t.Helper()
		want, werr := get(s)
		got, gerr := get(dst)
		// Values compare as printed (a nil and an empty list alike);
		// errors by what they mean.
		if (werr == nil) != (gerr == nil) || errors.Is(werr, store.ErrNotFound) != errors.Is(gerr, store.ErrNotFound) ||
			fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
			t.Errorf("%s: copy = %+v, %v; source = %+v, %v", what, got, gerr, want, werr)
		}
	}
	for _, a := range src.accounts {
		check("account", func(st store.Store) (any, error) { return st.Account(ctx, a.ID) })
		check("backup", func(st store.Store) (any, error) { return st.Backup(ctx, a.ID) })
		check("key cards", func(st store.Store) (any, error) { return st.KeyCards(ctx, a.ID, 1) })
		check("devices", func(st store.Store) (any, error) { return st.Devices(ctx, a.ID) })
		check("chain", func(st store.Store) (any, error) { return st.Chain(ctx, a.ID, 1, 0) })
		check("lockout", func(st store.Store) (any, error) {
			var seen store.Lockout
			_, err := st.UpdateLockout(ctx, a.ID, func(l store.Lockout) (store.Lockout, error) {
				seen = l
				return l, errors.New("only looking")
			})
			if err == nil {
				return nil, errors.New("UpdateLockout() ignored its function's error")
			}
			return seen, nil
		})
		check("shared", func(st store.Store) (any, error) { return st.SharedRecords(ctx, a.ID, store.RecordID{}, 0) })
	}
	for _, id := range src.records {
		check("head", func(st store.Store) (any, error) { return st.Head(ctx, id) })
		check("grants", func(st store.Store) (any, error) { return st.Grants(ctx, id) })
		check("acl", func(st store.Store) (any, error) { return st.ACL(ctx, id, 1) })
		for v := uint64(1); v <= 3; v++ {
			check("version", func(st store.Store) (any, error) { return st.Version(ctx, id, v) })
			check("leaves", func(st store.Store) (any, error) { return st.Leaves(ctx, id, v) })
		}
	}
	for v := uint64(1); v <= 3; v++ {
		if got, want := readAll(t, dst, src.records[0], v), readAll(t, s, src.records[0], v); !bytes.Equal(got, want) {
			t.Errorf("body of version %d: copy has %d bytes, source %d", v, len(got), len(want))
		}
	}
	check("session", func(st store.Store) (any, error) { return st.Session(ctx, src.session) })
	check("secret", func(st store.Store) (any, error) { return st.Secret(ctx, "seed") })
	check("log", func(st store.Store) (any, error) {
		var size int64
		var root tlog.Hash
		err := st.LogView(ctx, func(n int64, hr tlog.HashReader) (err error) {
			size = n
			root, err = tlog.TreeHash(n, hr)
			return err
		})
		return []any{size, root}, err
	})
	check("log entries", func(st store.Store) (any, error) { return st.LogEntries(ctx, 0, 100) })
	check("invite", func(st store.Store) (any, error) { return st.ConsumeInvite(ctx, src.invite, time.Now()) })
}

func TestStore_Import(t *testing.T) {
	t.Parallel()
	pg := testenv.SharedPostgres(t)
	for _, tc := range []struct {
		name string
		// opts returns the target's options and a count of its bucket's
		// objects (-1 without one).
		opts func(t *testing.T) (*postgres.Options, func() int)
	}{
		{"chunks", func(*testing.T) (*postgres.Options, func() int) {
			return &postgres.Options{ChunkSize: 1000}, func() int { return -1 }
		}},
		{"s3", func(t *testing.T) (*postgres.Options, func() int) {
			srv := testenv.StartS3(t)
			b, bucket := s3Blobs(t, srv)
			return &postgres.Options{Blobs: b}, func() int { return len(objects(t, srv, bucket)) }
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			src := newImportSource(t)
			opts, objects := tc.opts(t)
			dst := openDB(t, pg, opts)
			defer dst.Close()
			// An import cut short keeps nothing, so it can run again.
			cut := errors.New("cut short")
			if _, err := dst.Import(ctx, failAfter{src.st, 20, cut}); !errors.Is(err, cut) {
				t.Fatalf("Import(an export that fails) = %v, want its error", err)
			}
			if n := objects(); n > 0 {
				t.Errorf("an import cut short left %d objects in the bucket", n)
			}
			stats, err := dst.Import(ctx, src.st)
			if err != nil || stats.Accounts != 2 || stats.Records != 3 || stats.Versions != 4 || stats.LogEntries != 21 {
				t.Fatalf("Import() = %+v, %v; want 2 accounts, 3 records, 4 versions, 21 log entries", stats, err)
			}
			src.same(t, dst)
			if n := objects(); n != -1 && n != 3 {
				t.Errorf("the bucket holds %d objects, want the 3 non-empty bodies", n)
			}
			if problems := dst.Check(ctx); problems != nil {
				t.Errorf("Check() after Import = %v", problems)
			}
			// Sequences go on where the source left them.
			a := src.accounts[0]
			if err := dst.UpdateKeyCard(ctx, a.ID, store.KeyCard{Seq: 3, Signed: []byte("card 3"), Added: time.Now()}); err != nil {
				t.Errorf("UpdateKeyCard(seq 3) after Import = %v", err)
			}
			if err := dst.AppendChain(ctx, store.ChainEntry{Account: a.ID, Seq: 2, Entry: []byte("chain 2")}); err != nil {
				t.Errorf("AppendChain(seq 2) after Import = %v", err)
			}
			if first, err := dst.AppendLog(ctx, []byte("next")); err != nil || first != 21 {
				t.Errorf("AppendLog() after Import = %d, %v; want 21", first, err)
			}
			if _, err := dst.Import(ctx, src.st); !errors.Is(err, store.ErrConflict) {
				t.Errorf("Import() into a store that is not empty = %v, want ErrConflict", err)
			}
		})
	}
}

// failAfter exports the first n items of src, then fails with err.
type failAfter struct {
	src store.Exporter
	n   int
	err error
}

func (f failAfter) Export(ctx context.Context, fn func(store.Item) error) error {
	n := 0
	return f.src.Export(ctx, func(it store.Item) error {
		if n++; n > f.n {
			return f.err
		}
		return fn(it)
	})
}
