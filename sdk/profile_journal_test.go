//go:build !js

package sdk_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server"
	"github.com/blindvault/blindvault/server/servertest"
)

// writeLog is a storage that keeps every write made to it, in order, so that
// a test can rebuild what a crash at any point would have left.
type writeLog struct {
	sdk.MemoryStorage
	mu     sync.Mutex
	writes []storageWrite
}

type storageWrite struct {
	name     string
	data     []byte
	appended bool
}

func (w *writeLog) Save(ctx context.Context, name string, data []byte) error {
	w.note(name, data, false)
	return w.MemoryStorage.Save(ctx, name, data)
}

func (w *writeLog) Append(ctx context.Context, name string, data []byte) error {
	w.note(name, data, true)
	return w.MemoryStorage.Append(ctx, name, data)
}

func (w *writeLog) note(name string, data []byte, appended bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes = append(w.writes, storageWrite{name, bytes.Clone(data), appended})
}

func (w *writeLog) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.writes)
}

// stateAt is the storage a crash leaves after the first k writes completed
// and, if torn >= 0, write k appended only its first torn bytes. (A Save is
// atomic: a crash during one leaves the state before it.)
func (w *writeLog) stateAt(t *testing.T, k, torn int) *sdk.MemoryStorage {
	t.Helper()
	s := &sdk.MemoryStorage{}
	for i, wr := range w.writes[:k+1] {
		data := wr.data
		if i == k {
			if torn < 0 || !wr.appended {
				break
			}
			data = data[:torn]
		}
		var err error
		if wr.appended {
			err = s.Append(t.Context(), wr.name, data)
		} else {
			err = s.Save(t.Context(), wr.name, data)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// tornPoints are where to cut an append of n bytes: inside the frame's
// length and checksum, at its payload's start and end, and along it.
func tornPoints(n int) []int {
	pts := []int{1, 2, 3, 4, 5, 7, 8, 9, 20, 39, 40, 41, n / 2, n - 2, n - 1}
	for p := 100; p < n; p += 733 {
		pts = append(pts, p)
	}
	var out []int
	for _, p := range pts {
		if p > 0 && p < n {
			out = append(out, p)
		}
	}
	return out
}

// journalPatient is a registered patient whose storage logs its writes.
func journalPatient(t *testing.T) (*sdk.Client, *writeLog, sdk.Config) {
	t.Helper()
	srv := servertest.Start(t, server.Config{})
	log := &writeLog{}
	cfg := sdk.Config{Server: srv.URL, Storage: log, Passphrase: func() ([]byte, error) { return []byte(patientPass), nil }}
	alice, err := sdk.Connect(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	register(t, alice, "alice", "", "", patientPass)
	return alice, log, cfg
}

// A crash at any point of any write, a torn append included, leaves a
// profile that loads and holds at least the floor of every operation
// acknowledged before it: a lost floor would let a server roll the record
// back unnoticed. The run goes through compactions of the journal.
func TestProfileJournal_CrashNeverLowersAFloor(t *testing.T) {
	ctx := t.Context()
	defer sdk.SetJournalSlack(4 << 10)() // compactions within the run
	alice, log, _ := journalPatient(t)
	rec := put(t, alice, []byte("version 1"), "glucose")
	type ack struct {
		writes int    // writes made when the operation returned
		floor  uint64 // the version it verified
	}
	acks := []ack{{log.count(), 1}}
	for v := 2; v <= 40; v++ {
		if _, err := alice.Put(ctx, bytes.NewReader(fmt.Appendf(nil, "version %d", v)), &sdk.PutOptions{Update: rec.RecordID}); err != nil {
			t.Fatal(err)
		}
		acks = append(acks, ack{log.count(), uint64(v)})
	}
	bases, appends := 0, 0
	for _, wr := range log.writes[acks[0].writes:] {
		if wr.name == "profile.json" {
			bases++
		} else if wr.name == "profile.journal" && wr.appended {
			appends++
		}
	}
	if bases == 0 || appends < 30 {
		t.Fatalf("%d new bases and %d appends in 39 updates: the run must append, and compact at least once", bases, appends)
	}
	checked := 0
	for k := acks[0].writes; k < len(log.writes); k++ {
		want := uint64(0)
		for _, a := range acks {
			if a.writes <= k {
				want = a.floor
			}
		}
		cuts := []int{-1}
		if log.writes[k].appended {
			cuts = append(cuts, tornPoints(len(log.writes[k].data))...)
		}
		for _, torn := range cuts {
			got, err := sdk.OwnFloor(ctx, log.stateAt(t, k, torn), rec.RecordID)
			if err != nil {
				t.Fatalf("a crash at write %d (%s, cut at %d) leaves a profile that does not load: %v", k, log.writes[k].name, torn, err)
			}
			if got < want {
				t.Fatalf("a crash at write %d (%s, cut at %d) lowers the floor to version %d; version %d was acknowledged", k, log.writes[k].name, torn, got, want)
			}
			checked++
		}
	}
	t.Logf("%d crash points checked", checked)
}

// After a crash tore an append, the next run cuts the torn bytes off before
// it appends: its own change is not lost behind them.
func TestProfileJournal_TornTailCutBeforeNextWrite(t *testing.T) {
	ctx := t.Context()
	alice, log, cfg := journalPatient(t)
	rec := put(t, alice, []byte("version 1"), "glucose")
	before := log.count()
	if _, err := alice.Put(ctx, bytes.NewReader([]byte("version 2")), &sdk.PutOptions{Update: rec.RecordID}); err != nil {
		t.Fatal(err)
	}
	k := -1
	for i := before; i < log.count(); i++ {
		if log.writes[i].name == "profile.journal" && log.writes[i].appended {
			k = i
		}
	}
	if k < 0 {
		t.Fatal("the update appended nothing to the journal")
	}
	crashed := log.stateAt(t, k, len(log.writes[k].data)/2)
	cfg.Storage = crashed
	dev, err := sdk.Connect(ctx, cfg)
	if err != nil {
		t.Fatalf("Connect after a torn append: %v", err)
	}
	if _, err := dev.Put(ctx, bytes.NewReader([]byte("version 3")), &sdk.PutOptions{Update: rec.RecordID}); err != nil {
		t.Fatalf("Put after a torn append: %v", err)
	}
	if got, err := sdk.OwnFloor(ctx, crashed, rec.RecordID); err != nil || got != 3 {
		t.Fatalf("floor after the next run's write = %d, %v; want 3", got, err)
	}
}

// A damaged frame with frames after it is not a torn write: the profile
// does not load (ErrInvalid) rather than silently losing floors.
func TestProfileJournal_DamageIsAnError(t *testing.T) {
	ctx := t.Context()
	alice, log, cfg := journalPatient(t)
	rec := put(t, alice, []byte("version 1"), "glucose")
	for v := 2; v <= 3; v++ {
		if _, err := alice.Put(ctx, bytes.NewReader(fmt.Appendf(nil, "version %d", v)), &sdk.PutOptions{Update: rec.RecordID}); err != nil {
			t.Fatal(err)
		}
	}
	j, err := log.Load(ctx, "profile.journal")
	if err != nil {
		t.Fatal(err)
	}
	header := 40 + int(binary.BigEndian.Uint32(j))
	second := header + 40 + int(binary.BigEndian.Uint32(j[header:]))
	if second >= len(j) {
		t.Fatalf("the journal holds %d bytes, one change: want two or more", len(j))
	}
	for _, at := range []int{header + 44, header + 10, header + 1, header + 5} { // a payload byte, the checksum, the length, its complement
		bad := bytes.Clone(j)
		bad[at] ^= 0x20
		if err := log.MemoryStorage.Save(ctx, "profile.journal", bad); err != nil {
			t.Fatal(err)
		}
		if _, err := sdk.Connect(ctx, cfg); !errors.Is(err, sdk.ErrInvalid) {
			t.Errorf("Connect with byte %d of the journal damaged = %v, want ErrInvalid", at, err)
		}
	}
}

// A profile written before journals (one profile.json, no journal_id) loads
// with every floor, and its next write starts a base and a journal.
func TestProfileJournal_MigratesASingleFileProfile(t *testing.T) {
	ctx := t.Context()
	alice, log, cfg := journalPatient(t)
	rec := put(t, alice, []byte("version 1"), "glucose")
	if _, err := alice.Put(ctx, bytes.NewReader([]byte("version 2")), &sdk.PutOptions{Update: rec.RecordID}); err != nil {
		t.Fatal(err)
	}
	old, err := sdk.ProfileJSON(ctx, log)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(old, []byte("journal_id")) {
		t.Fatal("the single-file profile names a journal")
	}
	single := &sdk.MemoryStorage{}
	for name, data := range map[string][]byte{"profile.json": old, "keys": must(log.Load(ctx, "keys"))} {
		if err := single.Save(ctx, name, data); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := sdk.OwnFloor(ctx, single, rec.RecordID); err != nil || got != 2 {
		t.Fatalf("floor in the single-file profile = %d, %v; want 2", got, err)
	}
	cfg.Storage = single
	dev, err := sdk.Connect(ctx, cfg)
	if err != nil {
		t.Fatalf("Connect to a single-file profile: %v", err)
	}
	if _, err := dev.Put(ctx, bytes.NewReader([]byte("version 3")), &sdk.PutOptions{Update: rec.RecordID}); err != nil {
		t.Fatal(err)
	}
	base, err := single.Load(ctx, "profile.json")
	if err != nil || !bytes.Contains(base, []byte(`"journal_id"`)) {
		t.Fatalf("after a write the profile is %d bytes with no journal_id (%v): not migrated", len(base), err)
	}
	if _, err := single.Load(ctx, "profile.journal"); err != nil {
		t.Fatalf("after a write, no journal: %v", err)
	}
	if got, err := sdk.OwnFloor(ctx, single, rec.RecordID); err != nil || got != 3 {
		t.Fatalf("floor after the migrating write = %d, %v; want 3", got, err)
	}
	if _, err := sdk.Connect(ctx, cfg); err != nil {
		t.Fatalf("Connect to the migrated profile: %v", err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
